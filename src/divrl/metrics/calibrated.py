"""Calibrated comparison of two methods: Student/Welch t on run means, base models as a random factor.

The question: is method X better than Y at pass@k, for new training seeds and, when the runs
were trained from several base models, for new base models too? A *run* is one trained model,
(base model b, seed s); its score is the mean over the P shared test problems of unbiased
pass@k. Seeds and base models are random factors: a lucky seed lifts every problem, and a base
model built on another CPU (another float summation order) moves every method's result and
their differences. A run mean is the natural unit: it carries its own problem-level noise, so
the variance *between run means* already holds seed luck and finite samples together, measured
by the data rather than modelled.

Tests (each textbook, each exact or close to it under normal run means):
- **Several base models shared by X and Y (B ≥ 2): base as a random factor.** Δ_b = mean of X's
  runs on base b − mean of Y's runs on b; Δ = mean_b Δ_b; SE² = s²(Δ_b)/B with B − 1 df. The
  "summary statistics" analysis of a balanced nested mixed design (Searle, Casella & McCulloch
  1992, *Variance Components*, §4; Holmes & Friston 1998): the Δ_b are i.i.d. whatever the seed,
  base and base × method variances, so t is exact. With B = 2 it has 1 df (t_0.975 = 12.7):
  honest, and usually "cannot tell".
- **One base model (B = 1): scope "for this base model".** Welch's t on run means with the
  Welch–Satterthwaite df (Welch 1947; Satterthwaite 1946): SE² = s²_X/S_X + s²_Y/S_Y,
  df = SE⁴ / Σ_m (s²_m/S_m)²/(S_m − 1). An opponent evaluated once and never retrained (the
  base model, `fixed`) adds no seed term. Coupled runs (train.coupled_sampling: seed s of X and
  seed s of Y draw the same rollout noise) are paired by seed: SE² = s²(d_s)/S on the per-seed
  differences d_s, df = S − 1 (Student's paired t). Pairing is only valid for coupled runs:
  uncoupled seed s of X and seed s of Y are unrelated.
- **Method × problem term (new test problems).** V/P, V the variance over problems of the true
  per-problem difference (and a fixed opponent's own sampling noise), estimated as the variance
  over problems of the observed per-problem differences minus their run-level noise (two-way
  ANOVA residual), clipped at 0; added to SE². The test keeps the run-level df (B − 1, S − 1, or
  Welch's df of the run terms) rather than a Satterthwaite df over all three terms: V is
  estimated from P − 1 df and nearly known, so ignoring its df only makes t heavier-tailed than
  needed (conservative), while Satterthwaite's pooled df is badly anti-conservative when a 1-df
  seed variance happens to come out small (measured: 12 % false positives against the base model
  with 2 seeds). Identical methods have V = 0: the term only widens the interval then.
p: two-sided from Student's t with the run-level df; CI: Δ ± t_{df, 1−α/2}·SE. When a trained side has a
single run per base and one base (its run-to-run variance unmeasurable) there is no test: p and
the CI are NaN and the verdict says why.

Why not the paired bootstrap this replaces: a bootstrap SE with a normal reference is a z-test
where t with S − 1 df is due, and its seed variance rested on one df clipped at 0; fed identical
methods with seed effects it rejected 10–14 % at α = 5 % with 2–3 seeds.
benchmarks/calibration.py measures this module's false-positive rate and power over a grid of
seeds, seed effects and base effects (table in docs/statistics.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from divrl.metrics.anova import mean_squares


@dataclass(frozen=True)
class Runs:
    """One method's per-run, per-problem values: values [K, R, P]; bases, seeds: [R] labels.

    A base label of None marks runs whose base model is unknown or not ours (published
    checkpoints): they form one block of their own.
    """

    values: np.ndarray
    bases: tuple
    seeds: tuple

    def __post_init__(self):
        v = np.asarray(self.values, dtype=np.float64)
        if v.ndim != 3 or 0 in v.shape:
            raise ValueError(f"compare: values must be a non-empty [K, R, P] array (got shape {v.shape})")
        if not np.all(np.isfinite(v)):
            raise ValueError("compare: values must be finite (drop or impute NaN problems first)")
        if len(self.bases) != v.shape[1] or len(self.seeds) != v.shape[1]:
            raise ValueError(f"compare: {v.shape[1]} runs but {len(self.bases)} base and {len(self.seeds)} seed labels")
        object.__setattr__(self, "values", v)

    def on(self, base) -> np.ndarray:
        """[K, S_b, P]: the runs trained from base model `base`."""
        return self.values[:, [i for i, b in enumerate(self.bases) if b == base]]

    def seeds_on(self, base) -> list:
        return [s for b, s in zip(self.bases, self.seeds) if b == base]


@dataclass(frozen=True)
class Result:
    """Δ = mean of X − mean of Y (per base, then averaged), with its calibrated test."""

    delta: float
    low: float
    high: float
    p: float
    se: float
    df: float
    scheme: str  # "bases" | "welch" | "paired" | "none"
    bases: int
    runs_a: int
    runs_b: int
    problems: int
    why: str  # why there is no test ("" when there is one)
    # variance pieces for power.md: the seed/base term's per-unit variance and the problem term
    unit_var: float  # s²(Δ_b) for "bases"; s²(d_s) for "paired"; nan otherwise
    var_a: float  # s² of X's run means (one base); nan otherwise
    var_b: float
    problem_var: float  # V̂, the method × problem variance


def _satterthwaite(terms: list[tuple[float, float]]) -> float:
    """Welch–Satterthwaite df of a sum of variance estimates [(term, df), …]; terms with 0 drop out."""
    total = sum(t for t, _ in terms)
    denom = sum(t * t / d for t, d in terms if t > 0)
    return total * total / denom if denom > 0 else math.inf


def welch_df(runs: list[tuple[float, float]]) -> float:
    """The test's df from its run-level terms [(s²/S, S − 1)]: Welch–Satterthwaite, or the smallest
    df when every term is 0 (the power of metrics/calibrated_power.py uses the same rule)."""
    return _satterthwaite(runs) if any(t > 0 for t, _ in runs) else min(d for _, d in runs)


def _problem_term(d: np.ndarray, noise: float) -> float:
    """V̂ = max(0, s²_p(d̄) − noise): variance over problems of the true per-problem difference."""
    if d.size < 2:
        return 0.0
    return max(0.0, float(np.var(d, ddof=1)) - noise)


def _residual(x: np.ndarray) -> float:
    """Two-way (row × problem) ANOVA residual mean square of a [R, P] array; 0 with one row."""
    if x.shape[0] < 2 or x.shape[1] < 2:
        return 0.0
    return float(mean_squares(x[None])[1][0])


def _common_bases(a: Runs, b: Runs) -> list:
    shared = [x for x in dict.fromkeys(a.bases) if x in set(b.bases)]
    return sorted(shared, key=lambda x: (x is None, str(x)))


def compare_one(a: Runs, b: Runs, k_index: int, *, level: float = 0.95, fixed_b: bool = False,
                paired_seeds: bool = False) -> Result:
    """The calibrated test of X (a) against Y (b) for the k at k_index; see the module docstring.

    fixed_b: Y is one evaluation per base that more seeds would not repeat (the base model).
    paired_seeds: runs are coupled (same seed, same rollout noise): pair them by seed on one base.
    """
    if not 0 < level < 1:
        raise ValueError(f"compare: level must lie strictly between 0 and 1 (got {level})")
    if a.values.shape[2] != b.values.shape[2]:
        raise ValueError(f"compare: X and Y must share the problems (got {a.values.shape[2]} and {b.values.shape[2]})")
    bases = _common_bases(a, b)
    if bases:
        blocks = [(a.on(x)[k_index], b.on(x)[k_index], a.seeds_on(x), b.seeds_on(x)) for x in bases]
    else:  # no base in common (a published checkpoint against our runs): pool each side's runs
        blocks = [(a.values[k_index], b.values[k_index], list(a.seeds), list(b.seeds))]
    n_b = len(blocks)
    p = blocks[0][0].shape[1]
    per_base = np.array([xa.mean() - xb.mean() for xa, xb, _, _ in blocks])
    delta = float(per_base.mean())
    d_bp = np.stack([xa.mean(axis=0) - xb.mean(axis=0) for xa, xb, _, _ in blocks])  # [B, P] per-base differences
    d_problem = d_bp.mean(axis=0)  # [P]
    runs_a = sum(xa.shape[0] for xa, _, _, _ in blocks)
    runs_b = sum(xb.shape[0] for _, xb, _, _ in blocks)
    nan = math.nan
    base = dict(delta=delta, bases=n_b, runs_a=runs_a, runs_b=runs_b, problems=p)

    if n_b >= 2:  # base as a random factor
        unit = float(np.var(per_base, ddof=1))
        v = _problem_term(d_problem, _residual(d_bp) / n_b)
        terms = [(unit / n_b, n_b - 1), (v / p, p - 1)]
        return _finish(terms, n_b - 1, level, scheme="bases", unit_var=unit, var_a=nan, var_b=nan, problem_var=v, **base)

    xa, xb, seeds_a, seeds_b = blocks[0]
    s_a, s_b = xa.shape[0], xb.shape[0]
    if paired_seeds and not fixed_b:
        common = [s for s in seeds_a if s in set(seeds_b)]
        if len(common) >= 2 and len(common) == s_a == s_b:
            d = xa[[seeds_a.index(s) for s in common]] - xb[[seeds_b.index(s) for s in common]]  # [S, P]
            unit = float(np.var(d.mean(axis=1), ddof=1))
            v = _problem_term(d_problem, _residual(d) / len(common))
            terms = [(unit / len(common), len(common) - 1), (v / p, p - 1)]
            return _finish(terms, len(common) - 1, level, scheme="paired", unit_var=unit, var_a=nan, var_b=nan, problem_var=v, **base)
    if s_a < 2 or (s_b < 2 and not fixed_b):
        who = "X" if s_a < 2 else "Y"
        why = f"one run of {who} on one base model: its run-to-run variation is unmeasured"
        return Result(delta, nan, nan, nan, nan, nan, "none", n_b, runs_a, runs_b, p, why, nan, nan, nan, nan)
    var_a = float(np.var(xa.mean(axis=1), ddof=1))
    var_b = 0.0 if fixed_b or s_b < 2 else float(np.var(xb.mean(axis=1), ddof=1))
    noise = _residual(xa) / s_a + (0.0 if fixed_b else _residual(xb) / s_b)
    v = _problem_term(d_problem, noise)
    runs = [(var_a / s_a, s_a - 1)] + ([] if fixed_b else [(var_b / s_b, s_b - 1)])
    return _finish([*runs, (v / p, p - 1)], welch_df(runs), level, scheme="welch", unit_var=nan, var_a=var_a,
                   var_b=var_b, problem_var=v, **base)


def _finish(terms, df: float, level, **fields) -> Result:
    """Result from the variance terms [(term, df)] and the test's df (the run-level df: see below)."""
    se = math.sqrt(sum(t for t, _ in terms))
    delta = fields["delta"]
    if se == 0:  # every run and problem agree exactly: nothing to be unsure about
        p = 1.0 if delta == 0 else 0.0
        return Result(low=delta, high=delta, p=p, se=0.0, df=df, why="", **fields)
    q = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(delta) / se, df))
    return Result(low=delta - q * se, high=delta + q * se, p=p, se=se, df=df, why="", **fields)


def compare_many(a: Runs, b: Runs, *, level: float = 0.95, fixed_b: bool = False,
                 paired_seeds: bool = False) -> list[Result]:
    """compare_one for every k of the stacks (one Result per k)."""
    if a.values.shape[0] != b.values.shape[0]:
        raise ValueError(f"compare: X and Y must share K (got {a.values.shape[0]} and {b.values.shape[0]})")
    return [compare_one(a, b, i, level=level, fixed_b=fixed_b, paired_seeds=paired_seeds)
            for i in range(a.values.shape[0])]
