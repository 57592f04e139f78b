"""R1-zero-Div (Yao et al., "Diversity-Aware Policy Optimization for LLM Reasoning",
arXiv 2505.23433): J = J_GRPO + λ·J_Div, where J_Div is a token-entropy estimate over
the tokens of *correct* completions only:

    J_Div = (1/B) Σ_i I(r_i = 1) · −(1/|y_i|) Σ_t (π_θ(y_i,t)/π_old(y_i,t)) · log π_θ(y_i,t)

averaged over *all* B completions with the indicator inside (Eq. 12: the term sits in
the (1/G) Σ_i of the GRPO objective), so an incorrect completion contributes 0 and λ
keeps its meaning whatever the share of correct answers. (Dividing by the number of
correct completions instead would scale λ by B/#correct, batch by batch.)

It is computed from the log-probs of the policy forward TRL already ran for the
loss (no second forward). Switches (defaults = the paper):
- `mask`: "correct" (reward = 1, the paper) or "positive_advantage" (what a
  reimplementation reports the authors' code does);
- `old_logp`: "old" (π_old in the ratio, the paper) or "detached_current" (the
  detached current log-prob, as in the authors' code; equal when on-policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from typing import Literal

from pydantic import Field

from divrl.methods.hyperparameters import Hyperparameters
from divrl.methods.registry import Method, register


def div_entropy(
    per_token_logps: Tensor,
    old_per_token_logps: Tensor | None,
    mask: Tensor,
    selected: Tensor,
) -> Tensor:
    """J_Div: (1/B) Σ_i selected_i · per-sequence mean of −ratio·log π (scalar).

    per_token_logps, old_per_token_logps, mask: [B, T]; selected: [B] bool.
    Zero (with a graph) when nothing is selected.
    """
    import torch
    old = per_token_logps.detach() if old_per_token_logps is None else old_per_token_logps
    ratio = torch.exp(per_token_logps - old)
    per_token = -ratio * per_token_logps
    m = mask.float()
    per_seq = (per_token * m).sum(-1) / m.sum(-1).clamp(min=1.0)
    sel = selected.float()
    return (per_seq * sel).sum() / max(sel.numel(), 1)


def _loss_term(per_token_logps, old_per_token_logps, mask, correct, advantages, hp: DivParams):
    selected = correct.bool() if hp.mask_by == "correct" else advantages > 0
    old = None if hp.old_logp == "detached_current" else old_per_token_logps
    return -hp.lam * div_entropy(per_token_logps, old, mask, selected)  # maximise J_Div


class DivParams(Hyperparameters):
    lam: float = Field(0.01, ge=0, description="λ: weight of the entropy term J_Div (the paper's value)")
    mask_by: Literal["correct", "positive_advantage"] = Field(
        "correct", description="which completions enter J_Div: reward = 1 (the paper) or advantage > 0 (the authors' code)")
    old_logp: Literal["old", "detached_current"] = Field(
        "old", description="log-prob in the ratio's denominator: π_old (the paper) or the detached current one (the code)")


register(
    Method(
        name="div",
        summary="GRPO + λ·token entropy over correct completions only",
        paper="arXiv 2505.23433",
        loss_type="grpo",
        loss_term=_loss_term,
        hyperparameters=DivParams,
    )
)
