"""The method registry: a method is data (hooks + defaults), never a trainer branch.

A method turns one prompt's group of G rewards into G advantages, in three steps:

    rewards[G] --reward_transform--> rewards'[G] --backbone--> adv[G] --advantage_transform--> adv'[G]

The backbone is `grpo` (centre and divide by the group std) or `dr_grpo` (centre
only); it also fixes TRL's loss aggregation (`loss_type`). Transforms are pure
functions over one group; per-group extras (`GroupInputs`) carry what a method
needs: correctness flags, old-policy log-probs, completion embeddings.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
from torch import Tensor

EPS = 1e-4  # TRL's and the DRA code's std epsilon


@dataclass(frozen=True)
class GroupInputs:
    """What a hook may read about one group of G completions.

    correct:    [G] bool — verifier says the completion is right
    logp_old:   [G] float — log π_old(y_i), summed (or mean) over completion tokens
    embeddings: [G, d] float — sentence embeddings of the completions
    """

    correct: Tensor
    logp_old: Optional[Tensor] = None
    embeddings: Optional[Tensor] = None


Transform = Callable[..., Tensor]


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    paper: str  # arXiv id or citation
    loss_type: str = "grpo"  # TRL GRPOConfig.loss_type (loss aggregation)
    scale_by_std: bool = True  # divide centred rewards by the group std
    reward_transform: Optional[Transform] = None  # (rewards[G], inputs, **hp) -> [G]
    advantage_transform: Optional[Transform] = None  # (adv[G], inputs, **hp) -> [G]
    defaults: dict = field(default_factory=dict)  # hyperparameters and their defaults
    needs: frozenset = frozenset()  # subset of {"logp_old", "embeddings"}

    def params(self, overrides: Optional[dict] = None) -> dict:
        """Defaults updated by `overrides`; unknown names raise a clear error."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise ValueError(f"method {self.name!r}: unknown hyperparameter(s) {unknown}; known: {known}")
        return {**self.defaults, **overrides}

    def group_advantages(self, rewards: Tensor, inputs: GroupInputs, **hp) -> Tensor:
        """Advantages [G] of one group from its rewards [G]."""
        hp = self.params(hp)
        if self.reward_transform is not None:
            rewards = self.reward_transform(rewards, inputs, **_accepted(self.reward_transform, hp))
        adv = centred(rewards, scale_by_std=self.scale_by_std)
        if self.advantage_transform is not None:
            adv = self.advantage_transform(adv, inputs, **_accepted(self.advantage_transform, hp))
        return adv

    def batch_advantages(
        self, rewards: Tensor, group_size: int, inputs: GroupInputs, **hp
    ) -> Tensor:
        """Advantages [B·G] for B consecutive groups; each group is computed alone."""
        if rewards.numel() % group_size:
            raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
        out = torch.empty_like(rewards, dtype=torch.float32)
        for start in range(0, rewards.numel(), group_size):
            sl = slice(start, start + group_size)
            out[sl] = self.group_advantages(rewards[sl].float(), _slice(inputs, sl), **hp)
        return out


def centred(rewards: Tensor, *, scale_by_std: bool) -> Tensor:
    """R - mean(R), divided by (std(R) + EPS) when scale_by_std.

    An all-equal group gives exactly zero (not NaN): R - mean is zero and EPS keeps
    the division finite. std is unbiased (torch default), as in TRL.
    """
    adv = rewards - rewards.mean()
    if scale_by_std and rewards.numel() > 1:
        adv = adv / (rewards.std() + EPS)
    return adv


def _accepted(fn: Callable, hp: dict) -> dict:
    """The hyperparameters a transform takes (DRA ignores DS's γ and vice versa)."""
    names = inspect.signature(fn).parameters
    return {k: v for k, v in hp.items() if k in names}


def _slice(inputs: GroupInputs, sl: slice) -> GroupInputs:
    pick = lambda t: None if t is None else t[sl]  # noqa: E731
    return GroupInputs(pick(inputs.correct), pick(inputs.logp_old), pick(inputs.embeddings))


_REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    if method.name in _REGISTRY:
        raise ValueError(f"method {method.name!r} is registered twice")
    _REGISTRY[method.name] = method
    return method


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Method:
    if name not in _REGISTRY:
        raise ValueError(f"unknown method {name!r}; known methods: {', '.join(names())}")
    return _REGISTRY[name]
