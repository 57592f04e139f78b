"""Unbiased pass@k when each problem is sampled until it has r correct samples (or a cap).

The design (inverse binomial sampling, Haldane 1945, "On a method of estimating
frequencies", Biometrika 33:222; truncated at a cap n): samples of one problem are keyed
by index 1, 2, 3, … and are i.i.d. correct with unknown probability p. Sampling stops at
N = the index of the r-th correct sample, or at the cap n if fewer than r of the first n
are correct. Rounds of a batch size overshoot N; the samples after N are ignored, so N and
the estimate below depend on the sample order only, never on the round size (`stop_index`).

Derivation (for any k ≤ n):

1. U = 1[samples 1..k are all wrong] is observed on every path (if the problem stopped at
   N < k, sample N is a correct one among the first k, so U = 0) and E[U] = (1 − p)^k, so
   1 − U is an unbiased, very noisy, estimate of pass@k = 1 − (1 − p)^k.
2. A path with s correct samples among t drawn has probability p^s (1 − p)^(t − s), so
   S = (drawn, correct) is sufficient; by Rao–Blackwell E[U | S] is unbiased too, with no
   more variance, and it no longer depends on p.
3. Stopped (correct = r, drawn = N): sample N is correct and the other r − 1 correct ones
   can sit at any r − 1 of positions 1..N − 1, every arrangement with the same probability
   p^r (1 − p)^(N − r): uniform. U = 1 iff all r − 1 lie in positions k+1..N − 1, so
   E[U | S] = C(N − 1 − k, r − 1) / C(N − 1, r − 1)   (0 when N − 1 − k < r − 1).
4. Capped (correct = c < r, drawn = n): the c correct samples are uniform over the n
   positions, and E[U | S] = C(n − c, k) / C(n, k): the usual estimator (Chen et al. 2021).
5. pass@k = 1 − E[U | S]. Unbiased for every k ≤ n (the cap), because 1–4 hold for any
   such k. S is also complete: its n + 1 point probabilities, p^r (1−p)^(N−r) (N = r..n)
   and p^c (1−p)^(n−c) (c < r) up to constants, are linearly independent polynomials (a
   vanishing combination reads p^r g(p) + (1−p)^(n−r+1) h(p) = 0 with deg h < r, so p^r
   divides h, h = 0 and then g = 0; each group alone is a Bernstein-type basis). By
   Lehmann–Scheffé this is the only unbiased estimator of pass@k from S, and the one
   with the least variance.

Checks: at k = 1, step 3 gives 1 − pass@1 = (N − r)/(N − 1), so pass@1 = (r − 1)/(N − 1):
Haldane's unbiased estimator of p. Step 3 also equals C(N − r, k)/C(N − 1, k): Chen's
estimator on the first N − 1 samples (r − 1 correct), i.e. drop the sample that decided
the stop. Both are computed as a product of at most r − 1 factors 1 − k/i (i running over
the m = r − 1 or c largest of 1..N − 1 or 1..n), in log space, so no binomial is ever formed
and a stopped problem costs O(r) whatever N is.
"""

from __future__ import annotations

import math
import operator

import numpy as np


def _as_int(value, name: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"sequential pass@k: {name} must be an integer (got {value!r})") from None


def _check(drawn: int, correct: int, k: int, stop_at: int) -> None:
    where = f"(drawn={drawn}, correct={correct}, k={k}, stop_at={stop_at})"
    if k < 1:
        raise ValueError(f"sequential pass@k: k must be at least 1 {where}")
    if stop_at < 1:
        raise ValueError(f"sequential pass@k: stop_at (r correct samples to stop) must be at least 1 {where}")
    if correct < 0 or drawn < 0:
        raise ValueError(f"sequential pass@k: drawn and correct must be non-negative {where}")
    if correct > stop_at:
        raise ValueError(f"sequential pass@k: correct cannot exceed stop_at; count only up to the r-th correct sample (stop_index) {where}")
    if correct > drawn:
        raise ValueError(f"sequential pass@k: correct cannot exceed drawn {where}")
    if correct < stop_at and k > drawn:
        raise ValueError(f"sequential pass@k: k exceeds the cap of a problem that reached it (k ≤ drawn needed) {where}")


