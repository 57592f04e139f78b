"""The one place divrl touches TRL: a GRPOTrainer whose advantages come from a method.

TRL 1.16 computes group advantages inside `_generate_and_score_completions`. We let
it run, then recompute `advantages` from the raw rewards with the configured
`divrl.methods.Method` (reward transform → backbone normalisation → advantage
transform). The trainer never looks at a method's name: it reads the method's
fields — `needs` (old-policy log-probs, completion embeddings), `drop_uniform_groups`,
`loss_term` — and acts on them.

Methods that need log π_old(y) (DS, unlikeliness) would cost an extra no-grad forward.
On-policy, with the whole generated batch in one loss forward (one process,
steps_per_generation = 1: the default), π_old is the loss forward's own detached
log-probs, so their advantages are computed *inside* the loss, from that forward,
before TRL reads them ("deferred"). Otherwise the extra forward runs.

`tests/test_trl_contract.py` fails loudly if the pinned TRL's internals move.
"""

from __future__ import annotations

import torch
from accelerate.utils import gather
from trl import GRPOTrainer

from divrl import embedding
from divrl.methods import GroupInputs, Method
from divrl.methods.registry import accepted_params


def sequence_logp(per_token: torch.Tensor, mask: torch.Tensor, length_normalized: bool) -> torch.Tensor:
    """log π(y) per completion [B] from token log-probs [B, T]: their sum, or mean when length_normalized.

    Padding is selected out, not multiplied by 0: a padded position's log-prob may be
    −inf, and −inf · 0 is NaN.
    """
    keep = mask.bool()
    total = torch.where(keep, per_token, torch.zeros_like(per_token)).sum(dim=1)
    return total / keep.sum(dim=1).clamp_min(1) if length_normalized else total


