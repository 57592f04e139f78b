"""The Slurm profile on a real single-node Slurm (scripts/ci_slurm.sh).

Needs root and apt (it installs and starts slurm-wlm + munge, then stops them), so
it runs only when asked: DIVRL_TEST_SLURM=1 (CI sets it). See docs/cluster.md.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(os.environ.get("DIVRL_TEST_SLURM") != "1", reason="set DIVRL_TEST_SLURM=1 (root, apt) to run the real-Slurm check")
def test_workflow_through_real_slurm(root):
    res = subprocess.run(["bash", str(root / "scripts/ci_slurm.sh")], cwd=root, capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, (res.stdout[-4000:], res.stderr[-4000:])


# ----------------------------------------------------------------- a training longer than its jobs
# The toy trains for TRAIN_SECONDS in jobs of the `short` partition (MaxTime 1 min,
# scripts/start_slurm.sh). slurmctld checks time limits every 30 s and sends the warning at
# the first check with at most WARN_S + 30 s left (measured: WARN_S 1 -> 29-59 s after the
# job starts; the kill comes 30 s later). A job starts training ~15 s in (Snakemake twice,
# imports, the model), so it trains up to ~45 s before its warning: 150 s of steady-state
# training need 4 jobs (3 at the very least). The rate is the steady one (median step time):
# 400 steps over their train_runtime, warm-up included, underestimated it 1.6-fold, and the
# chain then ended in 2 jobs (twice, measured).
TRAIN_SECONDS = 150
WARN_S = 1


@pytest.fixture
def slurm(root, tmp_path):
    """A running single-node Slurm; stops what this fixture started, cancels the jobs given to it."""
    env = {**os.environ, "SLURM_STARTED_FILE": str(tmp_path / "slurm.started")}
    started = subprocess.run(["bash", str(root / "scripts/start_slurm.sh")], env=env, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    ours = []
    yield ours
    if ours:
        subprocess.run(["scancel", *ours], capture_output=True)
    subprocess.run(["bash", str(root / "scripts/stop_slurm.sh")], env=env, capture_output=True, timeout=120)


def _snakemake(root, run, config, *args, target=None):
    """A snakemake command line; the target first (--configfile and others take several values)."""
    return [sys.executable, "-m", "snakemake", *([str(target)] if target else []), "-s", str(root / "workflow/Snakefile"),
            "-d", str(run), "--configfile", str(config), *args]


def _steps_per_second(root, env, cfg, tmp_path, base, problems):
    """The toy's training speed here, from a short local run (the rest of the test sizes the run with it)."""
    import yaml

    short = tmp_path / "calibrate.yaml"
    short.write_text(yaml.safe_dump({**cfg, "train": {**cfg["train"], "steps": 400}}))
    out = tmp_path / "calibrate"
    subprocess.run(_train_by_hand(short, base, problems, out), env=env, check=True, capture_output=True, timeout=600)
    history = json.loads((out / "train_log.json").read_text())["log_history"]
    times = sorted(float(h["step_time"]) for h in history if "step_time" in h)
    return 1 / times[len(times) // 2]


def _train_by_hand(config, base, problems, out):
    """`divrl train` as the rule runs it, with the section read from the config file: one uninterrupted job."""
    return [str(Path(sys.executable).parent / "divrl"), "train", "--config", str(config), "--threads", "1", "--method", "grpo",
            "--seed", "0", "--base", str(base), "--problems", str(problems), "--model-out", str(out / "model"),
            "--log-out", str(out / "train_log.json"), "--checkpoints", str(out / "checkpoints")]


def _slurm_jobs(ids):
    """jobid -> (state, time limit) as slurmctld knows them (MinJobAge=3600)."""
    out = subprocess.run(["squeue", "-h", "--states=all", "-j", ",".join(ids), "-o", "%i|%T|%l"],
                         capture_output=True, text=True, check=True).stdout
    return {i: (state, limit) for i, state, limit in (line.split("|") for line in out.splitlines())}


@pytest.mark.skipif(os.environ.get("DIVRL_TEST_SLURM") != "1", reason="set DIVRL_TEST_SLURM=1 (root, apt) to run the real-Slurm check")
def test_training_outlives_the_partition_time_limit(root, tmp_path, slurm):
    """≥ 3 Slurm jobs of one training: each warned (SIGURG) before the partition's 1-minute
    MaxTime, checkpointed and exited; Snakemake resubmitted, the next resumed. The model
    is bit-identical to one uninterrupted run and every step was trained by exactly one job."""
    import re
    import time

    import yaml
    from safetensors.torch import load_file

    from divrl.train import time_limit

    t0 = time.time()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg.update(results=str(tmp_path / "results"), seeds=[0], methods={"grpo": {}})
    cfg["train"].update(save_steps=10**6, logging_steps=1, threads=1)  # no checkpoint but the warned ones
    # train_runtime stays at its 240 min: the 1-min partition cap must bring it down, also on retries
    cfg["cluster"] = {"partition_max_runtime": 1, "time_limit_warning": WARN_S, "train_jobs": 12}
    config, run = tmp_path / "config.yaml", tmp_path / "run"
    config.write_text(yaml.safe_dump(cfg))
    # data and the base model locally: only the training is in question
    subprocess.run(_snakemake(root, run, config, "--cores", "1", "--until", "base"), env=env, check=True, capture_output=True, timeout=600)
    base, problems = tmp_path / "results/base/base0/model", tmp_path / "results/data/train.jsonl"

    rate = _steps_per_second(root, env, cfg, tmp_path, base, problems)
    cfg["train"]["steps"] = steps = int(rate * TRAIN_SECONDS)
    config.write_text(yaml.safe_dump(cfg))
    reference = subprocess.Popen(_train_by_hand(config, base, problems, tmp_path / "uninterrupted"), env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    t1 = time.time()
    target = tmp_path / "results/train/grpo/base0/seed0/train_log.json"
    smk = subprocess.run(["timeout", "-k", "30", "900", *_snakemake(
        root, run, config, "--profile", str(root / "profiles/slurm"), "--profile", str(root / "profiles/slurm-ci"),
        "--set-resources", "train:slurm_partition=short", "train:mem_mb=1000", target=target)],
        env=env, capture_output=True, text=True)
    chain_s = time.time() - t1
    ids = re.findall(r"submitted with SLURM jobid (\d+)", smk.stdout + smk.stderr)
    slurm.extend(ids)
    assert smk.returncode == 0, (smk.stdout + smk.stderr)[-6000:]
    assert reference.wait(timeout=900) == 0

    # Slurm's view: n jobs, the first n-1 ended by the training itself (not TIMEOUT), each under the 1-min cap
    jobs = _slurm_jobs(ids)
    states = [jobs[i][0] for i in ids]
    assert len(ids) >= 3 and states == ["FAILED"] * (len(ids) - 1) + ["COMPLETED"], states
    assert {jobs[i][1] for i in ids} == {"1:00"}
    # the training's view: the same jobs, each from the step the previous one saved at its warning
    record = time_limit.jobs(tmp_path / "results/checkpoints/grpo/base0/seed0")
    assert [r["job"] for r in record] == ids
    assert [r["ended"] for r in record] == ["time limit"] * (len(ids) - 1) + ["finished"]
    spans = [(r["first_step"], r["last_step"]) for r in record]
    assert spans[0][0] == 0 and spans[-1][1] == steps
    assert all(prev[1] == nxt[0] < nxt[1] for prev, nxt in zip(spans, spans[1:])), spans
    log = json.loads(target.read_text())
    assert log["resumed_from"].endswith(f"checkpoint-{spans[-1][0]}")
    assert [h["step"] for h in log["log_history"] if "loss" in h] == list(range(1, steps + 1))

    a = load_file(tmp_path / "uninterrupted/model/model.safetensors")
    b = load_file(tmp_path / "results/train/grpo/base0/seed0/model/model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    print(f"{steps} steps ({rate:.1f}/s) in {len(ids)} Slurm jobs {spans}: chain {chain_s:.0f} s, test {time.time() - t0:.0f} s")
