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
answers; docs/methods.md), which is why it is a switch.

Which completions a completion is compared with. The paper's formula (and our default)
compares it with the other completions of its prompt's group. The official code
(github xiwenc1/DRA-GRPO, src/open_r1/trl/trainer/grpo_trainer.py lines 667-698, the same
in drgrpo_trainer.py lines 665-698) embeds `completions`, which at that point is only
this process's slice of the generated batch (its rewards were gathered at line 656,
its completions never are), forms `embeddings @ embeddings.T` over that slice (line
690), sums each row (line 691), multiplies the rewards by 1 / (sum + 1e-6) (lines
692, 698) and gathers those weights (line 696). With the released recipe (4 completions
per device, G = 6, 3 processes) a process holds 4 of a group's 6 completions, or 2 of one
group and 2 of the next: the similarity mixes prompts and misses group members.
`train.dra_official_code` reproduces that: the trainer hands this module
`process_slice_totals` (below): unit embeddings and, in `GroupInputs.slice_totals`, each
completion's process-slice sum, and `dra_rewards_official` divides as the official code does. Everything else about
DRA (when it applies, the backbone after it) stays as configured.
"""

from __future__ import annotations

from dataclasses import replace

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.backbones import DR_GRPO, GRPO
from divrl.methods.hyperparameters import Hyperparameters, compose
from divrl.methods.registry import GroupInputs, Method, register, register_composer


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


OFFICIAL_EPS = 1e-6  # grpo_trainer.py line 692: 1.0 / (similarity_sums + 1e-6)


def process_slice_totals(embeddings: Tensor, slice_size: int) -> tuple[Tensor, Tensor]:
    """The official code's comparison sets, for `dra_rewards_official`.

    embeddings: [B, d], the gathered batch in generation order: process p's completions
                are rows p·slice_size … (p+1)·slice_size − 1 (accelerate's gather order)
    slice_size: completions per process (the generated batch of one process)
    returns:    (e, totals), both [B, d]: e unit-normalised, and totals row i = Σ_{j in i's
                slice} e_j, so e_i · totals_i is row i's sum of the slice's similarity matrix

    Both travel through the registry's per-group slicing (GroupInputs.embeddings and
    .slice_totals); totals carry the rest of the slice, which the per-group hook cannot see.
    """
    import torch
    if slice_size < 1 or embeddings.shape[0] % slice_size:
        raise ValueError(f"{embeddings.shape[0]} completions do not split into process slices of {slice_size}")
    e = torch.nn.functional.normalize(embeddings.float(), dim=-1)
    slices = e.view(-1, slice_size, e.shape[-1])  # [processes, slice, d]
    totals = slices.sum(dim=1, keepdim=True).expand_as(slices)  # each slice's summed embeddings
    return e, totals.reshape_as(e)


def dra_rewards_official(rewards: Tensor, unit: Tensor, slice_totals: Tensor) -> Tensor:
    """R_i · 1 / (Σ_{j in i's process slice} cos(e_i, e_j) + 1e-6), the official code's weighting.

    rewards:      [G]
    unit:         [G, d] unit embeddings e, from `process_slice_totals`
    slice_totals: [G, d] Σ of e over each completion's process slice, from `process_slice_totals`
    returns:      [G]

    No clamp, as in the official code (grpo_trainer.py lines 690-698): a negative sum
    gives a negative weight there too.
    """
    similarity_sums = (unit.float() * slice_totals.float()).sum(dim=-1)
    return rewards * (1.0 / (similarity_sums + OFFICIAL_EPS))


def _reward_transform(rewards: Tensor, inputs: GroupInputs, hp: DRAParams) -> Tensor:
    """DRA's step; `hp` is a class holding DRAParams' fields (DRAParams, or a composed one)."""
    if not hp.adjust_uniform_groups and inputs.uniform:  # same *task* reward everywhere
        return rewards
    if inputs.slice_totals is not None:  # train.dra_official_code: the trainer sent process_slice_totals
        return dra_rewards_official(rewards, inputs.embeddings, inputs.slice_totals)
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

    def reward_transform(rewards: Tensor, inputs: GroupInputs, hp) -> Tensor:
        # hp holds the backbone's fields and DRA's (compose below): each step reads its own
        if inner is not None:
            rewards = inner(rewards, inputs, hp)
        return _reward_transform(rewards, inputs, hp)

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
