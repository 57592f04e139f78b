"""False-positive rate and power of compare.md's test (divrl/metrics/calibrated.py) on synthetic runs.

    python benchmarks/calibration.py [--reps 400] [--problems 100] [--samples 64] [--quick]

Each synthetic run (base model b, method m, seed s) solves problem p with probability
σ(a_p + u_b + w_bm + e_bms + δ_m) per sample, n samples per problem: a_p problem difficulty
(logit of a Beta(0.6, 1.5) rate, clipped to [0.02, 0.98]), u_b a base-model shift (sd `base`,
shared by every method on that base), w_bm a base × method interaction (sd `inter`: the base
model moves method differences), e_bms a seed shift (sd `seed`: a lucky run lifts every
problem), δ_m the method effect (0 under the null). Correct counts are binomial. Two methods,
S seeds each on each of B base models, go through the same code compare.md uses
(report.compare.align, stacks and metrics.calibrated on a problems table); rejection means p < α (one comparison: Holm
changes nothing). The "vs base" column tests a trained method against a fixed base model (one
evaluation per base) whose true per-problem rate is the runs' average rate E σ(a_p + u_b + w + e)
over the seed and interaction shifts, so "no difference from base" holds for pass@1 (the mean
rate); for k > 1 it would not (pass@k is not linear in the rate), so that column is k = 1 only.

Printed per cell: the rejection rate under the null (want α within Monte-Carlo error: ±2 × its
binomial sd, shown) and the power against a logit shift of `--effect` for method X. With B = 1
and an interaction, a difference really exists *for that base model* (w_b differs between the
methods): the test's scope is that base, so its rejections there are true for the base and
false for the population; those rows are marked "scope: one base" and do not count as
calibration failures. The whole grid takes a few minutes on one core.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np
import pandas as pd

from divrl.metrics import calibrated
from divrl.report import compare


def simulate(rng, *, bases: int, seeds: int, problems: int, samples: int, seed_sd: float, base_sd: float,
             inter_sd: float, effect: float) -> dict[str, compare.Run]:
    """Correct counts of base, x and y as report.compare.align returns them from a problems table
    (one row per run: base model seed, RL seed); `--through-table` checks the two agree."""
    q = np.clip(rng.beta(0.6, 1.5, problems), 0.02, 0.98)
    a = np.log(q / (1 - q))
    counts = {"base": [], "x": [], "y": []}
    labels = {"base": [], "x": [], "y": []}
    for b in range(bases):
        u = rng.normal(0, base_sd)
        counts["base"].append(rng.binomial(samples, expected_rate(a + u, math.hypot(seed_sd, inter_sd))))
        labels["base"].append((b, None))
        for m, shift in (("x", effect), ("y", 0.0)):
            w = rng.normal(0, inter_sd)
            for s in range(seeds):
                e = rng.normal(0, seed_sd)
                counts[m].append(rng.binomial(samples, 1 / (1 + np.exp(-(a + u + w + e + shift)))))
                labels[m].append((b, s))
    return {m: compare.Run(np.stack(c), np.full(len(c), samples), tuple(b for b, _ in labels[m]),
                           tuple(s for _, s in labels[m])) for m, c in counts.items()}


def expected_rate(logit: np.ndarray, sd: float) -> np.ndarray:
    """E σ(logit + z), z ~ N(0, sd²), by 40-point Gauss–Hermite quadrature: the rate a trained run
    has on average. The base model gets it under the null, so "no difference from base" is true on
    the pass@k scale (σ(logit) would not be: averaging over seed shifts moves a rate, Jensen)."""
    z, w = np.polynomial.hermite_e.hermegauss(40)
    rates = 1 / (1 + np.exp(-(logit[None, :] + sd * z[:, None])))
    return (w[:, None] * rates).sum(axis=0) / w.sum()


def as_table(runs: dict[str, compare.Run]) -> pd.DataFrame:
    """The problems table `divrl report-compare` would read (method, base_seed, seed, problem, n, c)."""
    rows = [{"method": m, "base_seed": b, "seed": s, "problem": p, "n": int(r.n[i]), "c": int(r.counts[i, p])}
            for m, r in runs.items() for i, (b, s) in enumerate(zip(r.bases, r.seed_ids))
            for p in range(r.counts.shape[1])]
    return pd.DataFrame(rows)


def rejection(rng, reps: int, ks: list[int], alpha: float, through_table: bool = False, **cell) -> dict:
    """Share of reps with p < alpha for x vs y and x vs base, per k: the tests compare.comparisons
    runs (stacks → calibrated.compare_many), without its power columns (slow, not tested here)."""
    hits = {("y", k): 0 for k in ks} | {("base", 1): 0}
    for _ in range(reps):
        runs = simulate(rng, **cell)
        if through_table:  # the full path of report-compare: a problems table, aligned
            _, runs = compare.align(as_table(runs))
        values = compare.stacks(runs, ks)
        for vs in ("y", "base"):
            results = calibrated.compare_many(values["x"], values[vs], level=1 - alpha, fixed_b=vs == "base")
            for k, r in zip(ks, results):
                if (vs, k) in hits:
                    hits[(vs, k)] += bool(r.p < alpha)
    return {key: v / reps for key, v in hits.items()}


GRID_FULL = {"bases": [1, 2, 4], "seeds": [2, 3, 5, 8, 20], "seed_sd": [0.0, 0.3, 1.0],
             "effects": [("none", 0.0, 0.0), ("base", 0.5, 0.0), ("base × method", 0.5, 0.3)]}
GRID_QUICK = {"bases": [1, 4], "seeds": [2, 8], "seed_sd": [0.0, 0.5],
              "effects": [("none", 0.0, 0.0), ("base × method", 0.5, 0.3)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=400, help="synthetic experiments per cell (MC sd at 5 %%: 1.1 %% at 400)")
    ap.add_argument("--problems", type=int, default=100)
    ap.add_argument("--samples", type=int, default=64, help="samples per problem and run (n)")
    ap.add_argument("--ks", default="1,8", help="k values tested (comma-separated, ≤ samples)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--effect", type=float, default=0.3, help="logit shift of method x for the power columns")
    ap.add_argument("--quick", action="store_true", help="a small grid (about a minute)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--through-table", action="store_true", help="build and align a problems table per experiment, "
                    "as report-compare does (slower; same numbers for the same --seed)")
    args = ap.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    grid = GRID_QUICK if args.quick else GRID_FULL
    rng = np.random.default_rng(args.seed)
    mc = 2 * math.sqrt(args.alpha * (1 - args.alpha) / args.reps)
    print(f"α = {args.alpha}; {args.reps} reps per cell; {args.problems} problems × {args.samples} samples; "
          f"Monte-Carlo band α ± {mc:.3f}; power against a logit shift of {args.effect}\n")
    cols = [f"FPR vs y k={k}" for k in ks] + ["FPR vs base k=1"] + [f"power k={k}" for k in ks]
    print("| bases | seeds | seed sd | base effect | " + " | ".join(cols) + " | note |")
    print("|" + "---|" * (len(cols) + 5))
    worst, start = 0.0, time.time()
    for (label, base_sd, inter_sd), bases, seeds, seed_sd in itertools.product(
            grid["effects"], grid["bases"], grid["seeds"], grid["seed_sd"]):
        cell = dict(bases=bases, seeds=seeds, problems=args.problems, samples=args.samples, seed_sd=seed_sd,
                    base_sd=base_sd, inter_sd=inter_sd)
        null = rejection(rng, args.reps, ks, args.alpha, args.through_table, effect=0.0, **cell)
        alt = rejection(rng, args.reps // 2, ks, args.alpha, args.through_table, effect=args.effect, **cell)
        scoped = bases == 1 and inter_sd > 0
        note = "scope: one base" if scoped else ""
        if not scoped:
            over = max(v for (vs, _), v in null.items()) - args.alpha
            worst = max(worst, over)
            note = "above band" if over > mc else ""
        vals = [null[("y", k)] for k in ks] + [null[("base", 1)]] + [alt[("y", k)] for k in ks]
        print(f"| {bases} | {seeds} | {seed_sd} | {label} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {note} |",
              flush=True)
    print(f"\nlargest false-positive rate above α outside 'scope: one base' cells: {worst:+.3f} "
          f"(band +{mc:.3f}); {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
