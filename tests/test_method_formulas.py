"""Each method's formula against a slow reference, and its documented limits."""

from math import comb

import pytest
import torch

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.backbones import overlong_shaping
from divrl.methods.div import div_entropy
from divrl.methods.passk import passk_advantages

G = 6


def grpo(r, x=None):
    return methods.get("grpo").group_advantages(r, x or GroupInputs(correct=r >= 1))


# ----------------------------------------------------------------- pass@k training
# PKPO's transformed rewards against subset enumeration: tests/test_pkpo_official.py
def test_pkpo_with_k1_is_dr_grpo_over_n():
    r = torch.tensor([1.0, 0.0, 0.1, 1.0, 0.0, 0.0])
    # k = 1: s_i = r_i / n (no k−1 baseline), centred without std division
    got = methods.get("pkpo").group_advantages(r, GroupInputs(r >= 1), k=1)
    torch.testing.assert_close(got, methods.get("dr_grpo").group_advantages(r, GroupInputs(r >= 1)) / G)


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
# the rule against He et al.'s released code: tests/test_unlikeliness_official.py
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
    assert m.extra_trl_args(m.typed()) == {"epsilon_high": 0.28} and m.loss_type == "dapo"
    cispo = methods.get("cispo")
    assert cispo.extra_trl_args(cispo.typed()) == {"epsilon_high": 5.0}


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
    for name, coef in (("entropy_bonus", 0.02), ("entropy_penalty", -0.02)):
        m = methods.get(name)
        assert m.extra_trl_args(m.typed({"alpha": 0.02})) == {"entropy_coef": coef}


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
    term = m.loss_term(logp, None, torch.ones(2, 3), torch.tensor([True, False]), torch.zeros(2),
                       m.typed({"lam": 0.0, "mask_by": "correct", "old_logp": "old"}))
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
