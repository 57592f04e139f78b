import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from divrl.metrics import paired, paired_power
from divrl.metrics.multitest import holm
from divrl.metrics.paired import (
    compare_counts,
    paired_bootstrap,
    paired_bootstrap_many,
    resampled_deltas,
    seed_pass_at_k,
    z_p,
)
from divrl.metrics.paired_power import Variance, required_problems, required_seeds, variance_components
from divrl.metrics.per_problem import gains_losses, pass1_change
from divrl.metrics.passk import pass_at_k
from divrl.metrics.stats import bootstrap_ci

# ---- synthetic per-problem correctness -----------------------------------------------------


def rates(rng, p):
    return np.clip(rng.beta(0.6, 1.5, p), 0.02, 0.98)


def counts(rng, q, seeds, n, seed_sd=0.0):
    """Correct counts [seeds, P]: a per-seed logit shift of sd seed_sd (a lucky run lifts every problem)."""
    logit = np.log(q / (1 - q)) + rng.normal(0, seed_sd, (seeds, 1))
    return rng.binomial(n, 1 / (1 + np.exp(-logit)))


# ---- bootstrap against a slow loop ---------------------------------------------------------


def slow_shrinkage(x):
    """λ from explicit ANOVA sums over a list-of-lists [S][P]."""
    s, p = len(x), len(x[0])
    if s < 2:
        return 0.0
    grand = sum(map(sum, x)) / (s * p)
    seed_mean = [sum(row) / p for row in x]
    prob_mean = [sum(x[i][j] for i in range(s)) / s for j in range(p)]
    ms_seed = p * sum((m - grand) ** 2 for m in seed_mean) / (s - 1)
    ss_res = sum((x[i][j] - seed_mean[i] - prob_mean[j] + grand) ** 2 for i in range(s) for j in range(p))
    ms_res = ss_res / ((s - 1) * (p - 1))
    keep = max(0.0, 1 - ms_res / ms_seed) if ms_seed > 0 else 0.0
    return math.sqrt(s / (s - 1) * keep)


def slow_paired(a, b, level, n_boot, seed):
    """Loop version of the documented scheme, reading the same three random streams."""
    p = len(a[0])
    child_a, child_b = np.random.SeedSequence(seed).spawn(2)
    u_p = np.random.default_rng(seed).random((n_boot, p))
    u_a = np.random.default_rng(child_a).random((n_boot, len(a)))
    u_b = np.random.default_rng(child_b).random((n_boot, len(b)))

    def fitted(x):  # x̃[s][p] = problem mean + λ·(seed mean − grand mean)
        s, lam = len(x), slow_shrinkage(x)
        grand = sum(map(sum, x)) / (s * p)
        return [[sum(x[i][j] for i in range(s)) / s + lam * (sum(x[r]) / p - grand) for j in range(p)] for r in range(s)]

    fa, fb = fitted(a), fitted(b)
    deltas = []
    for r in range(n_boot):
        probs = [min(int(u * p), p - 1) for u in u_p[r]]
        sa = [min(int(u * len(a)), len(a) - 1) for u in u_a[r]]
        sb = [min(int(u * len(b)), len(b) - 1) for u in u_b[r]]
        mean_a = sum(fa[i][j] for i in sa for j in probs) / (len(sa) * p)
        mean_b = sum(fb[i][j] for i in sb for j in probs) / (len(sb) * p)
        deltas.append(mean_a - mean_b)
    delta = sum(map(sum, a)) / (len(a) * p) - sum(map(sum, b)) / (len(b) * p)
    se = float(np.std(deltas, ddof=1))
    p_value = 2 * NormalDist().cdf(-abs(delta) / se) if se > 0 else float(delta == 0)
    low, high = np.quantile(deltas, [(1 - level) / 2, (1 + level) / 2])
    return np.array(deltas), delta, low, high, se, p_value


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 7), st.integers(0, 2**31), st.sampled_from([0.8, 0.95]))
def test_bootstrap_matches_slow_loop(s_a, s_b, p, seed, level):
    rng = np.random.default_rng(seed)
    a, b = rng.random((s_a, p)), rng.random((s_b, p)) + rng.normal(0, 0.3, (s_b, 1))
    want_t, delta, low, high, se, p_value = slow_paired(a.tolist(), b.tolist(), level, 60, seed)
    np.testing.assert_allclose(resampled_deltas(a, b, n_boot=60, seed=seed)[:, 0], want_t, atol=1e-12)
    got = paired_bootstrap(a, b, level=level, n_boot=60, seed=seed)
    np.testing.assert_allclose([got.delta, got.low, got.high, got.se, got.p], [delta, low, high, se, p_value], atol=1e-10)
    assert (got.n_problems, got.seeds_a, got.seeds_b) == (p, s_a, s_b)


