"""Policy-gradient backbones: how rewards become advantages, and how the loss is summed.

`grpo`     (R - mean) / (std + eps); per-sequence token mean, then batch mean.
           Shao et al., DeepSeekMath, arXiv 2402.03300.
`dr_grpo`  R - mean, no std scaling (removes the question-difficulty bias); token
           sum divided by a constant (max completion length). Liu et al., arXiv 2503.20783.
"""

from pydantic import Field

from divrl.methods.hyperparameters import Hyperparameters
from divrl.methods.registry import Method, register

GRPO = register(
    Method(
        name="grpo",
        summary="group-normalised advantages (R - mean) / std",
        paper="arXiv 2402.03300",
        loss_type="grpo",
        scale_by_std=True,
    )
)

DR_GRPO = register(
    Method(
        name="dr_grpo",
        summary="centred advantages without std scaling, constant-length loss normaliser",
        paper="arXiv 2503.20783",
        loss_type="dr_grpo",
        scale_by_std=False,
    )
)


def overlong_shaping(rewards, inputs, *, overlong_buffer_frac: float, overlong_penalty: float):
    """DAPO's soft overlong punishment, added to the reward.

    With L_max the length limit and L_cache = frac·L_max: 0 up to L_max − L_cache,
    then falling linearly to −penalty at L_max. rewards, lengths: [G].

    The pure formula (tests call it directly); the method's hook is `_overlong_transform`.
    The same numbers as `trl.rewards.get_soft_overlong_punishment(L_max, L_cache)` times
    `overlong_penalty` (tests/test_overlong_shaping.py checks it across lengths), but not
    that function: TRL's is a *reward function* over completion_ids, which would enter
    TRL's reward columns — the weighted sum that decides correctness and the per-function
    reward logs — and it takes an integer L_cache and a fixed −1 scale. Here the shaping
    is a step of the method's advantage hook on lengths, so it runs before DRA and only
    for the methods that declare it.
    """
    if overlong_penalty == 0 or inputs.lengths is None or not inputs.max_length:
        return rewards
    cache = overlong_buffer_frac * inputs.max_length
    start = inputs.max_length - cache
    over = (inputs.lengths.to(rewards.dtype) - start).clamp(min=0)
    return rewards - overlong_penalty * (over / max(cache, 1e-9)).clamp(max=1.0)


def _overlong_transform(rewards, inputs, hp: "DAPOParams"):
    return overlong_shaping(rewards, inputs, overlong_buffer_frac=hp.overlong_buffer_frac,
                            overlong_penalty=hp.overlong_penalty)


class DAPOParams(Hyperparameters):
    # paper: clip 0.2/0.28; L_cache = 4096 of L_max = 20480 → 20 % (the fraction is our generalisation)
    epsilon_high: float = Field(0.28, ge=0, description="clip-higher: upper clip ε of the importance ratio (TRL epsilon_high)")
    overlong_buffer_frac: float = Field(
        0.2, ge=0, le=1, description="L_cache / L_max: the share of the length limit over which the overlong penalty ramps up")
    overlong_penalty: float = Field(1.0, ge=0, description="reward subtracted at the length limit (0 turns shaping off)")


DAPO = register(
    Method(
        name="dapo",
        summary="clip-higher, token-level loss, dynamic sampling (all-equal groups left out), overlong shaping",
        paper="arXiv 2503.14476",
        loss_type="dapo",
        scale_by_std=True,
        reward_transform=_overlong_transform,
        drop_uniform_groups=True,
        hyperparameters=DAPOParams,
        trl_args=lambda hp: {"epsilon_high": hp.epsilon_high},
    )
)

class CISPOParams(Hyperparameters):
    # 5.0 is the value ScaleRL (arXiv 2510.13786) recommends
    epsilon_max: float = Field(5.0, gt=0, description="ε_max: upper clip of the stop-gradient importance weight (TRL epsilon_high)")


CISPO = register(
    Method(
        name="cispo",
        summary="clipped, stop-gradient importance weight on every token (token-level loss)",
        paper="arXiv 2506.13585",
        loss_type="cispo",
        scale_by_std=True,
        hyperparameters=CISPOParams,
        trl_args=lambda hp: {"epsilon_high": hp.epsilon_max},
    )
)
