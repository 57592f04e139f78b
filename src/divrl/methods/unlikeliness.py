"""Unlikeliness reward (He et al., "Rewarding the Unlikely", arXiv 2506.02355).

R̃_i = R_i · (1 − β_rank · (G − rank_i) / G), with rank_i = 1 for the completion
most likely under π_old and G for the least likely. Likely right answers earn
less, so GRPO stops concentrating on the one solution the policy already prefers;
it acts inside all-correct groups, where plain GRPO has no signal at all.
"""

from __future__ import annotations

import torch
from torch import Tensor

from divrl.methods.registry import GroupInputs, Method, register


def likelihood_rank(logp: Tensor) -> Tensor:
    """rank_i = 1 + #{j : logp_j > logp_i}; ties share a rank (permutation-equivariant)."""
    return 1 + (logp.unsqueeze(0) > logp.unsqueeze(1)).sum(dim=1)


def unlikeliness_rewards(rewards: Tensor, logp_old: Tensor, *, beta_rank: float) -> Tensor:
    """rewards, logp_old: [G] → [G]."""
    g = rewards.numel()
    rank = likelihood_rank(logp_old).to(rewards.dtype)
    return rewards * (1 - beta_rank * (g - rank) / g)


def _reward_transform(rewards: Tensor, inputs: GroupInputs, *, beta_rank: float) -> Tensor:
    return unlikeliness_rewards(rewards, inputs.logp_old, beta_rank=beta_rank)


register(
    Method(
        name="unlikeliness",
        summary="rewards scaled down for completions that are likely under π_old (rank-based)",
        paper="arXiv 2506.02355",
        loss_type="grpo",
        reward_transform=_reward_transform,
        defaults={"beta_rank": 0.25, "length_normalized": False},
        needs=frozenset({"logp_old"}),
        acts_on_uniform_groups=True,
    )
)
