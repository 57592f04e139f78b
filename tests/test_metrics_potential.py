import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from divrl.metrics.equations import countdown_equations
from divrl.metrics.potential import distinct_answers, div_equ, mean_at_k, potential_at_k
from divrl.tasks.countdown import canonical as countdown_canonical

unit = st.floats(0, 1, allow_nan=False)


def slow_pass_at_k(n, c, k):
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def slow_potential(passk, pass1):
    num = den = 0.0
    for pk, p1 in zip(passk, pass1):
        num += pk * (1 - p1)
        den += 1 - p1
    return num / den


def slow_mean_at_k(n, c, k):
    """Average accuracy over every k-subset of n samples (c of them correct), by enumeration."""
    samples = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(sum(samples[i] for i in s) / k for s in subsets) / len(subsets)


# ---- Potential@k -------------------------------------------------------------------------


def test_potential_matches_loop_on_exact_pass_at_k():
    n = 10
    counts = [0, 1, 3, 7, 10, 2]
    pass1 = [c / n for c in counts]
    for k in range(1, n + 1):
        passk = [slow_pass_at_k(n, c, k) for c in counts]
        assert potential_at_k(passk, pass1) == pytest.approx(slow_potential(passk, pass1), abs=1e-12)


@given(st.lists(st.tuples(unit, unit), min_size=1, max_size=30))
def test_potential_matches_loop(pairs):
    passk, pass1 = map(list, zip(*pairs))
    assume(sum(1 - p for p in pass1) > 1e-9)
    assert potential_at_k(passk, pass1) == pytest.approx(slow_potential(passk, pass1), rel=1e-9, abs=1e-12)


@given(st.lists(unit, min_size=1, max_size=30))
def test_potential_with_passk_equal_pass1_is_weighted_mean_of_pass1(pass1):
    w = [1 - p for p in pass1]
    assume(sum(w) > 1e-9)
    want = sum(p * wi for p, wi in zip(pass1, w)) / sum(w)
    assert potential_at_k(pass1, pass1) == pytest.approx(want, rel=1e-9, abs=1e-12)


@settings(max_examples=30)
@given(st.integers(1, 8), st.integers(1, 20), st.integers(0, 2**31))
def test_potential_many_k_equals_one_k_at_a_time(n_k, p, seed):
    rng = np.random.default_rng(seed)
    passk, pass1 = rng.random((n_k, p)), rng.random(p) * 0.99
    got = potential_at_k(passk, pass1)
    assert got.shape == (n_k,)
    np.testing.assert_allclose(got, [potential_at_k(row, pass1) for row in passk], rtol=1e-12)


def test_potential_ignores_solved_problems_and_is_nan_when_all_solved():
    assert potential_at_k([1.0, 0.5], [1.0, 0.0]) == 0.5
    assert math.isnan(potential_at_k([1.0, 1.0], [1.0, 1.0]))
    assert np.isnan(potential_at_k([[1.0], [1.0]], [1.0])).all()


@pytest.mark.parametrize(
    "passk,pass1,word",
    [
        ([0.5, 0.5], [0.5], "P=1"),
        ([[[0.5]]], [0.5], "K, P"),
        ([0.5], [[0.5]], "non-empty \\[P\\]"),
        ([], [], "non-empty"),
        ([1.5], [0.5], "passk values must lie in \\[0, 1\\]"),
        ([0.5], [-0.1], "pass1 values"),
        ([float("nan")], [0.5], "passk values"),
    ],
)
def test_potential_rejects_bad_input(passk, pass1, word):
    with pytest.raises(ValueError, match=word):
        potential_at_k(passk, pass1)


# ---- distinct answers (divrl's former "Div-Equ") ------------------------------------------


def slow_distinct_answers(problems, m, canon):
    shares = []
    for texts in problems:
        seen = []
        for t in itertools.islice(texts, m):
            try:
                key = "C:" + canon(t) if canon else "T:" + t.strip()
            except ValueError:
                continue  # no answer: never counted
            if key not in seen:
                seen.append(key)
        shares.append(len(seen) / m)
    return sum(shares) / len(shares)


texts = st.sampled_from(["1+2", "2+1", " 1+2 ", "3*1", "junk", "junk ", "(1+2)", "1 + 2", "4-1"])


@given(st.integers(1, 6).flatmap(lambda m: st.tuples(st.just(m), st.lists(st.lists(texts, min_size=m, max_size=m + 3), min_size=1, max_size=5))))
def test_distinct_answers_matches_loop_with_and_without_canonical(args):
    m, problems = args
    for canon in (None, countdown_canonical):
        assert distinct_answers(problems, m=m, canonical=canon) == pytest.approx(slow_distinct_answers(problems, m, canon))


