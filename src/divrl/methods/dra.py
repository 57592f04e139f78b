"""DRA: Diversity-aware Reward Adjustment (Chen et al., arXiv 2505.09655).

Each completion's reward is divided by (1 + its summed cosine similarity to the other
completions of the *same* group) — the graph-cut form of submodular mutual
information. Redundant completions earn less; distinct ones keep their reward.
Applied before the backbone's group normalisation, so it composes with any backbone.

`adjust_uniform_groups` (ours, default False): when every completion of a group got
the same task reward, leave the rewards alone, so the group has zero advantage like
under its backbone. True reproduces the official code, which also re-weights
all-correct (and all-"formatted") groups; there the std normalisation turns small
embedding differences into advantages of about ±1 (mostly encoder noise on short
answers, see TOY_NOTES), which is why it is a switch.
"""

from __future__ import annotations

from dataclasses import replace

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.backbones import DR_GRPO, GRPO
from divrl.methods.hyperparameters import Hyperparameters, compose
from divrl.methods.registry import GroupInputs, Method, accepted_params, register, register_composer


class DRAParams(Hyperparameters):
    adjust_uniform_groups: bool = Field(
        False, description="also re-weight groups whose task rewards are all equal (the official code; ours: off)")


def dra_rewards(rewards: Tensor, embeddings: Tensor) -> Tensor:
    """Adjusted rewards R_i / (1 + Σ_{j≠i} cos(e_i, e_j)).

    rewards:    [G]
    embeddings: [G, d] (any scale; unit-normalised here)
    returns:    [G]

    The official code divides by Σ_j L_ij including the diagonal (= 1 + SMI_i). Note
    SMI_i can be negative for anti-correlated embeddings; sentence embeddings of
    completions are in practice positively correlated, and we clamp the denominator
    at a small positive value so a pathological group can never divide by ~0.
    """
    import torch
    e = torch.nn.functional.normalize(embeddings.float(), dim=-1)
    sim = e @ e.T  # [G, G]
    denom = sim.sum(dim=1)  # = 1 + Σ_{j≠i} L_ij (diagonal is 1)
    return rewards / denom.clamp_min(1e-6)


def _reward_transform(rewards: Tensor, inputs: GroupInputs, *, adjust_uniform_groups: bool) -> Tensor:
    if not adjust_uniform_groups and inputs.uniform:  # same *task* reward everywhere
        return rewards
    return dra_rewards(rewards, inputs.embeddings)


def with_dra(backbone: Method) -> Method:
    """DRA on top of any backbone: everything of the backbone, then adjusted rewards.

    A backbone's own reward transform (e.g. DAPO's overlong shaping) runs first.
    Refused where it would be meaningless: on DRA itself, or on a method whose
    advantages ignore the rewards.
    """
    if "embeddings" in backbone.needs or backbone.replaces_advantages:
        raise ValueError(f"dra_{backbone.name}: DRA cannot compose with {backbone.name!r} "
                         "(already DRA, or its advantages ignore rewards)")
    inner = backbone.reward_transform

    def reward_transform(rewards: Tensor, inputs: GroupInputs, **hp) -> Tensor:
        if inner is not None:
            rewards = inner(rewards, inputs, **accepted_params(inner, hp))
        return _reward_transform(rewards, inputs, adjust_uniform_groups=hp["adjust_uniform_groups"])

    name = f"dra_{backbone.name}"
    return replace(
        backbone,
        name=name,
        summary=f"{backbone.name} on rewards divided by (1 + within-group embedding similarity)",
        paper=f"arXiv 2505.09655 on {backbone.paper}",
        reward_transform=reward_transform,
        # the backbone's fields (and its logp_reduction), then DRA's
        hyperparameters=compose(f"{name}_params", backbone.hyperparameters, DRAParams),
        needs=backbone.needs | {"embeddings"},
    )


register(with_dra(GRPO))
register(with_dra(DR_GRPO))
register_composer("dra_", with_dra)  # dra_<any method>, e.g. dra_dapo, by configuration
