"""Unlikeliness reward (He, Fried & Welleck, "Rewarding the Unlikely", arXiv 2506.02355).

The rule of the authors' released code (github AndreHe02/rewarding-unlikely-release,
`RayLeanTrainer._compute_advantages` in verl/trainer/ppo/ray_lean_trainer.py), which we
follow in every point the code decides:

    R̃_i = R_i · (1 − β_rank · rank_i / G)

- rank_i ∈ {0, …, G−1} ranks *all* G completions of the group, correct or not, by
  log π_old(y_i) in ascending order: the least likely gets 0 (no penalty), the most
  likely G−1 (factor 1 − β_rank·(G−1)/G).
- log π_old(y_i) is the per-token *mean* of the old policy's token log-probs over the
  completion's tokens (their masked mean), hence `length_normalized: true` by default.
- Every reward is multiplied, not only the correct ones. With the code's binary Lean
  rewards (1 proved / 0 not) that changes only correct completions, which is why the rule
  reads as "likely right answers earn less"; with partial credit (our 0.1 for a
  well-formed wrong answer) the wrong-but-rewarded completions are re-ranked too, as
  the code's formula does.
- β_rank = 0.25 is the released script's value (examples/lean/grpo.sh:
  `lean.rank_penalty=0.25`; the config's own default, 0, switches the reward off).
- Ties: the code double-argsorts, so tied log-probs (identical completions) get distinct
  ranks in whatever order the sort leaves them. Ours gives each tied completion the mean
  of the ranks the tie spans: the code's result averaged over the tie's orders (the
  factor is linear in the rank), and independent of the order of the group, which the
  registry requires. Without ties the two are identical.
- Then GRPO as usual: (R̃ − mean R̃) / (std R̃ + ε), unbiased std, as in the code
  (their ε is 1e-6, the registry's TRL ε 1e-4).

Reach, not rule: the released script also sets `lean.advantage_threshold=True`, which
drops groups whose samples are all correct or all wrong before this step, so the
published runs used the reward only inside mixed groups. The rule itself acts on any
group it is given and this method applies it to all-correct groups too (it is the only
signal there); `acts_on_uniform_groups` declares it. When filtering shrinks a group the
code's G is the number of samples kept; ours is always the sampled group size.

The DS paper (arXiv 2511.19942, App. C.2) uses this method as a baseline; its text in
our copy describes "the rank of the solution based on its probability under the policy"
and a sweep of the coefficient, but the formula, the sweep set and the chosen value are
lost from the extracted text, so nothing there contradicts the code; the DS text says
"the policy", the code uses π_old (the rollout policy, the same thing on-policy).
Before this revision we ranked only the correct completions (1 = most likely), by the
*sum* of token log-probs, and scaled by 1 − β(G − rank)/G: that differs from the code
whenever a group mixes right and wrong answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it is used: the workflow's parse imports the
    from torch import Tensor  # registry (names, defaults) and must not pay for torch

from pydantic import Field

from divrl.methods.hyperparameters import LengthNormalized, length_normalized_field
from divrl.methods.registry import GroupInputs, Method, register


def ascending_rank(logp: Tensor) -> Tensor:
    """rank_i = #{j : logp_j < logp_i} + #{j ≠ i : logp_j = logp_i} / 2, in [0, G−1].

    0 for the least likely completion; tied completions share the mean of the ranks
    they span, so the result does not depend on the order of the group. A NaN
    log-prob counts as −inf (least likely), as DS's `finite_logp` treats it.
    """
    import torch
    logp = torch.where(torch.isnan(logp), torch.full_like(logp, float("-inf")), logp)
    below = (logp.unsqueeze(0) < logp.unsqueeze(1)).sum(dim=1)  # [i]: j with logp_j < logp_i
    tied = (logp.unsqueeze(0) == logp.unsqueeze(1)).sum(dim=1) - 1  # others equal to i
    return below.to(logp.dtype) + tied.to(logp.dtype) / 2


def unlikeliness_rewards(rewards: Tensor, logp_old: Tensor, *, beta_rank: float) -> Tensor:
    """R_i · (1 − β_rank · rank_i / G) for every completion. rewards, logp_old: [G] → [G]."""
    g = rewards.numel()
    rank = ascending_rank(logp_old.to(rewards.dtype))
    return rewards * (1 - beta_rank * rank / g)


def _reward_transform(rewards: Tensor, inputs: GroupInputs, hp: UnlikelinessParams) -> Tensor:
    return unlikeliness_rewards(rewards, inputs.logp_old, beta_rank=hp.beta_rank)


class UnlikelinessParams(LengthNormalized):
    # ≤ 1 keeps every factor 1 − β·rank/G positive (rank ≤ G − 1)
    beta_rank: float = Field(
        0.25, ge=0, le=1,
        description="β_rank: the most likely of G completions keeps 1 − β_rank·(G−1)/G of its reward (He et al.'s script: 0.25)")
    # He et al.'s code ranks by the per-token mean of log π_old
    length_normalized: bool = length_normalized_field(default=True)


register(
    Method(
        name="unlikeliness",
        summary="rewards scaled by 1 − β·rank/G, rank of log π_old among the group (0 = least likely)",
        paper="arXiv 2506.02355",
        loss_type="grpo",
        reward_transform=_reward_transform,
        hyperparameters=UnlikelinessParams,
        needs=frozenset({"logp_old"}),
        acts_on_uniform_groups=True,
    )
)