class MethodGRPOTrainer(GRPOTrainer):
    def __init__(self, *args, method: Method, method_params: dict, embedding_model: str, correct_reward: float = 1.0,
                 correct_index: int | None = None, **kw):
        super().__init__(*args, **kw)
        self.method = method
        self.method_params = method.params(method_params)
        self.embed = embedding.CachedEmbedder(embedding_model, str(self.accelerator.device))
        # correctness: the weighted reward sum ≥ correct_reward (TinyZero scale: 1 iff correct), or,
        # when a reward option mixes in format/length terms (DRA's), the verifier's own column
        self.correct_reward = correct_reward
        self.correct_index = correct_index
        self._correct: torch.Tensor | None = None
        self._raw_rewards: torch.Tensor | None = None
        self._completions: list[str] | None = None
        self._policy_logps: torch.Tensor | None = None
        self._loss_inputs: dict | None = None
        # None: decide per batch (see module docstring); False forces the extra forward (tests)
        self.defer_logp_old: bool | None = None

    # TRL hook 1: rewards of all processes, (B_total, n_funcs), contiguous groups of G.
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device)
        self._raw_rewards = (rewards_per_func * weights).nansum(dim=1)
        if self.correct_index is None:
            self._correct = self._raw_rewards >= self.correct_reward
        else:
            self._correct = rewards_per_func[:, self.correct_index] >= 1.0
        self._completions = list(completions)  # this process's slice, as text
        return rewards_per_func

    # TRL hook 2: replace the advantages TRL computed with the method's.
    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        rewards = self._raw_rewards  # gathered from all processes: whole groups
        correct = self._correct
        mask = out["completion_mask"]
        extras = {"lengths": gather(mask.sum(dim=1)), "max_length": self.args.max_completion_length}
        defer = self._can_defer_logp_old(out)
        if "logp_old" in self.method.needs and not defer:
            extras["logp_old"] = gather(self._sequence_logp_old(out))
        if "embeddings" in self.method.needs:
            extras["embeddings"] = gather(self.embed(self._completions).to(rewards.device))
        group = GroupInputs(correct=correct, **extras)
        mode = "train" if self.model.training else "eval"
        group_size = self.num_generations if mode == "train" else self.num_generations_eval
        self._metrics[mode]["accuracy"].append(correct.float().mean().item())
        if defer:  # advantages need log π_old: computed in the loss forward (_apply_deferred)
            self._stash_for_loss(out, rewards, group, group_size)
            if self.method.drop_uniform_groups:
                self._drop_uniform_groups(out, rewards, slice(None), group_size)
            return out
        advantages = self.method.batch_advantages(rewards, group_size, group, **self.method_params)
        # TRL's completions table logged its own advantages: show the ones that are used
        logged = self._logs["advantages"]
        for _ in range(min(len(logged), advantages.numel())):
            logged.pop()
        logged.extend(advantages.tolist())

        n_local = mask.shape[0]
        local = slice(self.accelerator.process_index * n_local, (self.accelerator.process_index + 1) * n_local)
        out["advantages"] = advantages[local].to(out["advantages"].device)
        out["is_correct"] = correct[local]  # (B,) tensors survive TRL's shuffle and split
        if self.method.drop_uniform_groups:
            self._drop_uniform_groups(out, rewards, local, group_size)

        self._metrics[mode]["advantage_abs_mean"].append(advantages.abs().mean().item())
        return out

    def _drop_uniform_groups(self, out: dict, rewards: torch.Tensor, local: slice, group_size: int) -> None:
        """DAPO dynamic sampling, as masking: all-equal groups leave the loss and its token count.

        (DAPO also re-samples to refill the batch; TRL has no hook for that, so the
        effective batch shrinks instead. The share dropped is logged.)
        """
        groups = rewards.view(-1, group_size)
        uniform = (groups == groups[:, :1]).all(dim=1).repeat_interleave(group_size)[local]
        keep = (~uniform).to(out["completion_mask"].dtype).unsqueeze(1)
        out["completion_mask"] = out["completion_mask"] * keep
        if "num_items_in_batch" in out:
            out["num_items_in_batch"] = gather(out["completion_mask"].sum()).sum()
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["dropped_uniform_share"].append(uniform.float().mean().item())

    def _can_defer_logp_old(self, out: dict) -> bool:
        """True when the loss forward will hold this whole generated batch, on-policy."""
        if "logp_old" not in self.method.needs or self.defer_logp_old is False:
            return False
        return (
            out.get("old_per_token_logps") is None  # TRL: on-policy, π_old = π_θ
            and self.accelerator.num_processes == 1
            and self.args.steps_per_generation == 1  # one micro-batch per generated batch
            and self.model.training
        )

    def _stash_for_loss(self, out: dict, rewards: torch.Tensor, group: GroupInputs, group_size: int) -> None:
        """Per-completion tensors for _apply_deferred; (B,) tensors survive TRL's shuffle."""
        out["divrl_position"] = torch.arange(rewards.numel(), device=rewards.device)
        out["divrl_reward"] = rewards
        out["divrl_correct"] = group.correct
        out["divrl_length"] = group.lengths
        # the generated mask, kept before DAPO's dropping zeroes whole groups of it: log π_old
        # must be the completions' own, not 0 for dropped groups
        out["divrl_mask"] = out["completion_mask"].clone()
        if group.embeddings is not None:
            out["divrl_embedding"] = group.embeddings
        out["is_correct"] = group.correct
        out["advantages"] = torch.zeros_like(rewards)  # placeholder until the loss forward
        self._deferred_group_size = group_size

    def _apply_deferred(self, logps: torch.Tensor) -> None:
        """Advantages from the loss forward's detached log-probs (TRL reads them next)."""
        inputs = self._loss_inputs
        order = torch.argsort(inputs["divrl_position"])  # undo TRL's shuffle: groups contiguous again
        total = sequence_logp(logps.detach(), inputs["divrl_mask"], self.method_params.get("length_normalized", False))
        emb = inputs.get("divrl_embedding")
        group = GroupInputs(
            correct=inputs["divrl_correct"][order], logp_old=total[order],
            embeddings=None if emb is None else emb[order], lengths=inputs["divrl_length"][order],
            max_length=self.args.max_completion_length,
        )
        rewards = inputs["divrl_reward"][order]
        adv_sorted = self.method.batch_advantages(rewards, self._deferred_group_size, group, **self.method_params)
        advantages = torch.empty_like(adv_sorted)
        advantages[order] = adv_sorted
        inputs["advantages"] = advantages.to(inputs["advantages"].device)
        self._metrics["train"]["advantage_abs_mean"].append(advantages.abs().mean().item())

    @torch.no_grad()
    def _sequence_logp_old(self, out: dict) -> torch.Tensor:
        """log π_old(y) per completion [B_local]: sum (or mean) of token log-probs.

        TRL leaves `old_per_token_logps` unset when generation and optimisation are in
        step (then π_old = π_θ at sampling time); we compute it in that case.
        """
        per_token = out.get("old_per_token_logps")
        if per_token is None:
            ids = torch.cat([out["prompt_ids"], out["completion_ids"]], dim=1)
            attn = torch.cat([out["prompt_mask"], out["completion_mask"]], dim=1)
            per_token, _, _ = self._get_per_token_logps_and_entropies(
                self.model, ids, attn, out["completion_ids"].size(1), batch_size=self.args.per_device_train_batch_size
            )
        return sequence_logp(per_token, out["completion_mask"], self.method_params.get("length_normalized", False))

    # TRL hook 3: extra loss terms, from the log-probs of the loss's own forward pass.
    def _get_per_token_logps_and_entropies(self, *args, **kw):
        logps, entropies, aux = super()._get_per_token_logps_and_entropies(*args, **kw)
        if torch.is_grad_enabled():
            self._policy_logps = logps  # the forward inside _compute_loss (carries gradients)
            if self._loss_inputs is not None and "divrl_position" in self._loss_inputs:
                self._apply_deferred(logps)
        return logps, entropies, aux

    def _compute_loss(self, model, inputs):
        self._policy_logps = None
        self._loss_inputs = inputs  # the dict TRL reads "advantages" from after its forward
        try:
            loss = super()._compute_loss(model, inputs)
        finally:
            self._loss_inputs = None
        if self.method.loss_term is None or self._policy_logps is None:  # e.g. TRL's no-grad eval pass
            return loss
        hp = accepted_params(self.method.loss_term, self.method_params)
        term = self.method.loss_term(
            self._policy_logps,
            inputs.get("old_per_token_logps"),
            inputs["completion_mask"],
            inputs["is_correct"],
            inputs["advantages"],
            **hp,
        )
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["method_loss_term"].append(term.item())
        accumulation = self.current_gradient_accumulation_steps if mode == "train" else 1
        return loss + term / accumulation
