"""Generate the toy Countdown data set: every solvable problem with all its solutions.

A problem is a JSON object: {"id", "numbers", "target", "solutions", "n_canonical"}.
`solutions` holds every distinct valid solution string, so solution multiplicity is
known exactly and supervised targets can be drawn uniformly among right answers.
"""

from __future__ import annotations

import itertools
import logging
import random
from fractions import Fraction

from tqdm import tqdm

from divrl.settings.data import DataSpec
from divrl.tasks.countdown import canonical, prompt
from divrl.tasks.countdown_solver import all_expressions

log = logging.getLogger(__name__)


def generate(spec: DataSpec) -> dict[str, list[dict]]:
    """All solvable problems (up to `max_problems`), split into train and test.

    Multisets of numbers are visited in a seeded random order; every target in range
    that the multiset reaches becomes one problem. The split is by problem, so a test
    problem (same multiset and target) never appears in training.
    """
    rng = random.Random(spec.seed)
    pool = list(range(spec.min_number, spec.max_number + 1))
    multisets = [
        combo for k in spec.num_numbers for combo in itertools.combinations_with_replacement(pool, k)
    ]
    rng.shuffle(multisets)
    width = len(prompt([spec.max_number] * max(spec.num_numbers), spec.max_target))
    problems: list[dict] = []
    for combo in tqdm(multisets, desc="solve", mininterval=2):
        reachable = all_expressions(combo)
        for target in range(spec.min_target, spec.max_target + 1):
            texts = reachable.get(Fraction(target))
            if not texts:
                continue
            numbers = list(combo)
            rng.shuffle(numbers)  # presentation order carries no hint
            sols = sorted(texts)
            problems.append(
                {
                    "task": "countdown",
                    "prompt": prompt(numbers, target, width),
                    "numbers": numbers,
                    "target": target,
                    "solutions": sols,
                    "n_canonical": len({canonical(s) for s in sols}),
                }
            )
        if len(problems) >= spec.max_problems:
            break
    problems = problems[: spec.max_problems]
    rng.shuffle(problems)
    for i, p in enumerate(problems):
        p["id"] = f"cd{i:06d}"
    if len(problems) <= spec.n_test:
        raise ValueError(
            f"data: only {len(problems)} solvable problems for n_test={spec.n_test}; "
            "widen the number/target ranges or raise max_problems"
        )
    return {"test": problems[: spec.n_test], "train": problems[spec.n_test :]}


def multiplicity_stats(problems: list[dict]) -> dict:
    """Solution multiplicity: distinct correct strings and canonical forms per problem."""
    strings = sorted(len(p["solutions"]) for p in problems)
    canon = [p["n_canonical"] for p in problems]
    n = len(problems)
    return {
        "n_problems": n,
        "strings_mean": sum(strings) / n,
        "strings_median": strings[n // 2],
        "strings_p90": strings[min(n - 1, int(0.9 * n))],
        "canonical_mean": sum(canon) / n,
        "share_canonical_ge2": sum(c >= 2 for c in canon) / n,
    }
