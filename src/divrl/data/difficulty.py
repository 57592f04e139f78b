"""Difficulty filter: keep training problems the base model solves sometimes, not never or always.

Several recipes (e.g. open-rs, DAPO) drop problems whose base-model pass rate is 0 or 1:
they give all-equal groups, hence zero advantage and no gradient. `samples` completions
per problem estimate the rate; problems outside [min_pass, max_pass] are dropped and
counted in the stats file (difficulty.json in the workflow).

A step of its own (the `difficulty` rule), not part of tasks/: it samples from the base
model with the evaluation's settings, so it sits above both.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from divrl.system import atomic
from divrl.settings.evaluation import EvalSpec
from divrl.sampling import SampleSpec, sample
from divrl.settings.data import DifficultySpec
from divrl.data.problems import task_of, write_jsonl
from divrl.tasks.scores import CORRECT
log = logging.getLogger(__name__)


def pass_rates(model: str, problems: list[dict], samples: int, sampling: EvalSpec) -> list[float]:
    """Share of `samples` base-model completions per problem that are correct."""
    task = task_of(problems)
    completions = sample(model, [p["prompt"] for p in problems], SampleSpec.of(sampling, samples))
    return [sum(task.reward(c, p) == CORRECT for c in cs) / len(cs) for p, cs in zip(problems, completions)]


def filter_by_difficulty(model: str, problems: list[dict], spec: DifficultySpec, sampling: EvalSpec,
                         out: str | Path, stats_out: str | Path) -> dict:
    """Sampling settings (temperature, length, backend) are the evaluation's."""
    if spec.min_pass > spec.max_pass:
        raise ValueError(f"difficulty: min_pass {spec.min_pass} exceeds max_pass {spec.max_pass}")
    rates = pass_rates(model, problems, spec.samples, sampling)
    kept = [p for p, r in zip(problems, rates) if spec.min_pass <= r <= spec.max_pass]
    stats = {
        "input": len(problems),
        "dropped_too_hard": sum(r < spec.min_pass for r in rates),
        "dropped_too_easy": sum(r > spec.max_pass for r in rates),
        "kept": len(kept),
        "samples": spec.samples,
        "pass_rate_histogram": {f"{k}/{spec.samples}": sum(round(r * spec.samples) == k for r in rates) for k in range(spec.samples + 1)},
    }
    if not kept:
        raise ValueError(f"difficulty: no problem has a base pass rate in [{spec.min_pass}, {spec.max_pass}] ({stats})")
    write_jsonl(kept, out)
    atomic.write_text(stats_out, json.dumps(stats, indent=1))
    log.info("difficulty: kept %d of %d (too hard %d, too easy %d)", len(kept), len(problems),
             stats["dropped_too_hard"], stats["dropped_too_easy"])
    return stats
