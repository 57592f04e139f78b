"""Power of a paired comparison (metrics/paired.py): seeds or problems needed to see an effect δ.

Normal approximation, two-sided level α, far tail ignored: δ is detected with power 1−β when
δ/SE ≥ z_{1−α/2} + z_{1−β}, with
    SE² = V_prob/P + Σ_m σ²_seed,m / S_m + Σ_m σ²_cell,m / (S_m·P)
(the crossed seed × problem model of metrics/paired.py) and components from the two-way ANOVA
(metrics/anova.py): σ²_cell = MS_res, σ²_seed = max(0, (MS_seed − MS_res)/P),
V_prob = max(0, s²_d − Σ_m σ²_cell,m/S_m) where s²_d is the variance over problems of the
seed-pooled differences. statsmodels' power classes (TTestPower, NormalIndPower) solve for one
sample size of one variance; here two sample sizes (seeds and problems) enter through three
variance components, so the closed forms below are written out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from divrl.metrics.anova import as_stack, mean_squares


@dataclass(frozen=True)
class Variance:
    """Components of Var(Δ̂) = problem/P + seed_a/S_a + seed_b/S_b + cell_a/(S_a·P) + cell_b/(S_b·P).

    NaN marks a component that cannot be measured (a trained method with one seed). A fixed
    method (the base model) has seed_b = cell_b = 0: its sampling noise sits in `problem`.
    """

    problem: float
    seed_a: float
    cell_a: float
    seed_b: float
    cell_b: float

    def var(self, seeds_a: float, seeds_b: float, problems: float) -> float:
        seed = self.seed_a / seeds_a + self.seed_b / seeds_b
        return self.problem / problems + seed + (self.cell_a / seeds_a + self.cell_b / seeds_b) / problems



def variance_components(a, b, *, b_fixed: bool = False) -> Variance:
    """Components of Var(Δ̂) for per-seed, per-problem values a [S_a, P] and b [S_b, P].

    b_fixed: b is one run that more seeds would not repeat (the base model); its noise is
    then part of `problem`. A non-fixed method with one seed gets NaN seed and cell terms.
    """
    xa, xb = as_stack(a, "a")[0], as_stack(b, "b")[0]
    if xa.shape[1] != xb.shape[1] or xa.shape[1] < 2:
        raise ValueError(f"variance_components: a and b need the same ≥ 2 problems (got {xa.shape[1]} and {xb.shape[1]})")
    seed_a, cell_a = _seed_cell(xa)
    seed_b, cell_b = (0.0, 0.0) if b_fixed else _seed_cell(xb)
    s2_d = float(np.var(xa.mean(axis=0) - xb.mean(axis=0), ddof=1))
    problem = float(np.clip(s2_d - cell_a / xa.shape[0] - cell_b / xb.shape[0], 0.0, None))  # NaN stays NaN
    return Variance(problem, seed_a, cell_a, seed_b, cell_b)


def _seed_cell(x: np.ndarray) -> tuple[float, float]:
    """(σ²_seed, σ²_cell) of one method's [S, P] values; NaN when S = 1 (unmeasurable)."""
    if x.shape[0] < 2:
        return float("nan"), float("nan")
    ms_seed, ms_res = (float(v[0]) for v in mean_squares(x[None]))
    return max(0.0, (ms_seed - ms_res) / x.shape[1]), ms_res


def _z(alpha: float, power: float) -> float:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"power: alpha and power must lie strictly between 0 and 1 (got {alpha}, {power})")
    return NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)


def power(v: Variance, effect: float, seeds_a: float, seeds_b: float, problems: float, *, alpha: float = 0.05) -> float:
    """Chance a two-sided level-α test detects a true Δ = effect (normal approximation)."""
    se = math.sqrt(v.var(seeds_a, seeds_b, problems))
    if math.isnan(se):
        return float("nan")
    if se == 0:
        return 1.0 if effect != 0 else alpha
    z = NormalDist().inv_cdf(1 - alpha / 2)
    return NormalDist().cdf(abs(effect) / se - z) + NormalDist().cdf(-abs(effect) / se - z)


def required_seeds(v: Variance, effect: float, problems: int, *, alpha: float = 0.05, target: float = 0.8,
                   b_fixed: bool = False) -> float:
    """Seeds per method (both, or only a when b is fixed) for power `target` at `problems` problems.

    S = ceil((σ²_seed + σ²_cell/P) / (SE*² − V_prob/P)) with SE* = |effect|/(z_{1−α/2} + z_target)
    and σ² summed over the methods that get S seeds; at least 2 (one seed cannot measure seed
    variation). inf when no number of seeds suffices at this P; NaN when unmeasured.
    """
    target_var = (abs(effect) / _z(alpha, target)) ** 2
    scaled = v.seed_a + v.cell_a / problems + (0.0 if b_fixed else v.seed_b + v.cell_b / problems)
    room = target_var - v.problem / problems
    if math.isnan(scaled) or math.isnan(room):
        return float("nan")
    if room <= 0:
        return float("inf")
    return float(max(2, math.ceil(scaled / room)))


def required_problems(v: Variance, effect: float, seeds_a: int, seeds_b: int, *, alpha: float = 0.05,
                      target: float = 0.8) -> float:
    """Problems for power `target` with the given seeds: P = ceil((V_prob + Σσ²_cell/S)/(SE*² − Σσ²_seed/S))."""
    target_var = (abs(effect) / _z(alpha, target)) ** 2
    per_problem = v.problem + v.cell_a / seeds_a + v.cell_b / seeds_b
    room = target_var - v.seed_a / seeds_a - v.seed_b / seeds_b
    if math.isnan(per_problem) or math.isnan(room):
        return float("nan")
    if room <= 0:
        return float("inf")
    return float(max(2, math.ceil(per_problem / room)))

