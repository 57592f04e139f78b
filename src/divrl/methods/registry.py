"""The method registry: a method is data (hooks + defaults), never a trainer branch.

A method turns one prompt's group of G rewards into G advantages, in three steps:

    rewards[G] --reward_transform--> rewards'[G] --backbone--> adv[G] --advantage_transform--> adv'[G]

The backbone is `grpo` (centre and divide by the group std) or `dr_grpo` (centre
only); it also fixes TRL's loss aggregation (`loss_type`). Transforms are pure
functions over one group; per-group extras (`GroupInputs`) carry what a method
needs: correctness flags, old-policy log-probs, completion embeddings.

A method's hyperparameters are a typed class (`hyperparameters.py`): their types,
defaults, bounds and help are declared there once. `typed()` validates a run's overrides
into that class's instance, once; every hook takes that instance (`hp.gamma_p`), and a
composed method's class holds both parts' fields, so each part reads its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Optional

from divrl.methods import hyperparameters as hps
from divrl.methods.hyperparameters import Hyperparameters

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

EPS = 1e-4  # TRL's and the DRA code's std epsilon


@dataclass(frozen=True)
class GroupInputs:
    """What a hook may read about one group of G completions.

    correct:    [G] bool — verifier says the completion is right
    logp_old:   [G] float — log π_old(y_i): the sum of its token log-probs, or their mean,
                as the method's hyperparameters declare (`hp.logp_reduction()`)
    embeddings: [G, d] float — sentence embeddings of the completions
    lengths:    [G] int — completion lengths in tokens
    max_length: the completion length limit (a scalar shared by all groups)
    uniform:    the group's *task* rewards are all exactly equal (set by the registry
                before any transform; a transform must gate on this, never on
                `adv == 0`, which float32 rounding breaks for most G ≥ 5)
    slice_totals: [G, d] float — only under train.dra_official_code: each completion's
                process-slice sum of unit embeddings (embeddings are then unit-normalised;
                methods/dra.py `process_slice_totals`)
    """

    correct: Tensor
    logp_old: Optional[Tensor] = None
    embeddings: Optional[Tensor] = None
    lengths: Optional[Tensor] = None
    max_length: Optional[int] = None
    uniform: bool = False
    slice_totals: Optional[Tensor] = None


Transform = Callable[..., "Tensor"]
DEFAULT_LOSS_TYPE = "grpo"  # TRL's default aggregation: a method with it has no loss of its own


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    paper: str  # arXiv id or citation
    loss_type: str = DEFAULT_LOSS_TYPE  # TRL GRPOConfig.loss_type (loss aggregation)
    scale_by_std: bool = True  # divide centred rewards by the group std
    # Every hook below takes `hp`, the run's instance of `hyperparameters` (validated once).
    reward_transform: Optional[Transform] = None  # (rewards[G], inputs, hp) -> [G]
    advantage_transform: Optional[Transform] = None  # (adv[G], inputs, hp) -> [G]
    # the typed hyperparameters: type, default, bounds, help, fixed (see hyperparameters.py)
    hyperparameters: type[Hyperparameters] = Hyperparameters
    needs: frozenset = frozenset()  # subset of {"logp_old", "embeddings"}
    # Extra TRL GRPOConfig fields from the hyperparameters (clip-higher, entropy_coef, …): (hp) -> dict
    trl_args: Optional[Callable[[Hyperparameters], dict]] = None
    # Extra loss term from the policy forward TRL already ran (no second forward):
    # (per_token_logps[B,T], old_per_token_logps[B,T], mask[B,T], correct[B], advantages[B], hp) -> scalar
    loss_term: Optional[Transform] = None
    # DAPO dynamic sampling: groups whose task rewards are all equal are left out of
    # the loss (masked) instead of entering it with zero advantage.
    drop_uniform_groups: bool = False
    # The method is *meant* to give signal inside all-equal groups (e.g. unlikeliness
    # reward re-ranks all-correct groups); property tests then check finiteness and a
    # zero group mean instead of exact zeros.
    acts_on_uniform_groups: bool = False
    replaces_advantages: bool = False  # its advantages ignore the (transformed) rewards
    # Checks that need the training setup, run at config validation: (hp, group_size) -> None or raise ValueError.
    check: Optional[Callable[[Hyperparameters, int], None]] = None

    @property
    def defaults(self) -> dict:
        """Every hyperparameter's default, in declaration order (derived from the class)."""
        return hps.defaults(self.hyperparameters)

    @property
    def defines_loss(self) -> bool:
        """Its loss_type is part of the method (cispo, dapo, dr_grpo, dra_ on them); the others
        have none of their own, so train.loss_type may hold one aggregation across methods."""
        return self.loss_type != DEFAULT_LOSS_TYPE

    def trl_loss_type(self, configured: Optional[str]) -> str:
        """TRL's loss_type under train.loss_type `configured` (None: unset): the method's own
        where it defines one (the config check refused the conflicting pairs), else `configured`."""
        return self.loss_type if self.defines_loss else configured or self.loss_type

    def typed(self, overrides: Optional[dict] = None) -> Hyperparameters:
        """Defaults updated by `overrides`, validated into the method's class: the instance a run
        hands its hooks. Errors are one-line ValueErrors naming method and key."""
        return hps.validate(self.hyperparameters, self.name, dict(overrides or {}))

    def params(self, overrides: Optional[dict] = None) -> dict:
        """typed()'s values as a dict, as given (an int stays an int where a float is declared)."""
        return self.typed(overrides).resolved()

    def validate(self, overrides: Optional[dict], group_size: int) -> Hyperparameters:
        """typed(), plus the method's own checks against the group size G."""
        hp = self.typed(overrides)
        if self.check is not None:
            self.check(hp, group_size)
        return hp

    def group_advantages(self, rewards: Tensor, inputs: GroupInputs, **overrides) -> Tensor:
        """Advantages [G] of one group from its rewards [G] (validates `overrides`: for one-off use)."""
        return self._advantages(rewards, inputs, self.typed(overrides))

    def _advantages(self, rewards: Tensor, inputs: GroupInputs, hp: Hyperparameters) -> Tensor:
        import torch
        uniform = all_equal(rewards)
        inputs = replace(inputs, uniform=uniform)
        if self.drop_uniform_groups and uniform:
            return torch.zeros_like(rewards, dtype=torch.float32)
        if self.reward_transform is not None:
            rewards = self.reward_transform(rewards, inputs, hp)
        adv = centred(rewards, scale_by_std=self.scale_by_std)
        if self.advantage_transform is not None:
            adv = self.advantage_transform(adv, inputs, hp)
        return adv

    def batch_advantages(self, rewards: Tensor, group_size: int, inputs: GroupInputs, hp: Hyperparameters) -> Tensor:
        """Advantages [B·G] for B consecutive groups; each group is computed alone.

        `hp` is the run's validated instance (`typed()`): a training step validates nothing.
        """
        import torch
        if rewards.numel() % group_size:
            raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
        self.require_typed(hp)
        out = torch.empty_like(rewards, dtype=torch.float32)
        for start in range(0, rewards.numel(), group_size):
            sl = slice(start, start + group_size)
            out[sl] = self._advantages(rewards[sl].float(), _slice(inputs, sl), hp)
        return out

    def extra_trl_args(self, hp: Hyperparameters) -> dict:
        """GRPOConfig fields this method sets (besides loss_type and scale_rewards), from `typed()`'s instance."""
        return self.trl_args(self.require_typed(hp)) if self.trl_args else {}

    def require_typed(self, hp: Hyperparameters) -> Hyperparameters:
        """`hp` if it is an instance of this method's class (a type check, not a validation)."""
        if not isinstance(hp, self.hyperparameters):
            raise TypeError(f"method {self.name!r}: hyperparameters must be its {self.hyperparameters.__name__} "
                            f"(Method.typed), not {type(hp).__name__}")
        return hp


