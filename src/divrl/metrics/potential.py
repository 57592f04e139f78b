"""R1-zero-Div's evaluation metrics and mean@k (Yao et al., arXiv 2505.23433).

- Potential@k: how much pass@k gains on the problems that pass@1 does not already solve,
  Σ_q Pass@k(q)·(1 − Pass@1(q)) / Σ_q (1 − Pass@1(q)).
- Div-Equ: unique / all equations in the first m (paper: 16) samples of a prompt,
  averaged over prompts (equations as defined in metrics/equations.py).
- distinct answers: share of distinct final answers among those samples (divrl's former
  "Div-Equ", kept under its own name).
- mean@k (the paper's avg@8): expected accuracy of the average of k samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from divrl.metrics.equations import text_equations


def potential_at_k(passk, pass1):
    """Potential@k from per-problem pass@k and pass@1 (R1-zero-Div, arXiv 2505.23433).

    passk: [P] (one k) or [K, P] (many k at once); pass1: [P]; all values in [0, 1].
    The paper's Pass@1 is greedy (one decode at temperature 0: 0 or 1 per problem);
    evaluate.py passes that when eval.greedy is on, else the sampled c/n.
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


class DivEqu(NamedTuple):
    """Div-Equ over problems, each problem's share, and how many problems had no equation."""

    value: float  # mean of the defined shares; NaN when no problem has an equation
    per_problem: list[float | None]  # |U_i| / |A_i|, None when A_i is empty
    no_equations: int  # problems skipped from the mean: none of their samples holds an equation


def div_equ(
    completions_per_problem: Sequence[Sequence[str]],
    m: int = 16,
    equations: Callable[[str], list[str]] = text_equations,
) -> DivEqu:
    """Div-Equ (R1-zero-Div, arXiv 2505.23433): (1/N) Σ_i |U_i| / |A_i|.

    A_i is the multiset of all equations in the first m samples of problem i (an equation
    restated in one response counts twice) and U_i its distinct members;
    `equations(text)` lists a response's equations in normal form (metrics/equations.py
    defines them). A problem without any equation has no share: it is left out of the
    mean (never a division by zero) and counted in `no_equations`.
    Example: samples ["x=1, y=2", "x=1"] give A = [x=1, y=2, x=1], U = {x=1, y=2}: 2/3.
    """
    if m < 1:
        raise ValueError(f"div_equ: m must be at least 1 (got {m})")
    if len(completions_per_problem) == 0:
        raise ValueError("div_equ: no problems given")
    shares: list[float | None] = []
    for q, texts in enumerate(completions_per_problem):
        if len(texts) < m:
            raise ValueError(f"div_equ: problem {q} has {len(texts)} samples, fewer than m={m}")
        found = [e for t in texts[:m] for e in equations(t)]
        shares.append(len(set(found)) / len(found) if found else None)
    defined = [s for s in shares if s is not None]
    value = float(np.mean(defined)) if defined else float("nan")
    return DivEqu(value, shares, len(shares) - len(defined))


def distinct_answers(
    completions_per_problem: Sequence[Sequence[str]],
    m: int = 16,
    canonical: Callable[[str], str] | None = None,
) -> float:
    """Share of distinct final answers among the first m samples, averaged over problems.

    This is what divrl reported as "Div-Equ" before it followed the paper's definition; it
    looks at answers only, not at the equations of the reasoning. `canonical` maps a text
    to its answer's normal form (e.g. countdown.canonical) so that rewrites of one answer
    count once; a text on which it raises ValueError (ParseError is one) has no answer and
    is not counted, so junk cannot pass for diversity. Without `canonical` texts are
    compared stripped. Returns distinct/m, a float in [0, 1].
    """
    if m < 1:
        raise ValueError(f"distinct_answers: m must be at least 1 (got {m})")
    if len(completions_per_problem) == 0:
        raise ValueError("distinct_answers: no problems given")
    shares = []
    for q, texts in enumerate(completions_per_problem):
        if len(texts) < m:
            raise ValueError(f"distinct_answers: problem {q} has {len(texts)} samples, fewer than m={m}")
        keys = {_key(t, canonical) for t in texts[:m]} - {None}
        shares.append(len(keys) / m)
    return float(np.mean(shares))


def _key(text: str, canonical: Callable[[str], str] | None) -> str | None:
    """The answer a text stands for; None when it has none."""
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
