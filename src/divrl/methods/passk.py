"""Training for pass@k instead of pass@1: two estimators from the group's n and c.

`pkpo` (Walder & Karkhanis, arXiv 2505.15201): each reward is replaced by its
unbiased per-sample share of max@k — the average over all k-subsets containing the
sample of the subset's best reward — then the backbone (GRPO) normalises as usual.
For binary rewards a correct sample gets k/n and an incorrect one
(C(n−1,k−1) − C(n−c−1,k−1)) / C(n,k).

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


def maxk_shares(rewards: Tensor, *, k: int) -> Tensor:
    """ρ_i = C(n,k)^-1 Σ_{S ∋ i, |S| = k} max_{j∈S} r_j for every sample i. rewards: [G] → [G].

    With rewards sorted ascending (position p = 1..n), the subsets containing the
    sample at p whose maximum sits at position m ≥ p number C(p−1, k−1) for m = p and
    C(m−2, k−2) for m > p. Tied rewards get equal shares (the terms telescope).
    """
    import torch
    n = rewards.numel()
    _check_k(n, k)
    order = torch.argsort(rewards, stable=True)
    r = rewards[order].double()
    shares = torch.zeros(n, dtype=torch.float64)
    for p in range(1, n + 1):
        total = r[p - 1] * comb(p - 1, k - 1)
        if k >= 2:  # subsets whose best member sits above p
            total = total + sum(r[m - 1] * comb(m - 2, k - 2) for m in range(p + 1, n + 1))
        shares[p - 1] = total / comb(n, k)
    out = torch.empty_like(shares)
    out[order] = shares
    return out.to(rewards.dtype)


def _pkpo_transform(rewards: Tensor, inputs: GroupInputs, *, k: int) -> Tensor:
    # equal rewards have equal shares in exact arithmetic; the float sums above can
    # differ in the last bit, which GRPO's std division would turn into advantages
    return rewards if inputs.uniform else maxk_shares(rewards, k=k)


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


def _passk_transform(adv: Tensor, inputs: GroupInputs, *, k: int) -> Tensor:
    return passk_advantages(inputs.correct, k=k)


class PassKParams(Hyperparameters):
    k: int = Field(4, ge=1, description="k of the pass@k objective (at most the group size G)")


register(
    Method(
        name="pkpo",
        summary="rewards → unbiased per-sample shares of max@k, then GRPO normalisation",
        paper="arXiv 2505.15201",
        loss_type="grpo",
        reward_transform=_pkpo_transform,
        hyperparameters=PassKParams,
        check=lambda hp, g: _check_k(g, hp["k"]),
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
        check=lambda hp, g: _check_k(g, hp["k"]),
    )
)
