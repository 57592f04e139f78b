"""R1-zero-Div's evaluation metrics and mean@k (Yao et al., arXiv 2505.23433).

- Potential@k: how much pass@k gains on the problems that pass@1 does not already solve,
  Σ_q Pass@k(q)·(1 − Pass@1(q)) / Σ_q (1 − Pass@1(q)).
- Div-Equ: share of distinct equations among the first m (paper: 16) samples of a prompt,
  averaged over prompts.
- mean@k (the paper's avg@8): expected accuracy of the average of k samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def potential_at_k(passk, pass1):
    """Potential@k from per-problem pass@k and pass@1 (R1-zero-Div, arXiv 2505.23433).

    passk: [P] (one k) or [K, P] (many k at once); pass1: [P]; all values in [0, 1].
    Returns a float for [P] input and a [K] array for [K, P] input. Problems are weighted
    by 1 − Pass@1(q), so problems pass@1 already solves count for nothing. When every
    problem has Pass@1 = 1 the weights sum to 0 and the metric is undefined: NaN.
    """
    pk = np.asarray(passk, dtype=np.float64)
    p1 = np.asarray(pass1, dtype=np.float64)
    if p1.ndim != 1 or p1.size == 0:
        raise ValueError(f"potential@k: pass1 must be a non-empty [P] array (got shape {p1.shape})")
    if pk.ndim not in (1, 2) or pk.shape[-1] != p1.size:
        raise ValueError(f"potential@k: passk must be [P] or [K, P] with P={p1.size} (got shape {pk.shape})")
    for name, a in (("passk", pk), ("pass1", p1)):
        if not np.all((a >= 0) & (a <= 1)):  # also rejects NaN
            raise ValueError(f"potential@k: {name} values must lie in [0, 1]")
    w = 1.0 - p1
    total = w.sum()
    if total == 0:
        return float("nan") if pk.ndim == 1 else np.full(pk.shape[0], np.nan)
    out = pk @ w / total
    return float(out) if pk.ndim == 1 else out


def div_equ(
    completions_per_problem: Sequence[Sequence[str]],
    m: int = 16,
    canonical: Callable[[str], str] | None = None,
) -> float:
    """Div-Equ (R1-zero-Div, arXiv 2505.23433): mean over problems of distinct/m.

    completions_per_problem: P lists of texts, each with at least m samples; only the first
    m are used. `canonical` maps a text to a normal form (e.g. countdown.canonical) so that
    rewrites of one equation count once; a text on which it raises ValueError (ParseError
    is one) is not an equation and is not counted, so junk cannot pass for diversity.
    Without `canonical` texts are compared stripped. Returns a float in [0, 1].
    """
    if m < 1:
        raise ValueError(f"div_equ: m must be at least 1 (got {m})")
    if len(completions_per_problem) == 0:
        raise ValueError("div_equ: no problems given")
    shares = []
    for q, texts in enumerate(completions_per_problem):
        if len(texts) < m:
            raise ValueError(f"div_equ: problem {q} has {len(texts)} samples, fewer than m={m}")
        keys = {_key(t, canonical) for t in texts[:m]} - {None}
        shares.append(len(keys) / m)
    return float(np.mean(shares))


def _key(text: str, canonical: Callable[[str], str] | None) -> str | None:
    """The equation a text stands for; None when it is not one."""
    if canonical is None:
        return text.strip()
    try:
        return canonical(text)
    except ValueError:
        return None


def mean_at_k(correct_counts, n: int, k: int) -> np.ndarray:
    """mean@k per problem: expected accuracy averaged over k samples (R1-zero-Div's avg@8).

    correct_counts: [P] integers in [0, n] from n samples per problem; returns [P] floats.
    Drawing k of the n samples without replacement, the expected share correct is c/n for
    every k, so this is the unbiased estimate c/n; k only has to be a valid subset size
    (1 ≤ k ≤ n), checked so that a mean@k the samples cannot support is never reported.
    """
    c = np.asarray(correct_counts)
    if c.ndim != 1:
        raise ValueError(f"mean@k: correct_counts must be a [P] array (got shape {c.shape})")
    if n < 1:
        raise ValueError(f"mean@k: n must be at least 1 (got {n})")
    if not 1 <= k <= n:
        raise ValueError(f"mean@k: k={k} must lie in 1..n={n}")
    if c.size and not (np.issubdtype(c.dtype, np.integer) and c.min() >= 0 and c.max() <= n):
        raise ValueError(f"mean@k: correct_counts must be integers in [0, n={n}]")
    return c.astype(np.float64) / n