def test_chunking_and_stacking_do_not_change_draws(monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.random((2, 3, 40)), rng.random((2, 4, 40))
    def numbers(results):  # matrix products of other shapes may round differently in the last bit
        return np.array([[r.delta, r.low, r.high, r.p, r.se] for r in results])

    many = paired_bootstrap_many(a, b, n_boot=300, seed=5)
    np.testing.assert_allclose(numbers(many), numbers(paired_bootstrap(a[i], b[i], n_boot=300, seed=5) for i in range(2)),
                               rtol=1e-12)
    monkeypatch.setattr(paired, "_CHUNK_ELEMENTS", 40 * 7)  # 7 resamples per chunk, ragged end
    np.testing.assert_allclose(numbers(paired_bootstrap_many(a, b, n_boot=300, seed=5)), numbers(many), rtol=1e-12)
    assert not np.allclose(numbers(paired_bootstrap_many(a, b, n_boot=300, seed=6)), numbers(many))


def test_one_seed_each_is_the_stats_bootstrap_of_differences():
    """With nothing to resample over seeds, the CI is stats.bootstrap_ci of the per-problem differences."""
    rng = np.random.default_rng(4)
    a, b = rng.random((1, 50)), rng.random((1, 50))
    got = paired_bootstrap(a, b, level=0.9, n_boot=500, seed=11)
    np.testing.assert_allclose((got.low, got.high), bootstrap_ci(a[0] - b[0], level=0.9, n_boot=500, seed=11), atol=1e-12)


def test_bootstrap_variance_matches_crossed_design_formula():
    """Gaussian crossed design with known components: SE*² ≈ V_prob/P + Σσ²_seed/S + Σσ²_cell/(S·P)."""
    rng = np.random.default_rng(0)
    s, p, sd_prob, sd_seed, sd_cell = 6, 400, 0.1, 0.02, 0.3
    shared = rng.normal(0, 1, p)  # problem difficulty, common to both methods: cancels in Δ
    boot, moments = [], []
    for rep in range(40):
        a = shared + rng.normal(0, sd_prob, p) + rng.normal(0, sd_seed, (s, 1)) + rng.normal(0, sd_cell, (s, p))
        b = shared + rng.normal(0, sd_seed, (s, 1)) + rng.normal(0, sd_cell, (s, p))
        want = sd_prob**2 / p + 2 * sd_seed**2 / s + 2 * sd_cell**2 / (s * p)
        boot.append(paired_bootstrap(a, b, n_boot=500, seed=rep).se ** 2 / want)
        moments.append(variance_components(a, b).var(s, s, p) / want)
    assert np.mean(boot) == pytest.approx(1.0, abs=0.15)
    assert np.mean(moments) == pytest.approx(1.0, abs=0.15)
    assert np.mean(np.array(boot) / np.array(moments)) == pytest.approx(1.0, abs=0.05)  # same quantity, resampled


# ---- planted differences and the null ------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31))
def test_planted_difference_is_detected(seed):
    rng = np.random.default_rng(seed)
    q = rates(rng, 60)
    better = np.clip(q + 0.15, 0, 0.99)
    c_a, c_b = counts(rng, better, 3, 32), counts(rng, q, 3, 32)
    r1, r4 = compare_counts(c_a, 32, c_b, 32, [1, 4], n_boot=1000, seed=seed)
    assert r1.low > 0 and r1.p < 1e-3 and r1.delta > 0.08
    assert r4.delta > 0 and r1.low < np.mean(better - q) < r1.high + 0.05


def test_planted_difference_ci_covers_truth():
    rng = np.random.default_rng(7)
    q = rates(rng, 60)
    better = np.clip(q + 0.15, 0, 0.99)
    r = compare_counts(counts(rng, better, 3, 32), 32, counts(rng, q, 3, 32), 32, [1], n_boot=2000, seed=0)[0]
    assert r.low < np.mean(better - q) < r.high
    assert r.low > 0


def rejection_rate(draws, seeds, seed_sd, problems_only=False):
    rng = np.random.default_rng(123)
    rejected = 0
    for t in range(draws):
        q = rates(rng, 30)
        a = seed_pass_at_k(counts(rng, q, seeds, 16, seed_sd), 16, [1])[0]
        b = seed_pass_at_k(counts(rng, q, seeds, 16, seed_sd), 16, [1])[0]
        if problems_only:
            low, high = bootstrap_ci(a.mean(axis=0) - b.mean(axis=0), n_boot=400, seed=t)
            rejected += low > 0 or high < 0
        else:
            rejected += paired_bootstrap(a, b, n_boot=400, seed=t).p < 0.05
    return rejected


def test_identical_methods_reject_at_about_the_nominal_rate():
    """200 identical synthetic pairs (30 problems, 2 seeds each): rejections within a 99.8 % binomial band of α."""
    low, high = binom.interval(0.998, 200, 0.05)
    assert low <= rejection_rate(200, seeds=2, seed_sd=0.0) <= high


def test_a_lucky_seed_is_not_an_effect():
    """Seed effects, identical methods: problems-only resampling calls most pairs different; ours stays near α."""
    ours = rejection_rate(100, seeds=5, seed_sd=0.5)
    naive = rejection_rate(100, seeds=5, seed_sd=0.5, problems_only=True)
    assert ours <= 20 and naive >= 35


# ---- p-values, Holm ------------------------------------------------------------------------


def test_z_p_values():
    np.testing.assert_allclose(z_p([1.959963984540054, 0.0, -1.0], [1.0, 1.0, 1.0]), [0.05, 1.0, 0.3173105078629141])
    np.testing.assert_array_equal(z_p([0.0, 0.2], [0.0, 0.0]), [1.0, 0.0])
    assert z_p(10.0, 1.0) == pytest.approx(1.5239706e-23, rel=1e-6)  # no floor from the resample count


def test_holm_hand_computed():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])
    assert holm([]).size == 0
    with pytest.raises(ValueError, match="lie in"):
        holm([0.2, 1.5])


