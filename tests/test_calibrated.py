"""The calibrated comparison (metrics/calibrated.py, calibrated_power.py): exact small cases
against scipy's textbook tests, the method × problem term by hand, false-positive rates on
seeded synthetic runs, and power that reaches its target."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from divrl.metrics import calibrated, calibrated_power
from divrl.metrics.calibrated import Runs, compare_one


def additive(run_means, problems=7, seed=0):
    """[1, R, P] values m_r + a_p: no run × problem interaction, so the method × problem term is 0."""
    a = np.random.default_rng(seed).normal(0, 0.1, problems)
    a -= a.mean()
    return np.asarray(run_means, dtype=float)[None, :, None] + a[None, None, :]


def runs(values, bases=None, seeds=None):
    r = values.shape[1]
    return Runs(values, tuple(bases or [0] * r), tuple(seeds if seeds is not None else range(r)))


RATE = st.integers(0, 1000).map(lambda i: i / 1000)  # pass@k values on a grid (no 1e-115 underflow games)


@given(st.lists(RATE, min_size=2, max_size=6), st.lists(RATE, min_size=2, max_size=6))
@settings(max_examples=60, deadline=None)
def test_one_base_is_welch_on_run_means(xa, xb):
    if np.ptp(xa) == 0 and np.ptp(xb) == 0:
        return  # no variance at all: scipy's t is undefined
    got = compare_one(runs(additive(xa)), runs(additive(xb, seed=0)), 0)
    want = stats.ttest_ind(xa, xb, equal_var=False)
    assert got.scheme == "welch"
    assert got.delta == pytest.approx(np.mean(xa) - np.mean(xb), abs=1e-12)
    assert got.p == pytest.approx(want.pvalue, rel=1e-6, abs=1e-12)
    assert got.df == pytest.approx(want.df, rel=1e-9)
    ci = want.confidence_interval(0.95)
    assert (got.low, got.high) == pytest.approx((ci.low, ci.high), rel=1e-6, abs=1e-12)


def test_coupled_seeds_are_a_paired_t():
    xa, xb = [0.31, 0.42, 0.35, 0.50], [0.30, 0.37, 0.36, 0.44]
    got = compare_one(runs(additive(xa)), runs(additive(xb)), 0, paired_seeds=True)
    want = stats.ttest_rel(xa, xb)
    assert got.scheme == "paired" and got.df == 3
    assert got.p == pytest.approx(want.pvalue, rel=1e-9)
    # pairing is by seed label, not by position
    shuffled = runs(additive(xb)[:, [2, 0, 3, 1]], seeds=[2, 0, 3, 1])
    assert compare_one(runs(additive(xa)), shuffled, 0, paired_seeds=True).p == pytest.approx(want.pvalue, rel=1e-9)
    # uncoupled runs are never paired
    assert compare_one(runs(additive(xa)), runs(additive(xb)), 0).scheme == "welch"


def test_several_bases_are_a_t_on_the_per_base_differences():
    # base b: X's runs, Y's runs (two seeds each, different counts allowed)
    xa = {0: [0.30, 0.34], 1: [0.50, 0.46], 2: [0.40, 0.41]}
    xb = {0: [0.29, 0.31], 1: [0.47, 0.45], 2: [0.35, 0.43]}
    flat = lambda d: [v for b in sorted(d) for v in d[b]]  # noqa: E731
    label = lambda d: [b for b in sorted(d) for _ in d[b]]  # noqa: E731
    a = runs(additive(flat(xa)), bases=label(xa), seeds=[0, 1] * 3)
    b = runs(additive(flat(xb)), bases=label(xb), seeds=[0, 1] * 3)
    got = compare_one(a, b, 0)
    per_base = [np.mean(xa[k]) - np.mean(xb[k]) for k in sorted(xa)]
    want = stats.ttest_1samp(per_base, 0.0)
    assert got.scheme == "bases" and got.bases == 3 and got.df == 2
    assert got.delta == pytest.approx(np.mean(per_base))
    assert got.p == pytest.approx(want.pvalue, rel=1e-9)


def test_against_a_fixed_base_model_only_the_method_varies():
    xa, base = [0.40, 0.45, 0.43], 0.38
    got = compare_one(runs(additive(xa)), runs(additive([base]), seeds=[None]), 0, fixed_b=True)
    want = stats.ttest_1samp(xa, base)
    assert got.scheme == "welch" and got.df == 2
    assert got.p == pytest.approx(want.pvalue, rel=1e-9)


def test_method_by_problem_term_by_hand():
    # X: two runs, Y: two runs, 3 problems; d_p = (0.1, -0.1, 0.3) with no run-level noise
    a = np.array([[[0.6, 0.4, 0.8], [0.6, 0.4, 0.8]]])
    b = np.array([[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]])
    got = compare_one(runs(a), runs(b), 0)
    v = np.var([0.1, -0.1, 0.3], ddof=1)  # 0.04
    assert got.problem_var == pytest.approx(v)
    assert got.se == pytest.approx(math.sqrt(v / 3))
    assert got.df == 1  # the run terms are 0: their smallest df


def test_one_run_cannot_be_tested():
    one = compare_one(runs(additive([0.4])), runs(additive([0.3, 0.35])), 0)
    assert one.scheme == "none" and math.isnan(one.p) and math.isnan(one.low)
    assert "one run of X" in one.why
    assert one.delta == pytest.approx(0.4 - 0.325)


def test_published_checkpoint_with_no_shared_base_pools_the_runs():
    a = runs(additive([0.4, 0.5]), bases=[None, None])
    b = runs(additive([0.3, 0.35, 0.32, 0.31]), bases=[0, 0, 1, 1])
    got = compare_one(a, b, 0)
    assert got.bases == 1 and got.scheme == "welch" and got.runs_b == 4


def synthetic(rng, bases, seeds, seed_sd, inter_sd, problems=40, n=32):
    q = np.clip(rng.beta(0.6, 1.5, problems), 0.02, 0.98)
    logit = np.log(q / (1 - q))
    out = []
    for _ in range(2):  # two methods, identical in distribution
        vals, labels = [], []
        for b in range(bases):
            w = rng.normal(0, inter_sd)
            for s in range(seeds):
                vals.append(rng.binomial(n, 1 / (1 + np.exp(-(logit + w + rng.normal(0, seed_sd))))) / n)
                labels.append(b)
        out.append(Runs(np.array(vals)[None], tuple(labels), tuple(range(len(vals)))))
    return out


@pytest.mark.parametrize("bases, seeds, seed_sd, inter_sd", [(1, 2, 0.5, 0.0), (1, 3, 0.3, 0.0), (1, 8, 1.0, 0.0),
                                                             (2, 2, 0.3, 0.5), (4, 2, 0.5, 0.3)])
def test_identical_methods_reject_at_most_at_the_nominal_rate(bases, seeds, seed_sd, inter_sd):
    """Seeded, so deterministic: 600 identical pairs; the old bootstrap z-test rejected 10–14 % here."""
    rng = np.random.default_rng(bases * 100 + seeds)
    p = [compare_one(*synthetic(rng, bases, seeds, seed_sd, inter_sd), 0).p for _ in range(600)]
    assert np.mean(np.array(p) < 0.05) <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 600)


def test_power_reaches_its_target_and_one_fewer_does_not():
    r = compare_one(runs(additive([0.30, 0.36, 0.33])), runs(additive([0.29, 0.31, 0.35])), 0)
    need = calibrated_power.needed(r, 0.02)
    assert math.isfinite(need) and need >= 2
    design = lambda s: calibrated_power._design(r, s, s, False)  # noqa: E731
    assert calibrated_power._power(design(int(need)), 0.02, 0.05) >= 0.8
    assert calibrated_power._power(design(int(need) - 1), 0.02, 0.05) < 0.8 or need == 2
    assert math.isnan(calibrated_power.needed(compare_one(runs(additive([0.4])), runs(additive([0.3, 0.3])), 0), 0.02))


def test_power_now_matches_a_noncentral_t_by_hand():
    xa, xb = [0.30, 0.36, 0.33], [0.29, 0.31, 0.35]
    r = compare_one(runs(additive(xa)), runs(additive(xb)), 0)
    se = math.sqrt(np.var(xa, ddof=1) / 3 + np.var(xb, ddof=1) / 3)
    q = stats.t.ppf(0.975, r.df)
    want = stats.nct.sf(q, r.df, 0.05 / se) + stats.nct.cdf(-q, r.df, 0.05 / se)
    assert calibrated_power.power_now(r, 0.05) == pytest.approx(want, rel=1e-9)


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="share the problems"):
        compare_one(runs(np.zeros((1, 2, 5))), runs(np.zeros((1, 2, 6))), 0)
    with pytest.raises(ValueError, match="finite"):
        runs(np.full((1, 2, 3), np.nan))
    with pytest.raises(ValueError, match="2 runs but 1 base"):
        Runs(np.zeros((1, 2, 3)), (0,), (0, 1))
    with pytest.raises(ValueError, match="share K"):
        calibrated.compare_many(runs(np.zeros((2, 2, 3))), runs(np.zeros((1, 2, 3))))
