"""Uncertainty of reported numbers: mean ± std over seeds and a bootstrap CI over problems.

ALGORITHMS.md asks that every reported number carry mean ± std over seeds (or a bootstrap
CI) and n. The CI is a percentile bootstrap over problems (Efron & Tibshirani 1993).
"""

from __future__ import annotations

import numpy as np

# Bootstrap draws are made in chunks of at most this many uniforms (memory bound).
_CHUNK_ELEMENTS = 1 << 22


def seed_summary(values_per_seed) -> dict:
    """Mean, sample std (ddof=1; 0 for one seed) and n over seeds.

    values_per_seed: [S] (one number per seed) or [S, ...] (e.g. a pass@k curve per seed,
    summarised elementwise). mean and std are floats for [S] input, arrays otherwise.
    NaN in the input propagates.
    """
    v = np.asarray(values_per_seed, dtype=np.float64)
    if v.ndim == 0 or v.shape[0] == 0:
        raise ValueError(f"seed_summary: need at least one seed along axis 0 (got shape {v.shape})")
    n = v.shape[0]
    mean = v.mean(axis=0)
    std = v.std(axis=0, ddof=1) if n > 1 else np.zeros_like(mean)
    if v.ndim == 1:
        mean, std = float(mean), float(std)
    return {"mean": mean, "std": std, "n": n}


def bootstrap_ci(per_problem_values, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean over problems.

    per_problem_values: [P], or [S, P] with one row per seed. Each resample draws P problem
    indices with replacement; with a seeds axis the same indices serve every seed and the
    statistic is the mean over seeds of the mean over resampled problems. (Means are
    linear, so that equals resampling the per-problem seed means, which is what we do.)
    Indices are floor(u·P) for u from np.random.default_rng(seed).random, drawn row by row
    in chunks, so the result depends only on the data, level, n_boot and seed.
    Returns (low, high): the (1 − level)/2 and (1 + level)/2 quantiles of the n_boot means.

    Why not scipy.stats.bootstrap(method="percentile"): it is the same estimator (on the
    per-problem seed means) but draws its resamples with its own generator calls and batch
    layout, so with the same seed it picks other problems and every bound moves by Monte-Carlo
    noise: tables/bootstrap_ci.csv and the one-seed CIs of vs_paper.md would change although
    nothing about the data did, and published result folders could no longer be reproduced
    to the digit. tests/test_metrics_stats.py checks that both agree within Monte-Carlo error.
    """
    x = np.asarray(per_problem_values, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] == 0 or x.size == 0:
        raise ValueError(f"bootstrap_ci: values must be a non-empty [P] or [S, P] array (got shape {x.shape})")
    if not np.all(np.isfinite(x)):
        raise ValueError("bootstrap_ci: values must be finite (drop or impute NaN problems first)")
    if not 0 < level < 1:
        raise ValueError(f"bootstrap_ci: level must lie strictly between 0 and 1 (got {level})")
    if n_boot < 1:
        raise ValueError(f"bootstrap_ci: n_boot must be at least 1 (got {n_boot})")
    v = x.mean(axis=0) if x.ndim == 2 else x
    p = v.size
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK_ELEMENTS // p)
    means = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        b = min(rows, n_boot - start)
        idx = np.minimum((rng.random((b, p)) * p).astype(np.intp), p - 1)
        means[start : start + b] = v[idx].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def spearman_reward_diversity(rewards, embeddings) -> tuple[float, float]:
    """Spearman(reward, embedding diversity) over one prompt's G completions, with p-value.

    DRA-GRPO's Figure-2 analysis (Chen et al., arXiv 2505.09655). rewards: [G];
    embeddings: [G, d] (normalised here to unit length). diversity_i = 1 − mean_{j≠i}
    cos(e_i, e_j). Diversities are rounded to 12 decimals before ranking so that ties up to
    float rounding stay ties. Returns (rho, p) from scipy.stats.spearmanr (average ranks for
    ties, two-sided p), or (nan, nan) when rewards or diversities are constant.
    """
    from scipy.stats import spearmanr

    r = np.asarray(rewards, dtype=np.float64)
    e = np.asarray(embeddings, dtype=np.float64)
    if r.ndim != 1 or r.size < 2:
        raise ValueError(f"spearman: rewards must be a [G] array with G ≥ 2 (got shape {r.shape})")
    if e.ndim != 2 or e.shape[0] != r.size:
        raise ValueError(f"spearman: embeddings must be [G, d] with G={r.size} (got shape {e.shape})")
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(e))):
        raise ValueError("spearman: rewards and embeddings must be finite")
    norms = np.linalg.norm(e, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("spearman: an embedding is the zero vector; cosine is undefined")
    u = e / norms
    sim = u @ u.T
    g = r.size
    diversity = np.round(1.0 - (sim.sum(axis=1) - np.diagonal(sim)) / (g - 1), 12)
    if np.ptp(r) == 0 or np.ptp(diversity) == 0:
        return float("nan"), float("nan")
    res = spearmanr(r, diversity)
    return float(res.statistic), float(res.pvalue)


def share_uncorrelated(pvalues, alpha: float = 0.05) -> float:
    """Share of prompts with p > alpha among prompts with a finite p (DRA, arXiv 2505.09655).

    pvalues: [Q], NaN for prompts where the correlation is undefined (constant reward or
    diversity); those are left out. Returns NaN when no prompt has a finite p.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"share_uncorrelated: pvalues must be a [Q] array (got shape {p.shape})")
    if not 0 < alpha < 1:
        raise ValueError(f"share_uncorrelated: alpha must lie strictly between 0 and 1 (got {alpha})")
    if not np.all(np.isnan(p) | ((p >= 0) & (p <= 1))):
        raise ValueError("share_uncorrelated: p-values must be NaN or lie in [0, 1]")
    finite = p[np.isfinite(p)]
    return float(np.mean(finite > alpha)) if finite.size else float("nan")