def slow_holm(p):
    m, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_matches_loop_and_never_lowers_p(p):
    got = holm(p)
    np.testing.assert_allclose(got, slow_holm(p), rtol=1e-12, atol=0)
    assert np.all(got >= np.asarray(p))


def former_holm(p):
    """divrl's own vectorised Holm before statsmodels replaced it (finite p only)."""
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((p.size - np.arange(p.size)) * p[order]))
    out = np.empty(p.size)
    out[order] = adj
    return out


@settings(max_examples=300)
@given(st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.0125, 0.025, 0.05, 0.5, 1.0])), min_size=1,
                max_size=60))
def test_holm_from_statsmodels_is_bit_identical_to_the_former_implementation(p):
    """Ties included: the compare.md p (Holm) column must not move by one ulp with the library."""
    np.testing.assert_array_equal(holm(p), former_holm(p))


# ---- power ---------------------------------------------------------------------------------


def test_required_seeds_hand_computed():
    v = Variance(problem=0.01, seed_a=4e-4, cell_a=0.02, seed_b=4e-4, cell_b=0.02)
    # SE*² = (0.02 / (1.95996 + 0.84162))² = 5.0964e-5; room = SE*² − 0.01/500 = 3.0964e-5;
    # per-seed need = 8e-4 + 0.04/500 = 8.8e-4 → S = ceil(28.42) = 29.
    assert required_seeds(v, 0.02, 500) == 29
    assert paired_power.power(v, 0.02, 29, 29, 500) >= 0.8 > paired_power.power(v, 0.02, 28, 28, 500)
    # base fixed: only the method's seed terms scale: (4e-4 + 0.02/500) / room → ceil(14.21) = 15
    fixed = Variance(problem=0.01, seed_a=4e-4, cell_a=0.02, seed_b=0.0, cell_b=0.0)
    assert required_seeds(fixed, 0.02, 500, b_fixed=True) == 15
    assert required_seeds(v, 0.02, 100) == math.inf  # 0.01/100 alone exceeds SE*²
    assert math.isnan(required_seeds(Variance(0.01, math.nan, math.nan, 0.0, 0.0), 0.02, 500))
    # problems at 8 seeds each: (0.01 + 0.04/8) / (5.0964e-5 − 8e-4/8) < 0 room → inf; at 40 seeds: finite
    assert required_problems(v, 0.02, 8, 8) == math.inf
    want = math.ceil((0.01 + 0.04 / 40) / ((0.02 / 2.801585) ** 2 - 8e-4 / 40))
    assert required_problems(v, 0.02, 40, 40) == want


