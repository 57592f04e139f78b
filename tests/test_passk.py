import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divrl.metrics import k_grid, pass_at_k, pass_at_k_many


def reference(n, c, k):
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def test_matches_math_comb_for_all_small_n():
    for n in range(1, 31):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(reference(n, c, k), abs=1e-12)


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n), min_size=1, max_size=20), st.integers(1, n))))
def test_vectorised_equals_scalar(args):
    n, counts, k = args
    got = pass_at_k_many(n, counts, k)
    want = [pass_at_k(n, c, k) for c in counts]
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_large_n_is_stable_and_exact_at_k_equals_n():
    # 8192 samples as in the DS paper: binomials would overflow floats
    assert pass_at_k(8192, 1, 8192) == 1.0
    assert pass_at_k(8192, 0, 8192) == 0.0
    v = pass_at_k_many(8192, [0, 1, 5, 8192], 1024)
    assert np.all(np.isfinite(v)) and v[0] == 0.0 and v[-1] == 1.0
    assert v[1] == pytest.approx(1024 / 8192)


@pytest.mark.parametrize(
    "n,c,k,word",
    [(4, 1, 5, "exceeds"), (4, 5, 1, "cannot exceed"), (-1, 0, 1, "non-negative"), (4, -1, 1, "non-negative"), (4, 1, 0, "at least 1")],
)
def test_bad_arguments_give_clear_errors(n, c, k, word):
    with pytest.raises(ValueError, match=word):
        pass_at_k(n, c, k)


def test_vectorised_rejects_k_above_n():
    with pytest.raises(ValueError, match="k=9 exceeds the n=8"):
        pass_at_k_many(8, [1, 2], 9)


def test_k_grid_is_powers_of_two_ending_at_n():
    assert k_grid(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert k_grid(100) == [1, 2, 4, 8, 16, 32, 64, 100]
    assert k_grid(1) == [1]
