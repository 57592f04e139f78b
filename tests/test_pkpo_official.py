"""PKPO's transformed rewards (Walder & Karkhanis, arXiv 2505.15201) against brute force.

s^(loo−1)_i = C(n,k)^−1 Σ_{|I|=k, i∈I} (max_I r − max_{I∖{i}} r), enumerated over every
k-subset with itertools.combinations; the same value through its second reading (the
plain max@k share minus k/n times the others' max@(k−1) estimate); the paper's binary
formulas; and, exactly over every outcome of a three-outcome softmax policy, that the
estimator Σ_i s_i ∇log π(x_i) has the gradient of max@k as its expectation.
"""

import itertools
from math import comb

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.passk import pkpo_rewards


# ----------------------------------------------------------------- brute force, slow
def slow_loo_minus_one(r, k):
    n = len(r)
    out = [0.0] * n
    for subset in itertools.combinations(range(n), k):
        best = max(r[j] for j in subset)
        for i in subset:
            rest = [r[j] for j in subset if j != i]
            out[i] += best - (max(rest) if rest else 0.0)  # k = 1: max of nothing counts as 0
    return [o / comb(n, k) for o in out]


def slow_shares(r, k):
    """The plain unbiased per-sample share of max@k (no baseline)."""
    n = len(r)
    out = [0.0] * n
    for subset in itertools.combinations(range(n), k):
        for i in subset:
            out[i] += max(r[j] for j in subset)
    return [o / comb(n, k) for o in out]


def slow_max_at_k(values, k):
    """Unbiased max@k estimate: the mean over all k-subsets of their best value."""
    subsets = list(itertools.combinations(values, k))
    return sum(max(s) for s in subsets) / len(subsets)


def as64(x):
    return torch.tensor(x, dtype=torch.float64)


groups = st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from([0.0, 0.1, 1.0]) | st.floats(-2, 2), min_size=n, max_size=n),
    st.integers(1, n),
))


# ----------------------------------------------------------------- the transformed rewards
@settings(max_examples=80, deadline=None)
@given(groups)
def test_matches_subset_enumeration(group):
    rewards, k = group
    torch.testing.assert_close(pkpo_rewards(as64(rewards), k=k), as64(slow_loo_minus_one(rewards, k)))


@settings(max_examples=60, deadline=None)
@given(groups.filter(lambda g: g[1] >= 2))
def test_is_the_share_minus_a_baseline_from_the_others(group):
    """s_i = share_i − (k/n)·max@(k−1) of the n−1 others: the baseline never sees sample i."""
    rewards, k = group
    n = len(rewards)
    want = [share - k / n * slow_max_at_k(rewards[:i] + rewards[i + 1:], k - 1)
            for i, share in enumerate(slow_shares(rewards, k))]
    torch.testing.assert_close(pkpo_rewards(as64(rewards), k=k), as64(want))


@pytest.mark.parametrize("n", range(1, 9))
def test_binary_rewards_closed_form(n):
    """The paper's binary shares (k/n; (k/n)·ρ(n−1, c, k−1)) and the baselined values."""
    rho = lambda n_, c_, k_: 1 - comb(n_ - c_, k_) / comb(n_, k_)  # noqa: E731  unbiased pass@k
    for c, k in itertools.product(range(n + 1), range(1, n + 1)):
        r = [1.0] * c + [0.0] * (n - c)
        shares = slow_shares(r, k)
        assert shares[:c] == pytest.approx([k / n] * c)
        if c < n:
            assert shares[c:] == pytest.approx([k / n * (rho(n - 1, c, k - 1) if k > 1 else 0.0)] * (n - c))
        got = pkpo_rewards(as64(r), k=k).tolist()
        correct_value = comb(n - c, k - 1) / comb(n, k) if k > 1 else 1 / n
        assert got == pytest.approx([correct_value] * c + [0.0] * (n - c), abs=1e-15)


def test_hand_worked_group():
    """n = 4, k = 2, rewards [1, 0, 0.1, 0]; C(4,2) = 6 pairs.

    Sample 0 (reward 1) raises the best of its pairs by 1, 0.9, 1 → 2.9/6; sample 2 (0.1)
    raises {2,1} and {2,3} by 0.1 and {2,0} by 0 → 0.2/6; the zeros raise nothing.
    """
    got = pkpo_rewards(as64([1.0, 0.0, 0.1, 0.0]), k=2)
    torch.testing.assert_close(got, as64([2.9 / 6, 0.0, 0.2 / 6, 0.0]))


def test_all_equal_rewards_give_exact_zeros():
    for k in range(2, 7):
        assert torch.all(pkpo_rewards(torch.full((6,), 0.1), k=k) == 0)


# ----------------------------------------------------------------- unbiasedness, exact
@pytest.mark.parametrize("n,k", [(3, 1), (4, 2), (4, 4), (5, 3)])
@pytest.mark.parametrize("logits", [[0.0, 0.0, 0.0], [0.5, -1.0, 0.2]])
def test_expected_estimate_is_the_gradient_of_max_at_k(n, k, logits):
    """Σ over all 3^n sample tuples of P(tuple)·Σ_i s_i ∇log π(x_i) = ∇ E[max of k draws]."""
    values = [0.0, 0.1, 1.0]  # reward of each outcome
    theta = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    p = torch.softmax(theta, 0)
    objective = sum(torch.prod(p[list(xs)]) * max(values[x] for x in xs) for xs in itertools.product(range(3), repeat=k))
    (true_grad,) = torch.autograd.grad(objective, theta)

    p = p.detach()
    score = torch.eye(3, dtype=torch.float64) - p  # ∇_θ log softmax(θ)_x, one row per outcome x
    expected = torch.zeros(3, dtype=torch.float64)
    for xs in itertools.product(range(3), repeat=n):
        s = pkpo_rewards(as64([values[x] for x in xs]), k=k)
        expected += torch.prod(p[list(xs)]) * sum(s[i] * score[x] for i, x in enumerate(xs))
    torch.testing.assert_close(expected, true_grad)


# ----------------------------------------------------------------- in the registry
def test_registry_centres_without_std_division():
    """Our marked deviation: the paper's advantages are s itself; the backbone subtracts mean(s)."""
    r = torch.tensor([1.0, 0.0, 0.1, 0.0, 1.0, 0.0])
    s = as64(slow_loo_minus_one(r.tolist(), 3)).float()
    got = methods.get("pkpo").group_advantages(r, GroupInputs(r >= 1), k=3)
    torch.testing.assert_close(got, s - s.mean())


def test_binary_groups_are_no_longer_plain_grpo():
    """Std division made any two-valued group plain GRPO; now the pass@k weight C(n−c,k−1)/C(n,k) survives."""
    m, grpo = methods.get("pkpo"), methods.get("grpo")
    one = torch.tensor([1.0] + [0.0] * 7)  # c = 1: weight C(7,3)/C(8,4) = 1/2
    four = torch.tensor([1.0] * 4 + [0.0] * 4)  # c = 4: weight C(4,3)/C(8,4) = 4/70
    adv_one, adv_four = m.group_advantages(one, GroupInputs(one >= 1)), m.group_advantages(four, GroupInputs(four >= 1))
    torch.testing.assert_close(adv_one, 0.5 * (one - one.mean()))
    torch.testing.assert_close(adv_four, 4 / 70 * (four - four.mean()))
    assert not torch.allclose(adv_one, grpo.group_advantages(one, GroupInputs(one >= 1)))
