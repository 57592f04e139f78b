"""Each method's formula against a slow reference, and its documented limits."""

import itertools
from math import comb

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.backbones import overlong_shaping
from divrl.methods.div import div_entropy
from divrl.methods.passk import maxk_shares, passk_advantages
from divrl.methods.unlikeliness import unlikeliness_rewards

G = 6
rewards6 = st.lists(st.sampled_from([0.0, 0.1, 1.0]), min_size=G, max_size=G)


def grpo(r, x=None):
    return methods.get("grpo").group_advantages(r, x or GroupInputs(correct=r >= 1))


# ----------------------------------------------------------------- pass@k training
@settings(max_examples=40, deadline=None)
@given(rewards6, st.integers(1, G))
def test_maxk_shares_match_subset_enumeration(rewards, k):
    r = torch.tensor(rewards, dtype=torch.float64)
    slow = torch.zeros(G, dtype=torch.float64)
    for subset in itertools.combinations(range(G), k):
        best = max(rewards[j] for j in subset)
        for i in subset:
            slow[i] += best
    slow /= comb(G, k)
    torch.testing.assert_close(maxk_shares(r, k=k), slow)


def test_pkpo_with_k1_is_grpo():
    r = torch.tensor([1.0, 0.0, 0.1, 1.0, 0.0, 0.0])
    # equal up to the std epsilon (1e-4), which acts on rewards scaled by 1/n
    torch.testing.assert_close(methods.get("pkpo").group_advantages(r, GroupInputs(r >= 1), k=1), grpo(r), atol=2e-3, rtol=0)


@pytest.mark.parametrize("c", range(G + 1))
@pytest.mark.parametrize("k", range(1, G + 1))
def test_passk_advantages_match_formula(c, k):
    correct = torch.tensor([True] * c + [False] * (G - c))
    got = passk_advantages(correct, k=k)
    mu = 1 - comb(G - c, k) / comb(G, k)
    sigma = (mu * (1 - mu)) ** 0.5
    if sigma == 0:
        assert torch.all(got == 0)
        return
    pos = (1 - mu) / sigma
    neg = (1 - mu - (comb(G - c - 1, k - 1) / comb(G - 1, k - 1) if G - c >= 1 else 0)) / sigma
    want = torch.tensor([pos] * c + [neg] * (G - c), dtype=torch.float32)
    torch.testing.assert_close(got, want)


def test_passk_training_with_k1_is_grpo_with_population_std():
    r = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    got = methods.get("passk_training").group_advantages(r, GroupInputs(r >= 1), k=1)
    torch.testing.assert_close(got, (r - r.mean()) / r.std(unbiased=False))


def test_k_larger_than_group_is_a_clear_error():
    r = torch.tensor([1.0, 0.0, 0.0, 1.0])
    for name in ("pkpo", "passk_training"):
        with pytest.raises(ValueError, match="1 ≤ k ≤ group size; got k=5 with a group of 4"):
            methods.get(name).group_advantages(r, GroupInputs(r >= 1), k=5)


# ----------------------------------------------------------------- unlikeliness
@settings(max_examples=40, deadline=None)
@given(rewards6, st.lists(st.floats(-30, 0), min_size=G, max_size=G, unique=True), st.floats(0, 1))
def test_unlikeliness_matches_loop(rewards, logp, beta):
    r, lp = torch.tensor(rewards, dtype=torch.float64), torch.tensor(logp, dtype=torch.float64)
    correct = [x == 1.0 for x in rewards]
    order = sorted((i for i in range(G) if correct[i]), key=lambda i: -logp[i])  # most likely correct: rank 1
    rank = {i: pos + 1 for pos, i in enumerate(order)}
    slow = torch.tensor(
        [rewards[i] * (1 - beta * (G - rank[i]) / G) if correct[i] else rewards[i] for i in range(G)], dtype=torch.float64
    )
    torch.testing.assert_close(unlikeliness_rewards(r, r == 1.0, lp, beta_rank=beta), slow)


def test_unlikeliness_leaves_wrong_answers_alone():
    r = torch.full((4,), 0.1)  # all well-formed but wrong: stays a uniform group
    x = GroupInputs(r >= 1, logp_old=torch.tensor([-1.0, -2.0, -3.0, -4.0]))
    assert torch.all(methods.get("unlikeliness").group_advantages(r, x) == 0)


def test_unlikeliness_with_beta0_is_grpo_and_favours_unlikely_right_answers():
    r = torch.ones(4)
    x = GroupInputs(r >= 1, logp_old=torch.tensor([-1.0, -2.0, -3.0, -4.0]))
    adv = methods.get("unlikeliness").group_advantages(r, x)
    assert adv[3] > adv[2] > adv[1] > adv[0]
    mixed = torch.tensor([1.0, 0.0, 1.0, 0.0])
    x2 = GroupInputs(mixed >= 1, logp_old=torch.tensor([-1.0, -2.0, -3.0, -4.0]))
    torch.testing.assert_close(methods.get("unlikeliness").group_advantages(mixed, x2, beta_rank=0.0), grpo(mixed))


