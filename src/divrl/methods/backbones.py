"""Policy-gradient backbones: how rewards become advantages, and how the loss is summed.

`grpo`     (R - mean) / (std + eps); per-sequence token mean, then batch mean.
           Shao et al., DeepSeekMath, arXiv 2402.03300.
`dr_grpo`  R - mean, no std scaling (removes the question-difficulty bias); token
           sum divided by a constant (max completion length). Liu et al., arXiv 2503.20783.
"""

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
    """
    if overlong_penalty == 0 or inputs.lengths is None or not inputs.max_length:
        return rewards
    cache = overlong_buffer_frac * inputs.max_length
    start = inputs.max_length - cache
    over = (inputs.lengths.to(rewards.dtype) - start).clamp(min=0)
    return rewards - overlong_penalty * (over / max(cache, 1e-9)).clamp(max=1.0)


DAPO = register(
    Method(
        name="dapo",
        summary="clip-higher, token-level loss, dynamic sampling (all-equal groups left out), overlong shaping",
        paper="arXiv 2503.14476",
        loss_type="dapo",
        scale_by_std=True,
        reward_transform=overlong_shaping,
        drop_uniform_groups=True,
        # paper: clip 0.2/0.28; L_cache = 4096 of L_max = 20480 → 20 % (the fraction is our generalisation)
        defaults={"epsilon_high": 0.28, "overlong_buffer_frac": 0.2, "overlong_penalty": 1.0},
        trl_args=lambda hp: {"epsilon_high": hp["epsilon_high"]},
    )
)

CISPO = register(
    Method(
        name="cispo",
        summary="clipped, stop-gradient importance weight on every token (token-level loss)",
        paper="arXiv 2506.13585",
        loss_type="cispo",
        scale_by_std=True,
        # TRL's ε_max for cispo; 5.0 is the value ScaleRL (arXiv 2510.13786) recommends
        defaults={"epsilon_max": 5.0},
        trl_args=lambda hp: {"epsilon_high": hp["epsilon_max"]},
    )
)
