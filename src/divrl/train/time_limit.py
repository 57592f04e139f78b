"""A training longer than its Slurm job: checkpoint at the warning, exit, resume in the next job.

The train rule asks Slurm for a warning signal shortly before the job's time limit
(divrl.train.slurm_signal: which signal, and why). At the first step end after it,
training saves a checkpoint, records the job in `<checkpoints>/jobs.jsonl` and exits
with `EXIT_CODE`; Snakemake resubmits the job (the rule's `retries`) and the next job
resumes from that checkpoint (divrl.train.run).

Two things keep the resumed run identical to an uninterrupted one: all processes of a
multi-GPU job stop at the same step (they agree on the warning each step), and the stop
waits for a step where TRL's buffer of generated completions is used up (a checkpoint
does not hold that buffer; with the defaults that is every step).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

from transformers import TrainerCallback

from divrl.train.slurm_signal import EXIT_CODE, SLURM_NAME
from divrl.train import slurm_signal

log = logging.getLogger(__name__)

JOBS_FILE = "jobs.jsonl"  # in the checkpoint folder: one line per job of this training


def at_generation_boundary(step: int, args) -> bool:
    """True when the micro-steps done by optimizer step `step` use up TRL's buffer of
    completions (generated every steps_per_generation × num_iterations micro-steps)."""
    every = getattr(args, "steps_per_generation", None) or 1
    every *= getattr(args, "num_iterations", 1) or 1
    return step * args.gradient_accumulation_steps % every == 0


def _any_process(flag: bool, args) -> bool:
    """`flag` or-ed over all training processes (one tiny all-reduce a step when there are several)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return flag
    import torch

    t = torch.tensor([1 if flag else 0], device=args.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


class StopBeforeTimeLimit(TrainerCallback):
    """Checkpoints and exits (`EXIT_CODE`) at the first step end after `SIGNAL`.

    Add it before any callback that reacts to `control.should_save` in `on_step_end`
    (run.py's fingerprint writer): it decides that this step saves.
    """

    def __init__(self, checkpoint_dir: str | Path, warned=slurm_signal.warned):
        self.checkpoint_dir = Path(checkpoint_dir)
        self.warned = warned  # () -> bool
        self.stopping = False
        self.first_step = None
        if warned is slurm_signal.warned:
            slurm_signal.listen()  # `divrl train` listens from its start; this covers other callers

    def on_train_begin(self, args, state, control, **kwargs):
        self.first_step = state.global_step  # after transformers restored a resumed state

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:  # the last step: the run finishes normally
            return
        if not _any_process(self.warned(), args) or not at_generation_boundary(state.global_step, args):
            return
        if not self.stopping and state.is_world_process_zero:
            log.warning("time limit warning (SIG%s): saving checkpoint-%d", SLURM_NAME, state.global_step)
        self.stopping = True
        control.should_save = True
        control.should_training_stop = True

    def on_save(self, args, state, control, **kwargs):
        if not self.stopping:
            return
        if state.is_world_process_zero:
            self._record(state.global_step, "time limit")
            log.warning("time limit near: checkpoint-%d saved, exiting for the next job to resume", state.global_step)
        raise SystemExit(EXIT_CODE)

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero and not self.stopping:
            self._record(state.global_step, "finished")

    def _record(self, last_step: int, ended: str) -> None:
        """One line per job: the steps it trained (first_step, last_step], so a chain of jobs
        shows that none repeated a step."""
        line = {"job": os.environ.get("SLURM_JOB_ID"), "host": socket.gethostname(), "pid": os.getpid(),
                "first_step": self.first_step, "last_step": last_step, "ended": ended,
                "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        with open(self.checkpoint_dir / JOBS_FILE, "a") as f:
            f.write(json.dumps(line) + "\n")


def jobs(checkpoint_dir: str | Path) -> list[dict]:
    """The jobs a training has taken so far (their records, oldest first)."""
    path = Path(checkpoint_dir) / JOBS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
