"""The unlikeliness reward against the rule of He et al.'s released code.

Reference: github AndreHe02/rewarding-unlikely-release, `_compute_advantages` in
verl/trainer/ppo/ray_lean_trainer.py, with the script's `lean.rank_penalty=0.25`:
log π_old(y) is the masked per-token mean of the old log-probs; all G samples of a group
are ranked by it in ascending order (a double argsort: 0 = least likely); every score is
multiplied by 1 − β·rank/G; then (score − mean) / (unbiased std + ε).

The reference below is written from that description in plain Python loops. It breaks
ties by position (the code's argsort leaves them in an unspecified order); ours shares
the tie's mean rank, which equals the reference averaged over every order of the group
(`averaged_over_orders`).
"""

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.registry import EPS
from divrl.methods.unlikeliness import unlikeliness_rewards


# ----------------------------------------------------------------- the reference, slow
def official_scaled_rewards(rewards, logp, beta):
    """Every score times 1 − β·rank/G; rank = position in the ascending sort of logp."""
    g = len(rewards)
    order = sorted(range(g), key=lambda i: (logp[i], i))  # least likely first; ties by position
    rank = [0] * g
    for position, i in enumerate(order):
        rank[i] = position
    return [rewards[i] * (1 - beta * rank[i] / g) for i in range(g)]


def token_mean(token_logps, mask):
    kept = [lp for lp, m in zip(token_logps, mask) if m]
    return sum(kept) / len(kept)


def official_advantages(rewards, token_logps, masks, beta, eps):
    scores = official_scaled_rewards(rewards, [token_mean(t, m) for t, m in zip(token_logps, masks)], beta)
    g = len(scores)
    mean = sum(scores) / g
    std = (sum((s - mean) ** 2 for s in scores) / (g - 1)) ** 0.5  # torch.std: unbiased
    return [(s - mean) / (std + eps) for s in scores]


def averaged_over_orders(rewards, logp, beta):
    """The reference's result averaged over every order of the group (undone afterwards)."""
    g = len(rewards)
    total = [0.0] * g
    orders = list(itertools.permutations(range(g)))
    for perm in orders:
        out = official_scaled_rewards([rewards[p] for p in perm], [logp[p] for p in perm], beta)
        for position, p in enumerate(perm):
            total[p] += out[position]
    return [t / len(orders) for t in total]


# ----------------------------------------------------------------- against the reference
rewards_values = st.sampled_from([0.0, 0.1, 1.0])


def groups(sizes, rewards, logps, unique: bool = False):
    """(rewards, log-probs) of one group of a drawn size."""
    return sizes.flatmap(lambda g: st.tuples(st.lists(rewards, min_size=g, max_size=g),
                                             st.lists(logps, min_size=g, max_size=g, unique=unique)))


@settings(max_examples=60, deadline=None)
@given(groups(st.integers(2, 9), rewards_values | st.floats(-2, 2), st.floats(-30, 0), unique=True), st.floats(0, 1))
def test_scaled_rewards_match_the_code_without_ties(group, beta):
    rewards, logp = group
    got = unlikeliness_rewards(torch.tensor(rewards, dtype=torch.float64), torch.tensor(logp, dtype=torch.float64),
                               beta_rank=beta)
    torch.testing.assert_close(got, torch.tensor(official_scaled_rewards(rewards, logp, beta), dtype=torch.float64))


