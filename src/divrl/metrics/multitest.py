"""Multiple comparisons: Holm–Bonferroni adjusted p-values over a table of comparisons."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.multitest import multipletests


def holm(pvalues) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (step-down; valid under any dependence between tests).

    Sorted ascending, adj_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)) with m the number of finite
    p-values; NaN entries stay NaN and do not count towards m. Reject where adj < α.
    statsmodels' multipletests(method="holm") computes it (tests/test_paired.py checks it against
    a loop and our former implementation bit for bit); it takes neither NaN nor values outside
    [0, 1] quietly, so those are handled here.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"holm: p-values must be a 1-d array (got shape {p.shape})")
    finite = np.isfinite(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("holm: p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    if finite.any():
        out[finite] = multipletests(p[finite], method="holm")[1]
    return out
