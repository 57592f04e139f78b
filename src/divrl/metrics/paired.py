"""Paired comparison of two methods on the same test problems: a real gain, or one lucky seed?

What: Δ = mean over problems of (pass@k of X averaged over X's seeds − the same for Y), with a
paired bootstrap CI and two-sided p-value. Beside it: Holm–Bonferroni over a family of
comparisons (metrics/multitest.py), power and the seeds an effect needs
(metrics/paired_power.py), per-problem gains and losses against base (metrics/per_problem.py).

Why these choices. "Does X beat GRPO?" is a question about the *method*: new test problems and
new training seeds. Both must be in the error bars, or a seed that happens to lift every
problem reads as an effect.

Model. For one method, x[s, p] = unbiased pass@k of seed s on problem p. Seeds and problems
are crossed: x[s, p] = μ + a_p + b_s + e_sp with problem effects a_p (shared with the other
method, hence pairing), seed effects b_s (a lucky run lifts every problem) and cell noise e_sp
(finite samples, seed × problem luck). Then
    Var(Δ̂) = V_prob/P + Σ_m σ²_seed,m / S_m + Σ_m σ²_cell,m / (S_m·P),
V_prob being the variance over problems of the methods' true difference a^X_p − a^Y_p.

Bootstrap scheme (`paired_bootstrap`). Each resample draws P problem indices with replacement,
the same for both methods (pairing: problem difficulty cancels), and, independently per method,
S_m seed indices with replacement (seeds are not paired: seed 0 of X and seed 0 of Y are
unrelated runs). It resamples the additive fit x̃[s, p] = x̄[·, p] + λ_m·(x̄[s, ·] − x̄[·, ·]),
not the raw cells: resampling raw cells along both axes counts e once per axis and once more in
their interaction, ≈ 3σ²_cell/(S·P) instead of 1× (Owen 2007, "The pigeonhole bootstrap"); in
our identical-method simulations (30 problems, 16 samples, 2–3 seeds, no seed effect) that
test rejected 0–1.5 % of pairs at α = 5 %. Seed-pooled problem means already carry e once,
and λ²_m = S/(S−1)·max(0, 1 − MS_res/MS_seed) (two-way ANOVA mean squares) shrinks seed
deviations so that their resampled variance is the estimate max(0, MS_seed − MS_res)/(P·S_m)
of σ²_seed,m/S_m (shrinkage as in Davison & Hinkley 1997, §3.8). The bootstrap variance then
estimates Var(Δ̂), up to a (P−1)/P factor and the small upward bias of clipping at 0. A
one-seed method contributes no seed term: right for the base model (sampled once, not
retrained), "unmeasured" for a trained method.
CI: percentile interval of the resampled Δ.

p-value. From the same bootstrap: p = 2·Φ(−|Δ̂|/SE*), SE* the standard deviation of the
resampled Δ (a bootstrap-SE z-test), so p carries the seed variance exactly as the CI does. Not
the count of resamples beyond 0: that cannot go below 2/(B + 1) ≈ 0.001 at B = 2000, and Holm
over m rows multiplies the smallest p by m, so with 50 rows nothing could pass. The normal
shape is the CLT's (Δ̂ is a mean over problems); where the bootstrap is skewed the percentile
CI and p can disagree slightly near 0. A sign-flip permutation over problems was not chosen:
it holds the trained runs fixed, so seed luck shared by all problems counts as an effect (seed
logit shifts of sd 0.3–0.5, 5 seeds: it rejected 40–55 % of identical pairs in simulation).
Measured false-positive rate of this p at α = 5 % (identical methods, 30–100 problems, 400
synthetic pairs each): 2–5 % with no seed effect (clipping σ²_seed at 0 errs on the safe side;
an unclipped estimate was far worse, 17–25 %, because a 1-df variance estimate is often tiny);
5.5 % with 8 seeds and ~10 % with 5 seeds when seed variance dominates: σ²_seed then rests on
S−1 degrees of freedom and p is optimistic, as a z-test is where a t with S−1 df is due; ~8 %
with only 10 problems. tests/test_paired.py checks the first case, and that a lucky seed is
not called an effect; power.md says how many seeds an effect needs.

No library does this: scipy.stats.bootstrap resamples independent observations (with
`paired=True`, pairs of them), not a crossed seed × problem design; it cannot resample problems
jointly for two methods while resampling each method's seeds on their own, nor shrink seed
deviations by the ANOVA estimate. Written out
here, and tested against a slow loop and the variance formula (tests/test_paired.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from divrl.metrics.anova import as_stack, mean_squares
from divrl.metrics.passk import pass_at_k_many

# Resamples are drawn in chunks of at most this many uniforms (memory bound).
_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class PairedResult:
    """Δ = mean over problems of (seed-mean of a − seed-mean of b), with its bootstrap summary."""

    delta: float
    low: float
    high: float
    p: float
    se: float  # std of the resampled Δ (ddof=1)
    n_problems: int
    seeds_a: int
    seeds_b: int


# ---- per-problem pass@k ---------------------------------------------------------------------


def seed_pass_at_k(counts, n, ks: list[int]) -> np.ndarray:
    """Unbiased pass@k per seed and problem: counts [S, P] correct of n (int or [S]) → [K, S, P]."""
    c = np.asarray(counts)
    if c.ndim != 2 or c.size == 0:
        raise ValueError(f"seed_pass_at_k: counts must be a non-empty [S, P] array (got shape {c.shape})")
    n_s = np.broadcast_to(np.asarray(n, dtype=np.int64), (c.shape[0],))
    out = np.empty((len(ks), *c.shape))
    for i, k in enumerate(ks):
        for s in range(c.shape[0]):
            out[i, s] = pass_at_k_many(int(n_s[s]), c[s], k)
    return out


# ---- paired bootstrap -----------------------------------------------------------------------



def seed_shrinkage(x) -> np.ndarray:
    """λ per k for x [K, S, P]: scales seed deviations so their resampled variance is σ²_seed/S.

    λ² = S/(S−1)·max(0, 1 − MS_res/MS_seed); 0 for one seed or when seed means do not vary.
    """
    v = as_stack(x, "x")
    if v.shape[1] < 2:
        return np.zeros(v.shape[0])
    ms_seed, ms_res = mean_squares(v)
    s = v.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(ms_seed > 0, np.clip(1.0 - ms_res / ms_seed, 0.0, None), 0.0)
    return np.sqrt(s / (s - 1) * keep)


def _weights(rng: np.random.Generator, rows: int, size: int) -> np.ndarray:
    """Counts [rows, size] of `size` indices floor(u·size) drawn with replacement per row."""
    idx = np.minimum((rng.random((rows, size)) * size).astype(np.intp), size - 1)
    flat = (np.arange(rows)[:, None] * size + idx).ravel()
    return np.bincount(flat, minlength=rows * size).reshape(rows, size).astype(np.float64)


def _generators(seed: int) -> tuple[np.random.Generator, ...]:
    """Problem draws use default_rng(seed), as stats.bootstrap_ci does; seeds of a and b use
    two spawned children, so every stream is read row by row and chunking cannot change it."""
    child_a, child_b = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(seed), np.random.default_rng(child_a), np.random.default_rng(child_b)


def resampled_deltas(a, b, *, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """The n_boot resampled Δ per k, [n_boot, K], under the scheme in the module docstring."""
    xa, xb = as_stack(a, "a"), as_stack(b, "b")
    if xa.shape[0] != xb.shape[0] or xa.shape[2] != xb.shape[2]:
        raise ValueError(f"paired: a and b must share K and the problem axis (got shapes {xa.shape} and {xb.shape})")
    if n_boot < 1:
        raise ValueError(f"paired: n_boot must be at least 1 (got {n_boot})")
    p = xa.shape[2]
    d = xa.mean(axis=1) - xb.mean(axis=1)  # [K, P] seed-pooled paired differences
    dev_a = seed_shrinkage(xa)[:, None] * (xa.mean(axis=2) - xa.mean(axis=(1, 2))[:, None])  # [K, S_a]
    dev_b = seed_shrinkage(xb)[:, None] * (xb.mean(axis=2) - xb.mean(axis=(1, 2))[:, None])
    rng_p, rng_a, rng_b = _generators(seed)
    out = np.empty((n_boot, xa.shape[0]))
    rows = max(1, _CHUNK_ELEMENTS // p)
    for start in range(0, n_boot, rows):
        r = min(rows, n_boot - start)
        stat = _weights(rng_p, r, p) @ d.T / p
        stat += _weights(rng_a, r, dev_a.shape[1]) @ dev_a.T / dev_a.shape[1]
        stat -= _weights(rng_b, r, dev_b.shape[1]) @ dev_b.T / dev_b.shape[1]
        out[start : start + r] = stat
    return out


def z_p(delta, se) -> np.ndarray:
    """Two-sided p = 2·Φ(−|Δ|/SE) elementwise; with SE = 0, 1 for Δ = 0 and 0 otherwise."""
    d, s = np.broadcast_arrays(np.asarray(delta, dtype=np.float64), np.asarray(se, dtype=np.float64))
    out = np.where(d == 0, 1.0, 0.0)
    pos = s > 0
    out[pos] = [math.erfc(abs(x) / y / math.sqrt(2)) for x, y in zip(d[pos], s[pos])]  # = 2Φ(−|z|), exact in the tail
    out[np.isnan(d) | np.isnan(s)] = np.nan
    return out


def paired_bootstrap_many(a, b, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> list[PairedResult]:
    """Paired comparison for a, b: [K, S_a, P] and [K, S_b, P] (one slice per k); one result per k."""
    if not 0 < level < 1:
        raise ValueError(f"paired: level must lie strictly between 0 and 1 (got {level})")
    xa, xb = as_stack(a, "a"), as_stack(b, "b")
    if xa.shape[2] < 2:
        raise ValueError(f"paired: need at least 2 problems to resample (got {xa.shape[2]})")
    t = resampled_deltas(xa, xb, n_boot=n_boot, seed=seed)
    delta = xa.mean(axis=(1, 2)) - xb.mean(axis=(1, 2))
    low, high = np.quantile(t, [(1 - level) / 2, (1 + level) / 2], axis=0)
    se = t.std(axis=0, ddof=1) if n_boot > 1 else np.full(t.shape[1], np.nan)
    p = z_p(delta, se)
    return [PairedResult(float(delta[i]), float(low[i]), float(high[i]), float(p[i]), float(se[i]),
                         xa.shape[2], xa.shape[1], xb.shape[1]) for i in range(t.shape[1])]


def paired_bootstrap(a, b, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> PairedResult:
    """Paired comparison of per-seed, per-problem values a [S_a, P] and b [S_b, P] (same problems)."""
    if np.ndim(a) != 2 or np.ndim(b) != 2:
        raise ValueError(f"paired: a and b must be [S, P] arrays (got {np.ndim(a)}-d and {np.ndim(b)}-d)")
    return paired_bootstrap_many(a, b, level=level, n_boot=n_boot, seed=seed)[0]


def compare_counts(counts_a, n_a, counts_b, n_b, ks: list[int], *, level: float = 0.95, n_boot: int = 2000,
                   seed: int = 0) -> list[PairedResult]:
    """Paired pass@k comparison from correct counts [S_a, P] of n_a and [S_b, P] of n_b, one result per k."""
    return paired_bootstrap_many(seed_pass_at_k(counts_a, n_a, ks), seed_pass_at_k(counts_b, n_b, ks),
                                 level=level, n_boot=n_boot, seed=seed)
