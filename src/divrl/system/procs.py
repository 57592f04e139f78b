"""A job's processes die with it: the `divrl` process ends when its parent ends.

Killing Snakemake (or a job's shell) left the trainer running as an orphan; it kept
writing the job's outputs, and a later run took them as up to date. On Linux the
kernel can send a signal when the parent dies (prctl PR_SET_PDEATHSIG); the rules
`exec` divrl, so the parent is Snakemake itself (or the job's shell, where it cannot
exec). Elsewhere this is a no-op.

`python -m divrl.system.procs CMD ARGS…` arms the signal and then execs CMD: the setting
survives execve, so a program we do not control (`accelerate launch`, which starts the
training processes of a multi-GPU job) dies with the job too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for `sig` when the parent exits; True if armed (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getppid()
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):  # no prctl in this libc (e.g. a static or exotic build)
        return False
    if os.getppid() != parent:  # the parent died before prctl: the signal would never come
        os.kill(os.getpid(), sig)
    return True


def exec_dying_with_parent(argv: list[str]) -> None:
    """Replace this process by argv, which then dies with our parent (never returns)."""
    if not argv:
        sys.exit("usage: python -m divrl.system.procs COMMAND [ARGS...]")
    die_with_parent()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    exec_dying_with_parent(sys.argv[1:])
