"""pass@k under sequential sampling (stop at r correct samples or at the cap) is unbiased.

The exactness test enumerates every 0/1 sequence of length cap (the tail after a stop is
generated and ignored, as a round that overshoots would), so it checks the estimator and
stop_index together, with exact rational arithmetic.
"""

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from divrl.metrics.passk import pass_at_k

from divrl.metrics.sequential import pass_at_k_sequential
from divrl.metrics.sequential import pass_at_k_sequential_many, stop_index


def exact_fail_estimate(drawn, correct, k, r):
    """Independent slow 1 − pass@k: the issue's binomial formulas, as Fractions."""
    if correct == r:
        if drawn - 1 - k < r - 1:
            return Fraction(0)
        return Fraction(math.comb(drawn - 1 - k, r - 1), math.comb(drawn - 1, r - 1))
    return Fraction(math.comb(drawn - correct, k), math.comb(drawn, k))


def path_statistics(cap, r):
    """Counter over every 0/1 sequence of length cap: (drawn, correct, ones in the whole sequence)."""
    counts = Counter()
    for seq in itertools.product((0, 1), repeat=cap):
        drawn, correct = stop_index(seq, r, cap=cap)
        counts[drawn, correct, sum(seq)] += 1
    return counts


def expectation(counts, cap, p, estimate):
    return sum(times * p**ones * (1 - p) ** (cap - ones) * estimate(drawn, correct)
               for (drawn, correct, ones), times in counts.items())


@pytest.mark.parametrize("cap", range(1, 11))
def test_exactly_unbiased_for_every_p_by_enumerating_every_path(cap):
    # E[estimate] and 1 − (1 − p)^k are polynomials of degree ≤ cap in p; equal at cap + 2
    # distinct p they are the same polynomial, so this proves unbiasedness for every p.
    ps = [Fraction(j, cap + 1) for j in range(cap + 2)]
    for r in range(1, 5):
        counts = path_statistics(cap, r)
        for k in range(1, cap + 1):
            for p in ps:
                got = expectation(counts, cap, p, lambda n, c: 1 - exact_fail_estimate(n, c, k, r))
                assert got == 1 - (1 - p) ** k, (cap, r, k, p)
            stats = sorted({(drawn, correct) for drawn, correct, _ in counts})
            want = [1 - float(exact_fail_estimate(drawn, correct, k, r)) for drawn, correct in stats]
            # the float functions are that formula, to rounding
            assert [pass_at_k_sequential(n, c, k, r) for n, c in stats] == pytest.approx(want, rel=1e-13, abs=1e-15)
            np.testing.assert_allclose(pass_at_k_sequential_many(*zip(*stats), k, r), want, rtol=1e-13, atol=1e-15)


def test_the_exact_test_catches_a_biased_estimator():
    # Chen's estimator applied to (N, r) as if N had been fixed in advance is biased upward:
    # the enumeration must see that, or it could not see a wrong formula either.
    cap, r, k, p = 8, 2, 2, Fraction(1, 3)
    counts = path_statistics(cap, r)
    naive = expectation(counts, cap, p, lambda n, c: Fraction(math.comb(n - c, k), math.comb(n, k)) if k <= n else Fraction(0))
    assert 1 - naive != 1 - (1 - p) ** k


def rank(rows):
    """Rank of a matrix of Fractions by Gaussian elimination."""
    rows, rank_ = [list(row) for row in rows], 0
    for col in range(len(rows[0])):
        pivot = next((i for i in range(rank_, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank_], rows[pivot] = rows[pivot], rows[rank_]
        for i in range(len(rows)):
            if i != rank_ and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank_][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank_])]
        rank_ += 1
    return rank_


@pytest.mark.parametrize("cap", [1, 3, 6, 8])
def test_the_statistic_is_complete_so_the_estimator_is_the_only_unbiased_one(cap):
    # cap + 1 values of (drawn, correct) whose probabilities, as polynomials in p, are linearly
    # independent: no non-zero function of them has mean 0 for every p (Lehmann–Scheffé).
    ps = [Fraction(j, cap + 1) for j in range(cap + 1)]
    for r in range(1, 5):
        counts = path_statistics(cap, r)
        stats = sorted({(drawn, correct) for drawn, correct, _ in counts})
        assert len(stats) == cap + 1
        probability = [[sum(t * p**ones * (1 - p) ** (cap - ones) for (n, c, ones), t in counts.items() if (n, c) == s)
                        for p in ps] for s in stats]
        assert rank(probability) == cap + 1


def test_reduces_to_chen_when_the_cap_is_reached():
    for n in range(1, 40):
        for r in range(1, 8):
            for c in range(min(r - 1, n) + 1):
                for k in range(1, n + 1):
                    assert pass_at_k_sequential(n, c, k, r) == pytest.approx(pass_at_k(n, c, k), abs=1e-12)


def test_a_stopped_problem_is_chen_on_the_samples_before_the_stop():
    for r in range(1, 8):
        for n in range(r, 60):
            for k in range(1, n):
                assert pass_at_k_sequential(n, r, k, r) == pytest.approx(pass_at_k(n - 1, r - 1, k), abs=1e-12)


