"""Training for pass@k instead of pass@1: two estimators from the group's rewards.

`pkpo` (Walder & Karkhanis, "Pass@K Policy Optimization", arXiv 2505.15201): each
reward becomes the paper's lowest-variance transformed reward, the leave-one-out "k−1"
estimator s^(loo−1) (numbered Eq. 33 by reimplementations; the paper's full text was
not reachable from here, its binary s_i = k/n or (k/n)·ρ(n−1, c, k−1) was):

    s_i = C(n,k)^−1 · Σ_{|I|=k, i∈I} ( max_{j∈I} r_j − max_{j∈I∖{i}} r_j )

— the average, over the k-subsets holding sample i, of how much i raises the subset's
best reward. Equivalently s_i = (unbiased share of max@k) − (k/n)·(max@(k−1) estimated
from the other n−1 samples): a baseline that does not depend on sample i, so the
policy gradient Σ_i s_i ∇log π(y_i) stays an unbiased estimate of ∇ max@k. For binary
rewards with c correct of n: s = C(n−c, k−1)/C(n,k) for a correct sample and 0 for a
wrong one (zero for correct ones too once n − c < k − 1: pass@k is then certain,
whoever the correct sample is). k = 1 has no k−1 baseline: s_i = r_i / n (max(∅) := 0).

In the paper's gradient estimator Σ_i s_i ∇log π(y_i) the transformed rewards are the
advantages. The registry's backbone still centres them (s_i − mean s, no std division):
a deviation of ours, marked here (removing it needs a registry switch to skip the
centring). Centring keeps what std division erased — with GRPO's std every two-valued
(binary) group came out as plain GRPO up to the std ε, so our earlier `pkpo` (plain
max@k shares, then GRPO) trained binary rewards like GRPO — but it gives wrong answers
−mean(s) where the paper gives 0.
Advantages are at most k/n in size instead of GRPO's ±1–3. The DS paper's remark that
pass@k rewards "can assign zero reward to correct solutions" fits s^(loo−1), not the
plain shares (where a correct sample always gets k/n).

`passk_training` (Chen et al., arXiv 2508.10751): analytic group advantages for
binary correctness, with μ = pass@k of the group and σ = sqrt(μ(1−μ)):
A_correct = (1 − μ)/σ, A_incorrect = (1 − μ − C(n−c−1,k−1)/C(n−1,k−1))/σ; zero when σ = 0.
"""

from __future__ import annotations

from math import comb

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.hyperparameters import Hyperparameters
from divrl.methods.registry import GroupInputs, Method, register


def _check_k(n: int, k: int) -> None:
    if not 1 <= k <= n:
        raise ValueError(f"pass@k training needs 1 ≤ k ≤ group size; got k={k} with a group of {n}")


def pkpo_rewards(rewards: Tensor, *, k: int) -> Tensor:
    """PKPO's s^(loo−1) for every sample. rewards: [G] → [G] (float64 sums, input dtype out).

    With rewards sorted ascending (positions 1..n), sample p raises the best of a
    k-subset only when the other k−1 members all sit below it; their best sits at
    some m < p, which C(m−1, k−2) subsets share. So
    s_p = C(n,k)^−1 Σ_{m=k−1}^{p−1} C(m−1, k−2) (r_(p) − r_(m)).
    Every term is a difference of two rewards: tied rewards give exactly 0, so an
    all-equal group gives exact zeros (for k ≥ 2) without a special case.
    """
    import torch
    n = rewards.numel()
    _check_k(n, k)
    order = torch.argsort(rewards, stable=True)
    r = [float(x) for x in rewards[order].double()]
    total = comb(n, k)
    shares = []
    for p in range(1, n + 1):
        if k == 1:  # no k−1 baseline: max of the empty subset counts as 0
            shares.append(r[p - 1] / total)
            continue
        gain = sum(comb(m - 1, k - 2) * (r[p - 1] - r[m - 1]) for m in range(k - 1, p))
        shares.append(gain / total)
    out = torch.empty(n, dtype=torch.float64)
    out[order] = torch.tensor(shares, dtype=torch.float64)
    return out.to(rewards.dtype)


def _pkpo_transform(rewards: Tensor, inputs: GroupInputs, hp: PassKParams) -> Tensor:
    return pkpo_rewards(rewards, k=hp.k)


def passk_advantages(correct: Tensor, *, k: int) -> Tensor:
    """Chen et al.'s analytic pass@k advantages. correct: [G] bool → [G]."""
    import torch
    n = correct.numel()
    _check_k(n, k)
    c = int(correct.sum())
    neg = n - c
    mu = 1 - comb(neg, k) / comb(n, k)
    sigma = (mu * (1 - mu)) ** 0.5
    if sigma == 0:
        return torch.zeros(n)
    a_pos = (1 - mu) / sigma
    a_neg = (1 - mu - (comb(neg - 1, k - 1) / comb(n - 1, k - 1) if neg >= 1 else 0.0)) / sigma
    return torch.where(correct.bool(), torch.tensor(a_pos), torch.tensor(a_neg)).float()


def _passk_transform(adv: Tensor, inputs: GroupInputs, hp: PassKParams) -> Tensor:
    return passk_advantages(inputs.correct, k=hp.k)


class PassKParams(Hyperparameters):
    k: int = Field(4, ge=1, description="k of the pass@k objective (at most the group size G)")


register(
    Method(
        name="pkpo",
        summary="rewards → PKPO's leave-one-out (k−1) pass@k rewards s^(loo−1), centred (no std)",
        paper="arXiv 2505.15201",
        loss_type="grpo",
        # the paper uses s^(loo−1) as the advantage: no std division (centring is the
        # registry's, see the module docstring)
        scale_by_std=False,
        reward_transform=_pkpo_transform,
        hyperparameters=PassKParams,
        check=lambda hp, g: _check_k(g, hp.k),
    )
)

register(
    Method(
        name="passk_training",
        summary="analytic pass@k advantages from the group's n, c and k (binary correctness)",
        paper="arXiv 2508.10751",
        loss_type="grpo",
        advantage_transform=_passk_transform,
        replaces_advantages=True,
        hyperparameters=PassKParams,
        check=lambda hp, g: _check_k(g, hp.k),
    )
)