# ----------------------------------------------------------------- DAPO
def test_overlong_shaping():
    r = torch.ones(4)
    x = GroupInputs(r >= 1, lengths=torch.tensor([5, 12, 14, 16]), max_length=16)
    shaped = overlong_shaping(r, x, overlong_buffer_frac=0.25, overlong_penalty=1.0)  # cache 4: from 12 on
    torch.testing.assert_close(shaped, torch.tensor([1.0, 1.0, 0.5, 0.0]))


def test_dapo_drops_uniform_groups_and_sets_clip_higher():
    m = methods.get("dapo")
    r = torch.ones(4)
    x = GroupInputs(r >= 1, lengths=torch.tensor([1, 16, 16, 16]), max_length=16)
    assert torch.all(m.group_advantages(r, x) == 0)  # would differ by length, but the group is dropped
    assert m.extra_trl_args({}) == {"epsilon_high": 0.28} and m.loss_type == "dapo"
    assert methods.get("cispo").extra_trl_args({}) == {"epsilon_high": 5.0}


def test_dra_composes_with_any_backbone_by_name():
    m = methods.get("dra_dapo")
    assert m.loss_type == "dapo" and m.drop_uniform_groups and "embeddings" in m.needs
    r = torch.tensor([1.0, 0.0, 0.1, 1.0])
    x = GroupInputs(r >= 1, embeddings=torch.eye(4), lengths=torch.tensor([3, 16, 4, 15]), max_length=16)
    torch.testing.assert_close(m.group_advantages(r, x), methods.get("dapo").group_advantages(r, x))
    with pytest.raises(ValueError, match="dra_<method>"):
        methods.get("dra_nope")


# ----------------------------------------------------------------- entropy baselines
def test_entropy_baselines_use_trl_entropy_coef_with_opposite_signs():
    assert methods.get("entropy_bonus").extra_trl_args({"alpha": 0.02}) == {"entropy_coef": 0.02}
    assert methods.get("entropy_penalty").extra_trl_args({"alpha": 0.02}) == {"entropy_coef": -0.02}


# ----------------------------------------------------------------- R1-zero-Div
def test_div_entropy_matches_loop_and_selects_correct_only():
    torch.manual_seed(0)
    logp = -torch.rand(3, 4) * 3
    old = logp + 0.1 * torch.randn(3, 4)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    sel = torch.tensor([True, False, True])
    slow = 0.0
    for b in range(3):  # Eq. 12: (1/G) Σ_i I(r_i = 1) (1/T_i) Σ_t …, over *all* G completions
        if not sel[b]:
            continue
        toks = [-(torch.exp(logp[b, t] - old[b, t]) * logp[b, t]).item() for t in range(4) if mask[b, t]]
        slow += sum(toks) / len(toks)
    assert div_entropy(logp, old, mask, sel).item() == pytest.approx(slow / 3, rel=1e-5)
    assert div_entropy(logp, old, mask, torch.zeros(3, dtype=torch.bool)).item() == 0.0


def test_div_lambda_does_not_depend_on_the_share_of_correct_answers():
    """One correct completion among 2 or among 8: its own contribution is the same λ/B-scaled term."""
    logp = -torch.rand(1, 4) * 3
    mask = torch.ones(1, 4)
    one = div_entropy(logp, None, mask, torch.tensor([True]))
    padded = div_entropy(torch.cat([logp, -torch.rand(7, 4)]), None, torch.ones(8, 4), torch.tensor([True] + [False] * 7))
    assert padded.item() == pytest.approx(one.item() / 8, rel=1e-6)


def test_div_with_lambda0_equals_grpo():
    m = methods.get("div")
    logp = -torch.rand(2, 3, requires_grad=True)
    term = m.loss_term(logp, None, torch.ones(2, 3), torch.tensor([True, False]), torch.zeros(2), lam=0.0,
                       mask_by="correct", old_logp="old")
    assert term.item() == 0.0
    r = torch.tensor([1.0, 0.0, 0.0, 1.0])
    torch.testing.assert_close(m.group_advantages(r, GroupInputs(r >= 1)), grpo(r))


def test_div_switch_values_are_checked():
    with pytest.raises(ValueError, match="mask_by='reward' is not one of"):
        methods.get("div").params({"mask_by": "reward"})


@pytest.mark.parametrize("name,fixed", [("ds_pos", "gamma_n"), ("ds_neg", "gamma_p")])
def test_ds_ablations_zero_one_term(name, fixed):
    assert methods.get(name).defaults[fixed] == 0.0
    with pytest.raises(ValueError, match=f"{fixed} is fixed"):
        methods.get(name).params({fixed: 0.3})


def test_ds_neg_acts_in_groups_without_a_correct_answer_but_mixed_rewards():
    r = torch.tensor([0.0, 0.1, 0.1, 0.0])  # no correct answer, yet GRPO has signal
    x = GroupInputs(r >= 1, logp_old=torch.tensor([-1.0, -2.0, -3.0, -4.0]))
    assert not torch.allclose(methods.get("ds_neg").group_advantages(r, x), grpo(r))
