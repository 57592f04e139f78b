"""Unlikeliness reward (He et al., "Rewarding the Unlikely", arXiv 2506.02355).

For correct completions, R̃_i = R_i · (1 − β_rank · (G − rank_i) / G), where rank_i
ranks the group's *correct* completions by likelihood under π_old (rank 1 = most
likely) and G is the group size; other rewards are unchanged. Likely right answers
earn less, so GRPO stops concentrating on the one solution the policy already
prefers; it acts inside all-correct groups, where plain GRPO has no signal at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.hyperparameters import LengthNormalized, length_normalized_field
from divrl.methods.registry import GroupInputs, Method, register


def likelihood_rank(logp: Tensor, among: Tensor) -> Tensor:
    """rank_i = 1 + #{j in `among` : logp_j > logp_i}; ties share a rank (permutation-equivariant)."""
    higher = (logp.unsqueeze(0) > logp.unsqueeze(1)) & among.bool().unsqueeze(0)  # [i, j]
    return 1 + higher.sum(dim=1)


def unlikeliness_rewards(rewards: Tensor, correct: Tensor, logp_old: Tensor, *, beta_rank: float) -> Tensor:
    """rewards, correct, logp_old: [G] → [G]; only correct completions are rescaled."""
    import torch
    g = rewards.numel()
    rank = likelihood_rank(logp_old, correct).to(rewards.dtype)
    factor = 1 - beta_rank * (g - rank) / g
    return torch.where(correct.bool(), rewards * factor, rewards)


def _reward_transform(rewards: Tensor, inputs: GroupInputs, *, beta_rank: float) -> Tensor:
    return unlikeliness_rewards(rewards, inputs.correct, inputs.logp_old, beta_rank=beta_rank)


class UnlikelinessParams(LengthNormalized):
    # ≤ 1 keeps every correct reward's factor 1 − β(G − rank)/G positive
    beta_rank: float = Field(0.25, ge=0, le=1, description="β_rank: how much the most likely correct completion's reward shrinks")
    length_normalized: bool = length_normalized_field()  # how log π_old(y) ranks completions


register(
    Method(
        name="unlikeliness",
        summary="rewards scaled down for completions that are likely under π_old (rank-based)",
        paper="arXiv 2506.02355",
        loss_type="grpo",
        reward_transform=_reward_transform,
        hyperparameters=UnlikelinessParams,
        needs=frozenset({"logp_old"}),
        acts_on_uniform_groups=True,
    )
)
