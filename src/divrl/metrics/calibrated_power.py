"""Power of the calibrated comparison (metrics/calibrated.py), and the runs an effect needs.

Power is the chance that the same two-sided level-α t-test rejects when the true Δ is `effect`:
P(|T| > t_{df, 1−α/2}) with T noncentral t (df, δ/SE) (Cohen 1988, ch. 2; what statsmodels'
TTestPower computes for one sample size). Here SE has two pieces, a run term that shrinks with
the number of seeds (one base model) or base models (several) and a method × problem term V/P
that does not, so the closed forms of statsmodels' power classes do not apply: the
sample size is found by bisection (power grows with it). The variances come from the runs at hand
(metrics/calibrated.Result): a planning figure, itself uncertain with few runs.
"""

from __future__ import annotations

import math

from scipy import stats

from divrl.metrics.calibrated import Result, welch_df

# No design beyond this many seeds or base models is proposed ("inf": more problems are needed).
MAX_UNITS = 1000


def _design(r: Result, units_a: int, units_b: int, fixed: bool) -> tuple[float, float]:
    """(Var(Δ̂), the test's df) with units_a, units_b seeds (or base models): the test's own rule
    (metrics/calibrated.py: run-level df; the method × problem term adds variance, not df)."""
    problem = r.problem_var / r.problems
    if r.scheme in ("bases", "paired"):
        return r.unit_var / units_a + problem, units_a - 1
    runs = [(r.var_a / units_a, units_a - 1)] + ([] if fixed else [(r.var_b / units_b, units_b - 1)])
    return sum(t for t, _ in runs) + problem, welch_df(runs)


def _power(design: tuple[float, float], effect: float, alpha: float) -> float:
    var, df = design
    if var == 0:
        return 1.0 if effect != 0 else alpha
    nc = abs(effect) / math.sqrt(var)
    if not math.isinf(df):
        q = stats.t.ppf(1 - alpha / 2, df)
        power = float(stats.nct.sf(q, df, nc) + stats.nct.cdf(-q, df, nc))
        if not math.isnan(power):
            return power
        # scipy's noncentral t returns NaN far in its tail (large nc and df), where the normal is exact enough
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.sf(z - nc) + stats.norm.cdf(-z - nc))


def power_now(r: Result, effect: float, alpha: float = 0.05, fixed: bool = False) -> float:
    """Power of this design (its seeds, base models and problems) against a true Δ = effect."""
    if r.scheme == "none":
        return math.nan
    if r.scheme == "bases":
        return _power(_design(r, r.bases, r.bases, fixed), effect, alpha)
    return _power(_design(r, r.runs_a, r.runs_b, fixed), effect, alpha)


def needed(r: Result, effect: float, alpha: float = 0.05, fixed: bool = False, target: float = 0.8) -> float:
    """Seeds per method (one base model) or base models (several) for power `target` at this many
    problems; inf when the method × problem term alone is too large; NaN when unmeasured."""
    if r.scheme == "none" or effect == 0:
        return math.nan
    if not 0 < target < 1 or not 0 < alpha < 1:
        raise ValueError(f"power: alpha and target must lie strictly between 0 and 1 (got {alpha}, {target})")
    enough = lambda units: _power(_design(r, units, units, fixed), effect, alpha) >= target  # noqa: E731
    if not enough(MAX_UNITS):
        return math.inf
    low, high = 1, MAX_UNITS  # power grows with units (SE falls, df rises): bisect for the first enough
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return float(high)