@settings(max_examples=40, deadline=None)
@given(groups(st.integers(2, 6), rewards_values, st.sampled_from([-3.0, -2.0, -1.0])), st.floats(0, 1))  # ties likely
def test_tied_log_probs_get_the_code_averaged_over_orders(group, beta):
    rewards, logp = group
    got = unlikeliness_rewards(torch.tensor(rewards, dtype=torch.float64), torch.tensor(logp, dtype=torch.float64),
                               beta_rank=beta)
    torch.testing.assert_close(got, torch.tensor(averaged_over_orders(rewards, logp, beta), dtype=torch.float64))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 8).flatmap(lambda g: st.tuples(
        st.lists(rewards_values, min_size=g, max_size=g),
        st.lists(st.integers(1, 6), min_size=g, max_size=g),  # completion lengths (padding after)
        st.integers(0, 10_000),
    )),
)
def test_advantages_from_token_log_probs_match_the_code(group):
    """Defaults end to end: token log-probs → per-token mean → rank → scale → GRPO."""
    from divrl.train.trainer import sequence_logp  # the reduction the trainer applies

    rewards, lengths, seed = group
    g, width = len(rewards), max(lengths)
    gen = torch.Generator().manual_seed(seed)
    token_logps = -torch.rand(g, width, generator=gen, dtype=torch.float64) * 5
    mask = torch.tensor([[t < n for t in range(width)] for n in lengths])
    token_logps[~mask] = float("-inf")  # padding must not leak into the mean
    m = methods.get("unlikeliness")
    logp_old = sequence_logp(token_logps, mask, m.typed().logp_reduction())
    got = m.group_advantages(torch.tensor(rewards, dtype=torch.float64), GroupInputs(torch.tensor(rewards) >= 1, logp_old))
    want = official_advantages(rewards, token_logps.tolist(), mask.tolist(), beta=0.25, eps=EPS)  # ε: ours, not their 1e-6
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64), atol=1e-9, rtol=1e-7)


def test_defaults_are_the_released_scripts():
    m = methods.get("unlikeliness")
    assert m.params()["beta_rank"] == 0.25  # examples/lean/grpo.sh: lean.rank_penalty=0.25
    assert m.typed().logp_reduction() == "mean"  # masked_mean(old_log_probs, eos_mask)
    assert m.typed({"length_normalized": False}).logp_reduction() == "sum"


# ----------------------------------------------------------------- worked by hand
def test_hand_worked_group():
    """G = 4, β = 0.25; the most likely completion is the wrong one.

    log π_old (mean per token): [-0.5, -2.0, -0.1, -1.0]; ascending ranks [2, 0, 3, 1];
    factors 1 − 0.25·rank/4 = [0.875, 1, 0.8125, 0.9375]; rewards [1, 1, 0, 1] →
    [0.875, 1, 0, 0.9375]. (Ranking the correct answers only, as we did before, gave
    [0.8125, 0.9375, 0, 0.875].)
    """
    r = torch.tensor([1.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    lp = torch.tensor([-0.5, -2.0, -0.1, -1.0], dtype=torch.float64)
    torch.testing.assert_close(unlikeliness_rewards(r, lp, beta_rank=0.25),
                               torch.tensor([0.875, 1.0, 0.0, 0.9375], dtype=torch.float64))


def test_hand_worked_ties_and_partial_credit():
    """Ties share the mean rank; partial-credit rewards are scaled too (the code's formula).

    log π_old [-1, -1, -2, -3], β = 0.5: ranks [2.5, 2.5, 1, 0] → factors
    [0.6875, 0.6875, 0.875, 1]; rewards [1, 0.1, 1, 0.1] → [0.6875, 0.06875, 0.875, 0.1].
    """
    r = torch.tensor([1.0, 0.1, 1.0, 0.1], dtype=torch.float64)
    lp = torch.tensor([-1.0, -1.0, -2.0, -3.0], dtype=torch.float64)
    torch.testing.assert_close(unlikeliness_rewards(r, lp, beta_rank=0.5),
                               torch.tensor([0.6875, 0.06875, 0.875, 0.1], dtype=torch.float64))


def test_nan_log_prob_counts_as_least_likely():
    r = torch.ones(3, dtype=torch.float64)
    lp = torch.tensor([float("nan"), -1.0, -2.0], dtype=torch.float64)
    torch.testing.assert_close(unlikeliness_rewards(r, lp, beta_rank=0.75),
                               torch.tensor([1.0, 1 - 0.75 * 2 / 3, 1 - 0.75 / 3], dtype=torch.float64))


@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_factors_stay_in_range(beta):
    lp = torch.linspace(-5, 0, 8, dtype=torch.float64)
    out = unlikeliness_rewards(torch.ones(8, dtype=torch.float64), lp, beta_rank=beta)
    assert out.max() == 1.0 and out.min() == pytest.approx(1 - beta * 7 / 8) and out.min() > 0
