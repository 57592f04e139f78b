"""Unbiased pass@k (Chen et al. 2021, arXiv 2107.03374).

pass@k = 1 − C(n−c, k) / C(n, k): the chance that at least one of k samples drawn
without replacement from n (c of them correct) is correct. Computed as the product
1 − Π_{i=n−c+1}^{n} (1 − k/i), which never forms huge binomials and is exact at k = n.
"""

from __future__ import annotations

import numpy as np
from divrl.metrics.sequential import pass_at_k_sequential_many


def _check(n: int, c: int, k: int) -> None:
    if n < 0 or c < 0 or k < 0:
        raise ValueError(f"pass@k needs non-negative n, c, k (got n={n}, c={c}, k={k})")
    if c > n:
        raise ValueError(f"pass@k: c={c} correct samples cannot exceed n={n} samples")
    if k > n:
        raise ValueError(f"pass@k: k={k} exceeds the n={n} samples drawn; sample more or lower k")
    if k == 0:
        raise ValueError("pass@k: k must be at least 1")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with n samples of which c are correct."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_many(n: int, correct_counts, k: int) -> np.ndarray:
    """pass@k for many problems that share n (vectorised over problems).

    correct_counts: [P] integers in [0, n]; returns [P] floats.
    Uses log-space cumulative sums: log Π_{i=n−c+1}^{n}(1 − k/i) is a suffix sum of
    log(1 − k/i), so all problems cost one pass over i = 1..n.
    """
    c = np.asarray(correct_counts, dtype=np.int64)
    for ci in (c.min(initial=0), c.max(initial=0)):
        _check(n, int(ci), k)
    i = np.arange(1, n + 1, dtype=np.float64)
    # Only terms with i > k are ever summed: when n − c ≥ k the range starts above k,
    # and when n − c < k the answer is 1 without the product.
    logs = np.zeros(n)
    above = i > k
    logs[above] = np.log1p(-k / i[above])
    suffix = np.concatenate([np.cumsum(logs[::-1])[::-1], [0.0]])  # suffix[j] = Σ_{i>j} logs
    out = 1.0 - np.exp(suffix[n - c])  # Σ over i = n−c+1..n is suffix[n−c] (0-based)
    out[n - c < k] = 1.0
    return out


def k_grid(n: int) -> list[int]:
    """1, 2, 4, … up to n, with n itself included."""
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]


def pass_at_k_rows(n, correct_counts, k: int, stop_at: int = 0) -> np.ndarray:
    """pass@k per problem when problems differ in their sample count: n, correct_counts [P].

    stop_at 0: fixed sampling (n_i samples, c_i correct; Chen's estimator per problem).
    stop_at r > 0: sequential sampling (eval.sequential), where a problem with c_i = r stopped
    at its r-th correct sample n_i and one with c_i < r reached the cap n_i (metrics/sequential.py).
    """
    n_p = np.asarray(n, dtype=np.int64).ravel()
    c = np.asarray(correct_counts, dtype=np.int64).ravel()
    if stop_at:
        return pass_at_k_sequential_many(n_p, c, k, stop_at)
    out = np.empty(c.shape)
    for value in np.unique(n_p):
        rows = n_p == value
        out[rows] = pass_at_k_many(int(value), c[rows], k)
    return out


def seed_pass_at_k(counts, n, ks: list[int], stop_at=0) -> np.ndarray:
    """Unbiased pass@k per run and problem: counts [R, P] correct of n (int, [R] or [R, P]: per
    problem) → [K, R, P]; stop_at (int or [R]): each run's eval.sequential (0: fixed N)."""
    c = np.asarray(counts)
    if c.ndim != 2 or c.size == 0:
        raise ValueError(f"seed_pass_at_k: counts must be a non-empty [R, P] array (got shape {c.shape})")
    n_rp = np.asarray(n, dtype=np.int64)
    n_rp = np.broadcast_to(n_rp[:, None] if n_rp.ndim == 1 else n_rp, c.shape)
    r_r = np.broadcast_to(np.asarray(stop_at, dtype=np.int64), (c.shape[0],))
    out = np.empty((len(ks), *c.shape))
    for i, k in enumerate(ks):
        for r in range(c.shape[0]):
            out[i, r] = pass_at_k_rows(n_rp[r], c[r], k, int(r_r[r]))
    return out