def _terms(drawn: int, correct: int, k: int, stop_at: int) -> tuple[int, int]:
    """(top, m): 1 − pass@k = Π_{i=top−m+1}^{top} (1 − k/i); 0 when top − m < k."""
    if correct == stop_at:  # stopped at the r-th correct sample: Chen on the first N − 1
        return drawn - 1, stop_at - 1
    return drawn, correct  # reached the cap: Chen on all n


def pass_at_k_sequential(drawn: int, correct: int, k: int, stop_at: int) -> float:
    """Unbiased pass@k of one problem sampled until `stop_at` correct samples or a cap.

    correct == stop_at: the problem stopped; `drawn` is the 1-based index of its stop_at-th
    correct sample (N), and k may exceed N (the estimate is then 1).
    correct < stop_at: it reached the cap with `drawn` samples; k ≤ drawn.
    The design is unbiased only for k ≤ the cap; a stopped problem cannot check that.
    """
    drawn, correct, k, stop_at = (_as_int(v, name) for v, name in
                                  ((drawn, "drawn"), (correct, "correct"), (k, "k"), (stop_at, "stop_at")))
    _check(drawn, correct, k, stop_at)
    top, m = _terms(drawn, correct, k, stop_at)
    if top - m < k:
        return 1.0
    log_fail = math.fsum(math.log1p(-k / i) for i in range(top - m + 1, top + 1))
    return -math.expm1(log_fail)


def pass_at_k_sequential_many(drawn, correct, k: int, stop_at: int) -> np.ndarray:
    """pass_at_k_sequential over problems: drawn, correct [P] integers → [P] floats.

    Every problem needs at most stop_at − 1 factors, so this costs O(P · stop_at).
    """
    n = np.asarray(drawn, dtype=np.int64).ravel()
    c = np.asarray(correct, dtype=np.int64).ravel()
    if n.shape != c.shape:
        raise ValueError(f"sequential pass@k: drawn and correct differ in length ({n.size} vs {c.size})")
    k, stop_at = _as_int(k, "k"), _as_int(stop_at, "stop_at")
    if k < 1 or stop_at < 1:
        raise ValueError(f"sequential pass@k: k and stop_at must be at least 1 (got k={k}, stop_at={stop_at})")
    if n.size == 0:
        return np.zeros(0)
    stopped = c == stop_at
    bad = (c < 0) | (n < 0) | (c > stop_at) | (c > n) | (~stopped & (k > n))
    first = int(np.argmax(bad)) if bad.any() else 0
    try:
        _check(int(n[first]), int(c[first]), k, stop_at)
    except ValueError as err:
        raise ValueError(f"{err} at problem {first}") from None
    top = np.where(stopped, n - 1, n)
    m = np.where(stopped, stop_at - 1, c)
    j = np.arange(max(stop_at - 1, 1))
    i = top[:, None] - j[None, :]
    use = (j[None, :] < m[:, None]) & (i > k)  # i > k for every used factor of an unsaturated row
    logs = np.zeros(i.shape)
    logs[use] = np.log1p(-k / i[use])
    out = -np.expm1(logs.sum(axis=1))
    out[top - m < k] = 1.0
    return out


def stop_index(correct_flags, stop_at: int, cap: int | None = None) -> tuple[int, int]:
    """(drawn, correct) for pass_at_k_sequential from one problem's flags in sample-index order.

    The flags may run past the stop (a round overshoots): drawn is the 1-based index of the
    stop_at-th correct sample, and correct = stop_at. With fewer correct samples, drawn is the
    number of flags (cut at `cap` when given; with a cap, fewer flags than the cap is an error
    because that problem was neither stopped nor capped).
    """
    flags = np.asarray(correct_flags, dtype=bool).ravel()
    stop_at = _as_int(stop_at, "stop_at")
    if stop_at < 1:
        raise ValueError(f"stop_index: stop_at must be at least 1 (got {stop_at})")
    if cap is not None:
        flags = flags[: _as_int(cap, "cap")]
    hits = np.flatnonzero(flags)
    if hits.size >= stop_at:
        return int(hits[stop_at - 1]) + 1, stop_at
    if cap is not None and flags.size < cap:
        raise ValueError(f"stop_index: {flags.size} samples with {hits.size} < {stop_at} correct, short of the cap {cap}: sampling stopped early")
    return int(flags.size), int(hits.size)
