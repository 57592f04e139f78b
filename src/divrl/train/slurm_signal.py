"""The warning Slurm sends a train job before its time limit, caught from the job's first second.

The train rule asks for it with `sbatch --signal=URG@SECONDS` (`sbatch_option`);
`divrl train` listens before its slow imports and model loading, so an early warning is
not lost; divrl.train.time_limit acts on it at the next step end.

Why SIGURG and not the usual USR1: Slurm sends the signal of a plain `--signal` to every
process of the job's steps, and the Slurm executor runs the rule inside `srun … python -m
snakemake`; a USR1 kills that Snakemake (Python's default action), and with it the
training (divrl.system.procs). `B:USR1` reaches only the batch shell, which it kills as well
(both measured on Slurm 22.05 with snakemake-executor-plugin-slurm 2.8.0). URG is
ignored by every process that does not ask for it, so only the training reacts.
Standard library only: the workflow imports this module when it is parsed.
"""

from __future__ import annotations

import signal

SIGNAL = signal.SIGURG
SLURM_NAME = "URG"  # the same signal as sbatch spells it
EXIT_CODE = 75  # EX_TEMPFAIL (sysexits.h): "try again later", which the next job does

_warned = False


def sbatch_option(seconds: int) -> str:
    """The sbatch option that asks for the warning `seconds` before the time limit."""
    return f"--signal={SLURM_NAME}@{int(seconds)}"


def _on_signal(signum, frame):
    global _warned
    _warned = True  # nothing else inside a signal handler: the training acts at a step end


def listen() -> None:
    """From now on the warning is remembered (main thread only, as for every handler)."""
    signal.signal(SIGNAL, _on_signal)


def warned() -> bool:
    return _warned
