"""Two-way ANOVA of per-run, per-problem values (runs × problems, no replication).

metrics/calibrated.py reads the residual mean square from it: the run-level noise in the
per-problem differences, subtracted to estimate the method × problem variance.
"""

from __future__ import annotations

import numpy as np


def as_stack(x, name: str) -> np.ndarray:
    """x as a finite float [K, S, P] stack ([S, P] gets K = 1); ValueError naming `name` otherwise."""
    v = np.asarray(x, dtype=np.float64)
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3 or v.shape[1] == 0 or v.shape[2] == 0:
        raise ValueError(f"compare: {name} must be a non-empty [S, P] or [K, S, P] array (got shape {v.shape})")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"compare: {name} must be finite (drop or impute NaN problems first)")
    return v


def mean_squares(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-way ANOVA without replication on [K, S, P]: (MS_seed, MS_res), each [K]; needs S, P ≥ 2."""
    _, s, p = x.shape
    by_problem, by_seed, grand = x.mean(axis=1), x.mean(axis=2), x.mean(axis=(1, 2))
    ms_seed = p * ((by_seed - grand[:, None]) ** 2).sum(axis=1) / (s - 1)
    resid = x - by_seed[:, :, None] - by_problem[:, None, :] + grand[:, None, None]
    ms_res = (resid**2).sum(axis=(1, 2)) / ((s - 1) * (p - 1))
    return ms_seed, ms_res

