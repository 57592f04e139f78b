"""Registry-wide properties on the inputs float32 and real samplers produce: all-equal
groups of any size and value (issue #12.1), and log-probabilities that are −inf or NaN
(issue #13.8). Every registered method is covered automatically."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.ds import finite_logp

D = 4
reward_values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)


def group_inputs(rewards: torch.Tensor, logp: torch.Tensor) -> GroupInputs:
    n = rewards.numel()
    g = torch.Generator().manual_seed(n)
    return GroupInputs(
        correct=rewards >= 1.0,
        logp_old=logp,
        embeddings=torch.rand(n, D, generator=g) + 0.01,
        lengths=torch.randint(1, 17, (n,), generator=g),
        max_length=16,
    )


def usable(name: str, size: int):
    """The method with its defaults, or None when they do not fit a group of `size` (e.g. pkpo's k=4 > G=2)."""
    m = methods.get(name)
    try:
        m.validate({}, size)
    except ValueError:
        return None
    return m


@pytest.mark.parametrize("name", methods.names())
@settings(max_examples=40, deadline=None)
@given(size=st.integers(2, 64), value=reward_values, seed=st.integers(0, 1000))
def test_all_equal_group_is_exactly_zero_in_float32(name, size, value, seed):
    """rewards - mean(rewards) is not 0 in float32 for most G ≥ 5 (eight 0.1 → −7e-9); the gate must be exact."""
    m = usable(name, size)
    if m is None:
        return
    r = torch.full((size,), value, dtype=torch.float32)
    logp = -torch.rand(size, generator=torch.Generator().manual_seed(seed)) * 10
    adv = m.group_advantages(r, group_inputs(r, logp))
    assert torch.isfinite(adv).all()
    if m.acts_on_uniform_groups:
        assert abs(float(adv.mean())) < 1e-4 * max(1.0, abs(value))
    else:
        assert torch.all(adv == 0), (size, value, adv)


def test_ds_leaves_formatted_wrong_groups_alone():
    """The case the float32 bug hit: eight formatted-but-wrong answers (reward 0.1)."""
    r = torch.full((8,), 0.1)
    assert (r - r.mean() != 0).any()  # the rounding that made `adv == 0` fail
    adv = methods.get("ds").group_advantages(r, group_inputs(r, -torch.arange(1.0, 9.0)))
    assert torch.all(adv == 0)


bad_logp = st.sampled_from([float("-inf"), float("nan"), float("inf")])


@pytest.mark.parametrize("name", methods.names())
@settings(max_examples=25, deadline=None)
@given(
    rewards=st.lists(st.sampled_from([0.0, 0.1, 1.0]), min_size=6, max_size=6),
    bad=st.lists(st.one_of(bad_logp, st.floats(-50, 0)), min_size=6, max_size=6),
)
def test_non_finite_log_probs_give_finite_advantages(name, rewards, bad):
    r = torch.tensor(rewards)
    adv = methods.get(name).group_advantages(r, group_inputs(r, torch.tensor(bad)))
    assert torch.isfinite(adv).all(), adv


def test_finite_logp_uses_the_least_likely_finite_completion():
    out = finite_logp(torch.tensor([-1.0, float("-inf"), -7.0, float("nan"), float("inf")]))
    torch.testing.assert_close(out, torch.tensor([-1.0, -7.0, -7.0, -7.0, 0.0]))
    assert torch.all(finite_logp(torch.full((3,), float("-inf"))) == 0)


@pytest.mark.parametrize("key", ["gamma_p", "gamma_n"])
def test_negative_ds_gamma_is_refused(key):
    with pytest.raises(ValueError, match=f"{key}=-0.1 must be ≥ 0"):
        methods.get("ds").validate({key: -0.1}, 8)


def test_integer_hyperparameters_refuse_floats():
    with pytest.raises(ValueError, match="k=9.0 should be int"):
        methods.get("pkpo").validate({"k": 9.0}, 16)
    assert methods.get("ds").params({"gamma_p": 1})["gamma_p"] == 1  # an int where a float is the default is fine
