"""Holm's correction and the per-problem change against base (metrics/multitest.py, metrics/per_problem.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.metrics.multitest import holm
from divrl.metrics.passk import pass_at_k, seed_pass_at_k
from divrl.metrics.per_problem import gains_losses, pass1_change


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
    with pytest.raises(ValueError, match="method has 3 problems but base has 4"):
        gains_losses(np.zeros((1, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="exceeds"):
        seed_pass_at_k(np.zeros((1, 3), int), 4, [8])
