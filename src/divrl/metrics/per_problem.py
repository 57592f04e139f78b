"""Per-problem change against the base model: pass@1 change, problems gained and lost.

What a mean pass@k hides: a method can lift half the problems and sink the other half, or
stop solving problems the base model solved (the "RL narrows the model" reading).
"""

from __future__ import annotations

import numpy as np


def pass1_change(counts, n, base_counts, base_n) -> np.ndarray:
    """Per-problem pass@1 change [P]: mean over seeds of c/n for the method minus the same for base.

    counts: [S, P] (n an int or [S]); base_counts: [P] or [S_b, P] (base_n likewise).
    """
    c, cb = _counts(counts, "counts"), _counts(base_counts, "base_counts")
    _same_problems(c, cb)
    rate = c / np.broadcast_to(np.asarray(n, dtype=np.float64), (c.shape[0],))[:, None]
    base = cb / np.broadcast_to(np.asarray(base_n, dtype=np.float64), (cb.shape[0],))[:, None]
    return rate.mean(axis=0) - base.mean(axis=0)


def gains_losses(counts, base_counts) -> dict:
    """Problems gained and lost against the base model, seed-pooled and per seed.

    Pooled: a method solves problem p if any of its seeds drew a correct sample (Σ_s c_sp > 0);
    base likewise over its runs. gained = #{base solves none, method solves}, lost = #{base
    solves, method solves none}, net = gained − lost, solvable_by_base = #{base solves}.
    Pooling gives the method S·n samples against base's n, which favours gains; the per-seed
    means (gained_per_seed, lost_per_seed: the same counts for each seed alone, averaged)
    compare equal sample budgets.
    """
    c, cb = _counts(counts, "counts"), _counts(base_counts, "base_counts")
    _same_problems(c, cb)
    base_solves = cb.sum(axis=0) > 0
    solves = c.sum(axis=0) > 0
    gained, lost = int(np.sum(~base_solves & solves)), int(np.sum(base_solves & ~solves))
    return {
        "gained": gained, "lost": lost, "net": gained - lost, "solvable_by_base": int(base_solves.sum()),
        "gained_per_seed": float(np.mean(np.sum(~base_solves & (c > 0), axis=1))),
        "lost_per_seed": float(np.mean(np.sum(base_solves & (c == 0), axis=1))),
    }


def _counts(x, name: str) -> np.ndarray:
    c = np.asarray(x)
    c = c[None] if c.ndim == 1 else c
    if c.ndim != 2 or c.size == 0 or np.any(c < 0):
        raise ValueError(f"paired: {name} must be non-negative [P] or [S, P] counts (got shape {np.shape(x)})")
    return c


def _same_problems(c: np.ndarray, cb: np.ndarray) -> None:
    if c.shape[1] != cb.shape[1]:
        raise ValueError(f"paired: method has {c.shape[1]} problems but base has {cb.shape[1]}; align them first")
