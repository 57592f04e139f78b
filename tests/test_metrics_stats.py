import math
import statistics

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from divrl.metrics import stats
from divrl.metrics.stats import bootstrap_ci, seed_summary, share_uncorrelated, spearman_reward_diversity

finite = st.floats(-1e6, 1e6, allow_nan=False)

# ---- seed summary --------------------------------------------------------------------------


@given(st.lists(finite, min_size=1, max_size=10))
def test_seed_summary_matches_statistics_module(values):
    got = seed_summary(values)
    assert got["n"] == len(values)
    assert got["mean"] == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-6)
    want_std = statistics.stdev(values) if len(values) > 1 else 0.0
    assert got["std"] == pytest.approx(want_std, rel=1e-6, abs=1e-6)


def test_seed_summary_curves_elementwise_and_errors():
    curves = [[0.1, 0.5], [0.3, 0.5], [0.2, 0.8]]
    got = seed_summary(curves)
    np.testing.assert_allclose(got["mean"], [0.2, 0.6])
    np.testing.assert_allclose(got["std"], [statistics.stdev([0.1, 0.3, 0.2]), statistics.stdev([0.5, 0.5, 0.8])])
    assert seed_summary([0.7]) == {"mean": 0.7, "std": 0.0, "n": 1}
    with pytest.raises(ValueError, match="at least one seed"):
        seed_summary([])
    with pytest.raises(ValueError, match="at least one seed"):
        seed_summary(3.0)


# ---- bootstrap -----------------------------------------------------------------------------


def slow_bootstrap(values, level, n_boot, seed):
    """Loop version: same documented draws, explicit per-seed means, hand-made quantiles."""
    rows = values if isinstance(values[0], list) else [values]
    p = len(rows[0])
    u = np.random.default_rng(seed).random((n_boot, p))
    means = []
    for b in range(n_boot):
        idx = [min(int(u[b, j] * p), p - 1) for j in range(p)]
        per_seed = [sum(row[i] for i in idx) / p for row in rows]
        means.append(sum(per_seed) / len(per_seed))
    means.sort()

    def quantile(q):  # numpy's default "linear" method
        pos = q * (n_boot - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n_boot - 1)
        return means[lo] + (pos - lo) * (means[hi] - means[lo])

    return quantile((1 - level) / 2), quantile((1 + level) / 2)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 12), st.integers(0, 2**31), st.sampled_from([0.5, 0.9, 0.95]), st.booleans())
def test_bootstrap_matches_loop(n_seeds, p, seed, level, flat):
    rng = np.random.default_rng(seed)
    values = rng.random(p).tolist() if flat else rng.random((n_seeds, p)).tolist()
    got = bootstrap_ci(values, level=level, n_boot=200, seed=seed)
    np.testing.assert_allclose(got, slow_bootstrap(values, level, 200, seed), atol=1e-12)


def test_bootstrap_is_deterministic_and_independent_of_chunking(monkeypatch):
    values = np.random.default_rng(1).random((3, 50))
    a = bootstrap_ci(values, n_boot=500, seed=7)
    assert bootstrap_ci(values, n_boot=500, seed=7) == a
    assert bootstrap_ci(values, n_boot=500, seed=8) != a
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", 50 * 7)  # 7 resamples per chunk, ragged end
    assert bootstrap_ci(values, n_boot=500, seed=7) == a


def test_bootstrap_agrees_with_normal_theory_for_many_problems():
    x = np.random.default_rng(0).random(2000)
    low, high = bootstrap_ci(x, n_boot=4000)
    half = 1.959964 * x.std(ddof=1) / math.sqrt(x.size)
    assert low == pytest.approx(x.mean() - half, abs=0.15 * half)
    assert high == pytest.approx(x.mean() + half, abs=0.15 * half)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=40), st.integers(0, 1000))
def test_bootstrap_ci_contains_sample_mean(values, seed):
    assume(max(values) - min(values) > 1e-3)  # non-degenerate
    low, high = bootstrap_ci(values, seed=seed)
    mean = statistics.fmean(values)
    assert low - 1e-12 <= mean <= high + 1e-12
    assert min(values) - 1e-12 <= low <= high <= max(values) + 1e-12  # (3x)/3 may round above x


