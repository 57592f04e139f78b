"""DAPO's soft overlong punishment (methods/backbones.py) gives TRL's numbers
(`trl.rewards.get_soft_overlong_punishment`, Eq. 13 of arXiv 2503.14476), scaled by
the penalty, for every length around the limit."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from trl.rewards import get_soft_overlong_punishment

from divrl.methods import GroupInputs
from divrl.methods.backbones import overlong_shaping


@st.composite
def limits_and_lengths(draw):
    max_len = draw(st.integers(1, 4096))
    cache = draw(st.integers(0, max_len))
    lengths = draw(st.lists(st.integers(0, max_len + 5), min_size=1, max_size=16))
    return max_len, cache, lengths


def ours(lengths, max_len, frac, penalty):
    lens = torch.tensor(lengths)
    inputs = GroupInputs(correct=torch.zeros(len(lengths), dtype=torch.bool), lengths=lens, max_length=max_len)
    zeros = torch.zeros(len(lengths), dtype=torch.float64)  # float64: compare the formula, not float32 rounding
    return overlong_shaping(zeros, inputs, overlong_buffer_frac=frac, overlong_penalty=penalty).tolist()


@settings(max_examples=300, deadline=None)
@given(limits_and_lengths(), st.floats(0.0, 10.0, allow_nan=False))
def test_equals_trls_soft_overlong_punishment_times_the_penalty(case, penalty):
    max_len, cache, lengths = case
    trl_values = get_soft_overlong_punishment(max_completion_len=max_len, soft_punish_cache=cache)([[0] * n for n in lengths])
    expected = [penalty * v for v in trl_values]
    assert ours(lengths, max_len, cache / max_len, penalty) == pytest.approx(expected, abs=1e-9)


def test_the_papers_setting_by_hand():
    """L_max = 20480, L_cache = 4096 (frac 0.2): 0 up to 16384, −0.5 half way, −1 at the limit."""
    got = ours([100, 16384, 18432, 20480], 20480, 0.2, 1.0)
    assert got == pytest.approx([0.0, 0.0, -0.5, -1.0], abs=1e-12)


def test_off_without_a_limit_or_a_penalty():
    assert ours([10, 20], 0, 0.2, 1.0) == [0.0, 0.0]
    assert ours([10, 20], 16, 0.2, 0.0) == [0.0, 0.0]