def all_equal(rewards: Tensor) -> bool:
    """Every reward of the group is exactly the first one (decided on the values, not on R - mean)."""
    return bool((rewards == rewards[0]).all())


def centred(rewards: Tensor, *, scale_by_std: bool) -> Tensor:
    """R - mean(R), divided by (std(R) + EPS) when scale_by_std.

    An all-equal group gives exactly zero. This is decided on the rewards themselves:
    in float32, `R - R.mean()` of eight rewards of 0.1 is about −7e-9 (the mean is
    rounded), which the std division would blow up to about −7e-5. std is unbiased
    (torch default), as in TRL.
    """
    import torch
    if all_equal(rewards):
        return torch.zeros_like(rewards, dtype=torch.promote_types(rewards.dtype, torch.float32))
    adv = rewards - rewards.mean()
    if scale_by_std and rewards.numel() > 1:
        adv = adv / (rewards.std() + EPS)
    return adv


def _slice(inputs: GroupInputs, sl: slice) -> GroupInputs:
    pick = lambda t: None if t is None else t[sl]  # noqa: E731
    return replace(inputs, correct=pick(inputs.correct), logp_old=pick(inputs.logp_old),
                   embeddings=pick(inputs.embeddings), lengths=pick(inputs.lengths),
                   slice_totals=pick(inputs.slice_totals))


_REGISTRY: dict[str, Method] = {}
# prefix -> function(backbone Method) -> Method: "dra_dapo" is DRA composed on `dapo`
# without a file or a registry line of its own.
_COMPOSERS: dict[str, Callable[[Method], Method]] = {}
# composed methods, built once: one name, one hyperparameter class, so an instance typed by
# one get("dra_dapo") is an instance of the class of the next
_COMPOSED: dict[str, Method] = {}


def register_composer(prefix: str, compose: Callable[[Method], Method]) -> None:
    _COMPOSERS[prefix] = compose


def composer_prefixes() -> list[str]:
    return list(_COMPOSERS)


def register(method: Method) -> Method:
    if method.name in _REGISTRY:
        raise ValueError(f"method {method.name!r} is registered twice")
    _REGISTRY[method.name] = method
    return method


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Method:
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _COMPOSED:
        return _COMPOSED[name]
    for prefix, compose in _COMPOSERS.items():
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest in _REGISTRY:
            return _COMPOSED.setdefault(name, compose(_REGISTRY[rest]))
    composable = ", ".join(f"{p}<method>" for p in _COMPOSERS)
    raise ValueError(f"unknown method {name!r}; known methods: {', '.join(names())} (or {composable})")
