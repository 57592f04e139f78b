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