def test_pass_at_1_is_haldanes_estimator():
    for r in range(2, 40):
        for n in range(r, 500, 7):
            assert pass_at_k_sequential(n, r, 1, r) == pytest.approx((r - 1) / (n - 1), rel=1e-13)
    assert pass_at_k_sequential(1, 1, 1, 1) == 1.0  # r = 1 stopping at once: (r−1)/(N−1) is 0/0


def test_k_past_a_stop_is_certain_and_tiny_values_keep_their_precision():
    assert pass_at_k_sequential(20, 5, 17, 5) == 1.0  # fewer than r − 1 positions after k: certain
    assert pass_at_k_sequential(20, 5, 100, 5) == 1.0
    assert pass_at_k_sequential(8192, 0, 8192, 16) == 0.0
    assert pass_at_k_sequential(8192, 1, 1, 16) == pytest.approx(1 / 8192, rel=1e-14)
    tiny = pass_at_k_sequential(10**9, 2, 1, 2)  # Haldane 1/(N−1) without 1 − (1 − x) cancellation
    assert tiny == pytest.approx(1 / (10**9 - 1), rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda r: st.tuples(
    st.just(r), st.integers(r, 400), st.integers(0, r), st.integers(1, 500))))
def test_matches_the_slow_binomial_formula(args):
    r, n, c, k = args
    assume(c == r or k <= n)  # k beyond a reached cap is an error, tested below
    want = 1 - float(exact_fail_estimate(n, c, k, r))
    assert pass_at_k_sequential(n, c, k, r) == pytest.approx(want, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30).flatmap(lambda r: st.tuples(
    st.just(r), st.lists(st.tuples(st.integers(r, 3000), st.integers(0, r)), min_size=1, max_size=30),
    st.integers(1, 3000))))
def test_vectorised_equals_scalar(args):
    r, rows, k = args
    rows = [(n, c) for n, c in rows if c == r or k <= n] or [(r, r)]
    n, c = zip(*rows)
    want = [pass_at_k_sequential(a, b, k, r) for a, b in rows]
    np.testing.assert_allclose(pass_at_k_sequential_many(n, c, k, r), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("r", [16, 32])
def test_unbiased_by_simulation_at_paper_size(r):
    # 8192-sample cap as in the DS Countdown evaluation; p from rarely to half solved.
    cap, reps = 8192, 20000
    rng = np.random.default_rng(20250 + r)
    for p in (1e-4, 1e-3, 1e-2, 0.1, 0.5):
        # positions of the first r correct samples: cumulative geometric gaps, exact in law
        positions = np.cumsum(rng.geometric(p, size=(reps, r)), axis=1)
        stopped = positions[:, -1] <= cap
        drawn = np.where(stopped, positions[:, -1], cap)
        correct = np.where(stopped, r, (positions <= cap).sum(axis=1))
        for k in (1, 8, 64, 512, 4096, 8192):
            est = pass_at_k_sequential_many(drawn, correct, k, r)
            truth = -math.expm1(k * math.log1p(-p))
            se = est.std() / math.sqrt(reps)
            assert abs(est.mean() - truth) <= 5 * se + 1e-12, (r, p, k, est.mean(), truth, se)


@pytest.mark.parametrize("round_size", [1, 3, 16, 100, 1000])
def test_rounds_that_overshoot_give_the_same_estimate(round_size):
    cap, r = 512, 4
    rng = np.random.default_rng(7)
    for p in (0.0, 0.003, 0.05, 0.6):
        sample_flags = rng.random(cap) < p  # a problem's samples are a function of their index
        generated = 0
        while generated < cap and sample_flags[:generated].sum() < r:
            generated += round_size  # the last round may run past the stop and past the cap
        flags = sample_flags[: min(generated, cap)]
        unbatched = stop_index(sample_flags, r, cap=cap)
        assert stop_index(flags, r, cap=cap) == unbatched
        for k in (1, 7, 64, cap):
            assert pass_at_k_sequential(*stop_index(flags, r, cap=cap), k, r) == pass_at_k_sequential(*unbatched, k, r)


def test_stop_index_counts_to_the_rth_correct_sample():
    assert stop_index([0, 1, 0, 1, 1, 1, 0], 3) == (5, 3)
    assert stop_index([0, 1, 0, 0], 3) == (4, 1)
    assert stop_index([1, 1, 1, 1], 2, cap=3) == (2, 2)
    assert stop_index([0, 1, 0, 0, 1, 1], 3, cap=4) == (4, 1)  # the cap cuts an overshooting round
    with pytest.raises(ValueError, match="short of the cap 8"):
        stop_index([0, 1, 0], 3, cap=8)


@pytest.mark.parametrize(
    "args,word",
    [((10, 2, 0, 3), "k must be at least 1"), ((10, 4, 1, 3), "correct cannot exceed stop_at"),
     ((2, 3, 1, 3), "correct cannot exceed drawn"), ((8, 1, 9, 3), "k exceeds the cap"),
     ((-1, 0, 1, 3), "non-negative"), ((10, 1, 1, 0), "stop_at"), ((10, 1, 1.5, 3), "k must be an integer")],
)
def test_bad_arguments_give_one_line_errors(args, word):
    with pytest.raises(ValueError, match=word) as err:
        pass_at_k_sequential(*args)
    assert "\n" not in str(err.value)


def test_vectorised_names_the_bad_problem():
    with pytest.raises(ValueError, match="k exceeds the cap.* at problem 1"):
        pass_at_k_sequential_many([100, 8, 9], [3, 1, 3], 9, 3)
