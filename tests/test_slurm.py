"""The Slurm profile on a real single-node Slurm (scripts/ci_slurm.sh).

Needs root and apt (it installs and starts slurm-wlm + munge, then stops them), so
it runs only when asked: DIVRL_TEST_SLURM=1 (CI sets it). See docs/cluster.md.
"""

import os
import subprocess

import pytest


@pytest.mark.skipif(os.environ.get("DIVRL_TEST_SLURM") != "1", reason="set DIVRL_TEST_SLURM=1 (root, apt) to run the real-Slurm check")
def test_workflow_through_real_slurm(root):
    res = subprocess.run(["bash", str(root / "scripts/ci_slurm.sh")], cwd=root, capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, (res.stdout[-4000:], res.stderr[-4000:])