def test_bootstrap_agrees_with_scipy_within_monte_carlo_error():
    """scipy's percentile bootstrap is the same estimator with other draws (why we keep ours: stats.py)."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(7)
    per_seed = rng.beta(0.6, 1.5, (3, 200))  # 3 seeds × 200 problems of pass@k-like values
    ours = stats.bootstrap_ci(per_seed, n_boot=20000, seed=1)
    theirs = bootstrap((per_seed.mean(axis=0),), np.mean, method="percentile", n_resamples=20000,
                       random_state=np.random.default_rng(1)).confidence_interval
    se = per_seed.mean(axis=0).std(ddof=1) / np.sqrt(200)  # ≈ 0.016; MC error of a 2.5 % quantile at B = 20000 ≈ 0.05·se
    np.testing.assert_allclose(ours, (theirs.low, theirs.high), atol=0.15 * se)
    assert ours != (theirs.low, theirs.high)  # not the same draws: the reason the tables keep ours


def test_bootstrap_of_constant_data_is_a_point():
    assert bootstrap_ci([0.25] * 9) == (0.25, 0.25)


@pytest.mark.parametrize(
    "values,kw,word",
    [([], {}, "non-empty"), ([[[1.0]]], {}, "\\[S, P\\]"), ([1.0, float("nan")], {}, "finite"),
     ([1.0], {"level": 1.0}, "level"), ([1.0], {"n_boot": 0}, "n_boot")],
)
def test_bootstrap_errors(values, kw, word):
    with pytest.raises(ValueError, match=word):
        bootstrap_ci(values, **kw)


# ---- Spearman(reward, diversity) -------------------------------------------------------------


def slow_ranks(xs):
    """Average ranks (1-based) with ties sharing the mean of their positions."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for t in range(i, j + 1):
            ranks[order[t]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def slow_diversity(emb):
    units = [[v / math.sqrt(sum(w * w for w in row)) for v in row] for row in emb]
    g = len(units)
    out = []
    for i in range(g):
        cos = [sum(a * b for a, b in zip(units[i], units[j])) for j in range(g) if j != i]
        out.append(1 - sum(cos) / (g - 1))
    return out


def slow_spearman(rewards, emb):
    from scipy.stats import t as student_t  # distribution only; the statistic is ours

    d = [round(v, 12) for v in slow_diversity(emb)]
    if len(set(rewards)) == 1 or len(set(d)) == 1:
        return math.nan, math.nan
    a, b = slow_ranks(rewards), slow_ranks(d)
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    rho = cov / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    n = len(a)
    if abs(rho) >= 1:
        return rho, 0.0
    tstat = rho * math.sqrt((n - 2) / (1 - rho * rho))
    return rho, 2 * student_t.sf(abs(tstat), n - 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 10), st.integers(1, 5), st.integers(0, 2**31), st.booleans())
def test_spearman_matches_loop(g, d, seed, binary):
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(g, d)).tolist()
    rewards = rng.integers(0, 2, g).tolist() if binary else rng.random(g).tolist()
    got = spearman_reward_diversity(rewards, emb)
    want = slow_spearman(rewards, emb)
    np.testing.assert_allclose(got, want, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 12), st.integers(2, 6), st.integers(0, 2**31))
def test_spearman_of_monotone_increasing_relation_is_one(g, d, seed):
    emb = np.random.default_rng(seed).normal(size=(g, d))
    div = np.array(slow_diversity(emb.tolist()))
    assume(np.min(np.diff(np.sort(div))) > 1e-9)
    rewards = np.exp(3 * div)  # strictly increasing in diversity
    rho, p = spearman_reward_diversity(rewards, emb)
    assert rho == pytest.approx(1.0)
    assert 0 <= p < 1
    rho, _ = spearman_reward_diversity(-rewards, emb)
    assert rho == pytest.approx(-1.0)


def test_spearman_is_nan_for_constant_reward_or_diversity():
    emb = np.random.default_rng(0).normal(size=(5, 3))
    assert all(math.isnan(v) for v in spearman_reward_diversity([1.0] * 5, emb))
    same = np.tile([[0.3, 0.4]], (5, 1))  # identical completions: diversity is 0 for all
    assert all(math.isnan(v) for v in spearman_reward_diversity([0, 1, 0, 1, 1], same))
    two = spearman_reward_diversity([0, 1], [[1.0, 0.0], [0.0, 1.0]])  # G=2: diversities equal
    assert all(math.isnan(v) for v in two)


def test_spearman_is_scale_invariant_in_embeddings():
    emb = np.random.default_rng(3).normal(size=(6, 4))
    r = [0.0, 1.0, 0.5, 0.2, 1.0, 0.0]
    scaled = emb * np.array([[1.0], [10.0], [0.1], [3.0], [7.0], [0.5]])
    np.testing.assert_allclose(spearman_reward_diversity(r, emb), spearman_reward_diversity(r, scaled), atol=1e-12)


@pytest.mark.parametrize(
    "rewards,emb,word",
    [([1.0], [[1.0]], "G ≥ 2"), ([1.0, 0.0], [[1.0], [0.0]], "zero vector"), ([1.0, 0.0], [[1.0]], "G=2"),
     ([1.0, float("nan")], [[1.0], [1.0]], "finite"), ([[1.0, 0.0]], [[1.0], [1.0]], "\\[G\\]")],
)
def test_spearman_errors(rewards, emb, word):
    with pytest.raises(ValueError, match=word):
        spearman_reward_diversity(rewards, emb)


# ---- share of prompts without significant correlation --------------------------------------


@given(st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), max_size=30), st.sampled_from([0.01, 0.05, 0.1]))
def test_share_uncorrelated_matches_loop(pvalues, alpha):
    kept = [p for p in pvalues if not math.isnan(p)]
    got = share_uncorrelated(pvalues, alpha)
    if not kept:
        assert math.isnan(got)
    else:
        assert got == pytest.approx(sum(p > alpha for p in kept) / len(kept))


def test_share_uncorrelated_errors():
    with pytest.raises(ValueError, match="NaN or lie in \\[0, 1\\]"):
        share_uncorrelated([0.5, 1.5])
    with pytest.raises(ValueError, match="NaN or lie"):
        share_uncorrelated([float("inf")])
    with pytest.raises(ValueError, match="alpha"):
        share_uncorrelated([0.5], alpha=0)
    with pytest.raises(ValueError, match="\\[Q\\]"):
        share_uncorrelated([[0.5]])
