"""The prompt order of every epoch, also for a run resumed after its first epoch.

TRL's `RepeatSampler` shuffles with one generator, seeded once: epoch e's order is the e-th
permutation it draws. transformers 5 resumes by calling `set_epoch(e)` on the sampler and no
longer replays the earlier epochs' iterations, and `RepeatSampler` has no `set_epoch`: a run
resumed in epoch e ≥ 1 (a killed job, the next job of a Slurm time-limit chain) shuffled epoch
e like epoch 0, and trained another model (measured: resumed at step 800 of a toy run with
772 steps an epoch, the rewards parted at step 804; tests/test_resume.py). `set_epoch` here
replays the generator to epoch e's state, so a fresh run draws the very same orders as before
and a resumed one draws those of the run it continues.
"""

from __future__ import annotations

import torch
from trl.trainer.utils import RepeatSampler


class ResumableRepeatSampler(RepeatSampler):
    def set_epoch(self, epoch: int) -> None:
        """The generator as it is when epoch `epoch` begins: seeded, then one permutation per earlier epoch."""
        if not self.shuffle or self.seed is None:
            return
        self.generator.manual_seed(self.seed)
        for _ in range(epoch):
            torch.randperm(self.num_samples, generator=self.generator)


def resumable(sampler):
    """TRL's sampler with `set_epoch` (another sampler unchanged)."""
    if type(sampler) is RepeatSampler:
        sampler.__class__ = ResumableRepeatSampler  # same fields, one method more
    return sampler