def test_distinct_answers_uses_only_first_m_and_canonical_merges_rewrites():
    problems = [["1+2", "2+1", "junk", "junk ", "9*9"], ["5", "5", "5", "5"]]
    assert distinct_answers(problems, m=4) == pytest.approx((3 / 4 + 1 / 4) / 2)
    # with a parser, "junk" has no answer: 1 distinct answer (1+2 = 2+1) of 4 samples
    assert distinct_answers(problems, m=4, canonical=countdown_canonical) == pytest.approx((1 / 4 + 1 / 4) / 2)


def test_distinct_answers_errors():
    with pytest.raises(ValueError, match="problem 1 has 2 samples, fewer than m=3"):
        distinct_answers([["a", "b", "c"], ["a", "b"]], m=3)
    with pytest.raises(ValueError, match="no problems"):
        distinct_answers([], m=3)


# ---- Div-Equ (unique / all equations) ------------------------------------------------------


def test_div_equ_is_unique_over_all_equations_of_the_samples():
    # problem 0: A = [x=1, y=2, x=1, z=3] (x=1 restated in another sample), U = 3 → 3/4
    # problem 1: A = [a=b, a=b] → 1/2;   Div-Equ = (3/4 + 1/2) / 2
    problems = [["so $x = 1$ and $y=2$", "x=1\nthus z = 3"], ["$$a = b$$", "\\[a=b.\\]"]]
    got = div_equ(problems, m=2)
    assert got.per_problem == [pytest.approx(3 / 4), pytest.approx(1 / 2)]
    assert got.value == pytest.approx((3 / 4 + 1 / 2) / 2) and got.no_equations == 0


def test_div_equ_counts_equations_not_answers():
    # one final answer (\\boxed{3}) in both samples, but different derivations
    problems = [["$1 + 2 = 3$, \\boxed{3}", "$3 \\times 1 = 3$, \\boxed{3}"]]
    assert div_equ(problems, m=2).value == 1.0
    assert distinct_answers([["3", "3"]], m=2) == 0.5


def test_div_equ_skips_and_counts_problems_without_equations():
    got = div_equ([["no maths here", "none"], ["x=1", "x=1"], ["$a$", "b"]], m=2)
    assert got.per_problem == [None, 0.5, None]
    assert got.value == 0.5 and got.no_equations == 2
    nothing = div_equ([["junk", "more junk"]], m=2)
    assert math.isnan(nothing.value) and nothing.no_equations == 1


def test_div_equ_countdown_toy_expression_is_one_equation():
    problems = [["15-4+1", "15 - 4 + 1", "1+15-4", "junk"]]
    # whitespace is normalised, rewrites are not merged: 2 unique of 3 equations ("junk" has none)
    assert div_equ(problems, m=4, equations=countdown_equations).value == pytest.approx(2 / 3)


equation = st.sampled_from(["x=1", "y=2", "a+b=c", "2*3=6", "z=9", "q=0", "u=v"])


@settings(max_examples=60)
@given(st.lists(st.lists(equation, min_size=1, max_size=4), min_size=1, max_size=6), st.data())
def test_div_equ_duplicates_reduce_it_and_all_distinct_gives_one(samples, data):
    texts = ["\n".join(eqs) for eqs in samples]
    m = len(texts)
    flat = [e for eqs in samples for e in eqs]
    got = div_equ([texts], m=m).value
    assert got == pytest.approx(len(set(flat)) / len(flat))
    # a repeated sample adds equations, none new: Div-Equ drops (strictly, as |A| > 0)
    again = data.draw(st.sampled_from(texts))
    assert div_equ([texts + [again]], m=m + 1).value < got
    # every equation distinct (same shape of samples, renamed apart): 1
    names = iter(range(len(flat)))
    renamed = ["\n".join(f"v{next(names)}=1" for _ in eqs) for eqs in samples]
    assert div_equ([renamed], m=m).value == 1.0


def test_div_equ_errors():
    with pytest.raises(ValueError, match="problem 1 has 2 samples, fewer than m=3"):
        div_equ([["a", "b", "c"], ["a", "b"]], m=3)
    with pytest.raises(ValueError, match="no problems"):
        div_equ([], m=3)
    with pytest.raises(ValueError, match="at least 1"):
        div_equ([["a"]], m=0)


# ---- mean@k --------------------------------------------------------------------------------


def test_mean_at_k_equals_enumeration_over_subsets():
    for n in range(1, 8):
        for k in range(1, n + 1):
            counts = list(range(n + 1))
            got = mean_at_k(counts, n, k)
            np.testing.assert_allclose(got, [slow_mean_at_k(n, c, k) for c in counts], atol=1e-12)


@pytest.mark.parametrize(
    "counts,n,k,word",
    [([1], 4, 5, "k=5 must lie in 1..n=4"), ([1], 4, 0, "k=0"), ([5], 4, 1, "integers in \\[0, n=4\\]"),
     ([-1], 4, 1, "integers"), ([0.5], 4, 1, "integers"), ([[1]], 4, 1, "\\[P\\]"), ([1], 0, 1, "n must be")],
)
def test_mean_at_k_errors(counts, n, k, word):
    with pytest.raises(ValueError, match=word):
        mean_at_k(counts, n, k)
