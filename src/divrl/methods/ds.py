"""DS-GRPO: Differential Smoothing ("Differential Smoothing Mitigates Sharpening and
Improves LLM Reasoning", arXiv 2511.19942).

After GRPO standardisation, correct completions get A_i − γ_p·log π_old(y_i)
(likely right answers are pushed less: diversity among correct ones) and incorrect
ones get A_i + γ_n·log π_old(y_i) (unlikely wrong answers are pushed down harder:
correctness).

Our choices where the paper text is silent (config keys, documented in docs/methods.md):
- `gamma_p`, `gamma_n` = 0.05: ours; the paper's values were lost from our copy.
- `length_normalized` = False: log π_old(y) is the sum of token log-probs, as in the
  paper's formula; True uses the per-token mean.
- `smooth_uniform_groups` = False: groups whose rewards are all equal keep advantage
  0 (no smoothing). On our toy most groups are all-wrong, and smoothing them sharpens
  the policy (docs/methods.md); True applies the terms in every group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.hyperparameters import LengthNormalized, fixed, length_normalized_field
from divrl.methods.registry import GroupInputs, Method, register


def ds_advantages(
    advantages: Tensor,
    correct: Tensor,
    logp_old: Tensor,
    *,
    gamma_p: float,
    gamma_n: float,
) -> Tensor:
    """Differentially smoothed advantages.

    advantages: [G] standardised group advantages
    correct:    [G] bool
    logp_old:   [G] log π_old(y_i) (≤ 0)
    returns:    [G]  A_i − γ_p·logp_i if correct else A_i + γ_n·logp_i
    """
    import torch
    correct = correct.bool()
    logp_old = finite_logp(logp_old)
    shift = torch.where(correct, -gamma_p * logp_old, gamma_n * logp_old)
    return advantages + shift.to(advantages.dtype)


def finite_logp(logp: Tensor) -> Tensor:
    """log π_old [G] with non-finite entries replaced, so γ·log π stays finite.

    A token outside a sampler's top-k/top-p support (or an underflow in bf16) can make
    a sequence log-prob −inf; γ·(−inf) would turn the whole group's update into
    inf/NaN. Such a completion is treated as the least likely *finite* one of its
    group (−inf and NaN → the group's minimum finite value; +inf, which no log-prob
    can be, → 0). A group with no finite value gets 0 everywhere (no smoothing).
    """
    import torch
    ok = torch.isfinite(logp)
    if bool(ok.all()):
        return logp
    floor = logp[ok].min() if bool(ok.any()) else torch.zeros((), dtype=logp.dtype, device=logp.device)
    out = torch.where(torch.isposinf(logp), torch.zeros_like(logp), logp)
    return torch.where(ok | torch.isposinf(logp), out, floor.expand_as(logp))


def _advantage_transform(adv: Tensor, inputs: GroupInputs, hp: DSParams) -> Tensor:
    # decided on the task rewards (the registry sets `uniform`), never on adv == 0:
    # float32 rounding of the mean made formatted-but-wrong groups (all 0.1) look non-uniform
    if not hp.smooth_uniform_groups and inputs.uniform:
        return adv
    return ds_advantages(adv, inputs.correct.bool(), inputs.logp_old, gamma_p=hp.gamma_p, gamma_n=hp.gamma_n)


class DSParams(LengthNormalized):
    # ≥ 0: a negative γ reverses the smoothing
    gamma_p: float = Field(0.05, ge=0, description="γ_p: correct completions get A − γ_p·log π_old(y) (ours: the paper's value is lost)")
    gamma_n: float = Field(0.05, ge=0, description="γ_n: incorrect completions get A + γ_n·log π_old(y) (ours: the paper's value is lost)")
    length_normalized: bool = length_normalized_field()  # False: the sum, as in the paper's formula
    smooth_uniform_groups: bool = Field(
        False, description="also smooth groups whose task rewards are all equal (Eq. 6 has no exception; ours: off)")


class DSPosParams(DSParams):
    gamma_n: float = fixed(0.0, "γ_n = 0: this ablation keeps only the correct-answer term")


class DSNegParams(DSParams):
    gamma_p: float = fixed(0.0, "γ_p = 0: this ablation keeps only the incorrect-answer term")


for _name, _summary, _params in (
    ("ds", "GRPO; correct: A − γ_p·log π_old(y), incorrect: A + γ_n·log π_old(y)", DSParams),
    ("ds_pos", "DS ablation: only the correct-answer term (γ_n = 0)", DSPosParams),
    ("ds_neg", "DS ablation: only the incorrect-answer term (γ_p = 0)", DSNegParams),
):
    register(
        Method(
            name=_name,
            summary=_summary,
            paper="arXiv 2511.19942",
            loss_type="grpo",
            scale_by_std=True,
            advantage_transform=_advantage_transform,
            hyperparameters=_params,
            needs=frozenset({"logp_old"}),
        )
    )