@given(st.floats(1e-4, 0.05), st.floats(1e-5, 1e-3), st.floats(1e-3, 0.1), st.floats(0.01, 0.2))
def test_required_seeds_reach_target_power(problem, seed_var, cell, effect):
    v = Variance(problem, seed_var, cell, seed_var, cell)
    s = required_seeds(v, effect, 500)
    if math.isfinite(s):
        assert paired_power.power(v, effect, s, s, 500) >= 0.8 - 1e-9
        if s > 2:
            assert paired_power.power(v, effect, s - 1, s - 1, 500) < 0.8 + 1e-6


def test_variance_components_one_seed_and_fixed_base():
    rng = np.random.default_rng(0)
    a, base = rng.random((3, 20)), rng.random((1, 20))
    v = variance_components(a, base, b_fixed=True)
    assert v.seed_b == v.cell_b == 0.0 and v.problem >= 0 and v.cell_a > 0
    lone = variance_components(a[:1], a)
    assert math.isnan(lone.seed_a) and math.isnan(lone.cell_a) and math.isnan(lone.problem)


# ---- gains, losses, pass@1 change ----------------------------------------------------------


def test_gains_losses_hand_made():
    base = [0, 1, 2, 0]
    method = [[0, 0, 0, 1], [0, 0, 3, 0]]  # pooled: 0, 0, 3, 1
    got = gains_losses(method, base)
    assert got == {"gained": 1, "lost": 1, "net": 0, "solvable_by_base": 2, "gained_per_seed": 0.5, "lost_per_seed": 1.5}
    np.testing.assert_allclose(pass1_change(method, 4, base, 4), [0.0, -0.25, -0.125, 0.125])


@given(st.integers(1, 4), st.integers(1, 8), st.integers(0, 2**31))
def test_gains_losses_match_loop(seeds, p, seed):
    rng = np.random.default_rng(seed)
    c, base = rng.integers(0, 3, (seeds, p)) * rng.integers(0, 2, (seeds, p)), rng.integers(0, 2, p)
    got = gains_losses(c, base)
    pooled = [sum(c[s][j] for s in range(seeds)) for j in range(p)]
    assert got["gained"] == sum(1 for j in range(p) if base[j] == 0 and pooled[j] > 0)
    assert got["lost"] == sum(1 for j in range(p) if base[j] > 0 and pooled[j] == 0)
    assert got["net"] == got["gained"] - got["lost"]
    assert got["lost_per_seed"] >= got["lost"]  # a problem no seed solves is lost by every seed


def test_pass1_change_is_pass_at_1_difference():
    rng = np.random.default_rng(2)
    c, base = rng.integers(0, 9, (3, 5)), rng.integers(0, 9, 5)
    want = [np.mean([pass_at_k(8, int(c[s, j]), 1) for s in range(3)]) - pass_at_k(8, int(base[j]), 1) for j in range(5)]
    np.testing.assert_allclose(pass1_change(c, 8, base, 8), want)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="share K and the problem axis"):
        paired_bootstrap(np.zeros((2, 5)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="at least 2 problems"):
        paired_bootstrap(np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="finite"):
        paired_bootstrap(np.full((2, 3), np.nan), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method has 3 problems but base has 4"):
        gains_losses(np.zeros((1, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="exceeds"):
        seed_pass_at_k(np.zeros((1, 3), int), 4, [8])
