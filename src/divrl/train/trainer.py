"""Where divrl reaches into TRL's training loop: a GRPOTrainer whose advantages come from a method.

TRL 1.16 computes group advantages inside `_generate_and_score_completions`. We let
it run, then recompute `advantages` from the raw rewards with the configured
`divrl.methods.Method` (reward transform → backbone normalisation → advantage
transform). The trainer never looks at a method's name or hyperparameters: it reads
the method's fields — `needs` (old-policy log-probs, completion embeddings),
`drop_uniform_groups`, `loss_term` — and asks the hyperparameters how to reduce token
log-probs (`logp_reduction`). The hyperparameters arrive validated, as the method's typed
instance (`Method.typed`, once per run); every step hands that same instance to the hooks.

Methods that need log π_old(y) (DS, unlikeliness) would cost an extra no-grad forward.
On-policy, with the whole generated batch in one loss forward (one process,
steps_per_generation = 1: the default), π_old is the loss forward's own detached
log-probs, so their advantages are computed *inside* the loss, from that forward,
before TRL reads them ("deferred"). Otherwise the extra forward runs. Both paths build
the method's inputs and advantages with the same two functions (`_group_inputs`,
`_method_advantages`), over the whole gathered batch in generation order.

Keys we add to TRL's batch dict (TRL shuffles and splits every per-completion tensor in
it, so whatever the loss needs per completion must travel there):
- `divrl_correct` [B] bool: the verifier's verdict, for a method's `loss_term`;
- `divrl_position` [B] int (deferred path only): each row's index in generation order,
  to undo TRL's shuffle, so groups are contiguous again when the advantages are formed.

`dra_official_code` (train.dra_official_code): DRA's embeddings reproduce the official
code instead of the paper (methods/dra.py says where): completions are embedded cut at
3,584 tokens, and each is handed to the method with the summed embeddings of its own
process's slice of the batch (the official similarity span), not its group's.

Two replacements for speed, same arithmetic: HF-path rollouts by sampling/rollout.py
(keyed under train.coupled_sampling), the loss forward over prefix trees (train/prefix.py).
`tests/test_trl_contract.py` fails loudly if the pinned TRL's internals move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from accelerate.utils import gather
from trl import GRPOTrainer
from trl.models import unwrap_model_for_generation

from divrl.models import embedding
from divrl.methods import GroupInputs, Hyperparameters, Method
from divrl.methods.dra import process_slice_totals
from divrl.sampling.keyed import rollout_rows
from divrl.train import prefix, resumable_sampler
from divrl.sampling import rollout


def sequence_logp(per_token: torch.Tensor, mask: torch.Tensor, reduction: str) -> torch.Tensor:
    """log π(y) per completion [B] from token log-probs [B, T]: their "sum", or "mean" per token.

    Padding is selected out, not multiplied by 0: a padded position's log-prob may be
    −inf, and −inf · 0 is NaN.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"log-prob reduction {reduction!r} is not 'sum' or 'mean'")
    keep = mask.bool()
    total = torch.where(keep, per_token, torch.zeros_like(per_token)).sum(dim=1)
    return total / keep.sum(dim=1).clamp_min(1) if reduction == "mean" else total


@dataclass
class _HookState:
    """What TRL's hooks hand each other within one step, in the order TRL calls them.

    _calculate_rewards → rewards, correct, completions (whole batch, all processes; texts local)
    _generate_and_score_completions → group, group_size, logp_mask (deferred path only)
    _compute_loss → loss_inputs, policy_logps (the forward inside the loss)
    """

    rewards: torch.Tensor | None = None  # [B_total] weighted reward sums
    correct: torch.Tensor | None = None  # [B_total] bool
    completions: list[str] | None = None  # [B_local] this process's texts
    group: GroupInputs | None = None  # the method's inputs, generation order (logp_old: None until known)
    group_size: int = 0
    logp_mask: torch.Tensor | None = None  # [B, T] generated mask, kept before DAPO's dropping zeroes it
    loss_inputs: dict | None = None  # the dict TRL reads "advantages" from after its forward
    policy_logps: torch.Tensor | None = None  # [B, T] with gradients, from the loss forward


class MethodGRPOTrainer(GRPOTrainer):
    def __init__(self, *args, method: Method, hyperparameters: Hyperparameters, embedding_model: str,
                 correct_reward: float = 1.0, correct_index: int | None = None, coupled_sampling: bool = False,
                 dra_official_code: bool = False, **kw):
        super().__init__(*args, **kw)
        self.coupled_sampling = coupled_sampling
        self._rollout_keys: list[str] = []  # problem ids of the batch being generated (coupled sampling)
        self.method = method
        self.hyperparameters = method.require_typed(hyperparameters)  # Method.typed's: never re-validated
        self.method_params = hyperparameters.resolved()  # as the config gave them: the run's log and fingerprint
        self.dra_official_code = dra_official_code
        max_tokens = embedding.OFFICIAL_DRA_MAX_TOKENS if dra_official_code else None
        self.embed = embedding.CachedEmbedder(embedding_model, str(self.accelerator.device), max_tokens=max_tokens)
        # correctness: the weighted reward sum ≥ correct_reward (TinyZero scale: 1 iff correct), or,
        # when a reward option mixes in format/length terms (DRA's), the verifier's own column
        self.correct_reward = correct_reward
        self.correct_index = correct_index
        self._hook_state = _HookState()
        # None: decide per batch (see module docstring); False forces the extra forward (tests)
        self.defer_logp_old: bool | None = None

    def _get_train_sampler(self, dataset=None):
        # TRL's shuffle with set_epoch: a run resumed after its first epoch keeps the data order
        return resumable_sampler.resumable(super()._get_train_sampler(dataset))

    @property
    def _correct(self) -> torch.Tensor | None:
        return self._hook_state.correct

    @property
    def _completions(self) -> list[str] | None:
        return self._hook_state.completions

    # TRL hook 0: rollouts on the HF path by sampling/rollout.py (prompts shared, keyed noise when coupled).
    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        if (self.use_vllm or self.use_transformers_continuous_batching or images is not None or multimodal_fields
                or self.is_fsdp_enabled or self.args.generation_kwargs or self.repetition_penalty != 1.0 or self.min_p):
            if self.coupled_sampling:
                raise ValueError("train.coupled_sampling: needs the plain Hugging Face rollout path (no vLLM, "
                                 "FSDP, images or extra generation settings)")
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations,
                                                 has_tool_images)
        noise = rollout.TorchNoise()
        if self.coupled_sampling:  # row i of this process is sample (global row) mod G of its problem
            assert len(self._rollout_keys) == len(prompt_ids), "coupled sampling: one problem id per rollout row"
            first = self.accelerator.process_index * len(prompt_ids)
            index = [(first + i) % num_generations for i in range(len(prompt_ids))]
            noise = rollout.KeyedNoise(rollout_rows(self.args.seed, self.state.global_step, self._rollout_keys, index))
        unwrap = unwrap_model_for_generation(self.model_wrapped, self.accelerator,
                                             gather_deepspeed3_params=self.args.ds3_gather_for_generation,
                                             gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs)
        with unwrap as model:
            ids = rollout.sample(model, prompt_ids, max_new_tokens=self.max_completion_length,
                                 eos_ids=self.eos_token_ids, pad_id=self._tokenizer.pad_token_id, noise=noise,
                                 processors=rollout.warpers(self.temperature, self.top_k, self.top_p))
        return ids, None

    def _plain_model(self) -> bool:
        """One process and no DeepSpeed/FSDP/checkpointing wrapper: the forward is the module's own."""
        return (self.accelerator.num_processes == 1 and not self.is_deepspeed_enabled and not self.is_fsdp_enabled
                and not self.args.gradient_checkpointing)

    # TRL hook 1: rewards of all processes, (B_total, n_funcs), contiguous groups of G.
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device)
        s = self._hook_state = _HookState(rewards=(rewards_per_func * weights).nansum(dim=1))
        if self.correct_index is None:
            s.correct = s.rewards >= self.correct_reward
        else:
            s.correct = rewards_per_func[:, self.correct_index] >= 1.0
        s.completions = list(completions)  # this process's slice, as text
        return rewards_per_func

    # TRL hook 2: replace the advantages TRL computed with the method's.
    def _generate_and_score_completions(self, inputs):
        self._rollout_keys = [str(x.get("id", x["prompt"])) for x in inputs]
        out = super()._generate_and_score_completions(inputs)
        s = self._hook_state
        mode = "train" if self.model.training else "eval"
        s.group_size = self.num_generations if mode == "train" else self.num_generations_eval
        n_local = out["completion_mask"].shape[0]
        local = slice(self.accelerator.process_index * n_local, (self.accelerator.process_index + 1) * n_local)
        defer = self._can_defer_logp_old(out)
        logp_old = None
        if "logp_old" in self.method.needs and not defer:
            logp_old = gather(self._sequence_logp_old(out))
        s.group = self._group_inputs(out, logp_old)
        self._metrics[mode]["accuracy"].append(s.correct.float().mean().item())
        out["divrl_correct"] = s.correct[local]
        if defer:  # advantages need log π_old: computed in the loss forward (_advantages_in_loss)
            s.logp_mask = out["completion_mask"].clone()
            out["divrl_position"] = torch.arange(n_local, device=s.rewards.device)
            out["advantages"] = torch.zeros_like(s.rewards)  # placeholder until the loss forward
        else:
            s.logp_mask = None
            advantages = self._method_advantages(s.group, mode)
            out["advantages"] = advantages[local].to(out["advantages"].device)
        if self.method.drop_uniform_groups:
            self._drop_uniform_groups(out, s.rewards, local, s.group_size)
        return out

    def _group_inputs(self, out: dict, logp_old: torch.Tensor | None) -> GroupInputs:
        """What the method reads about the whole gathered batch (generation order, groups contiguous)."""
        mask = out["completion_mask"]
        embeddings = slice_totals = None
        if "embeddings" in self.method.needs:
            embeddings = gather(self.embed(self._hook_state.completions).to(self._hook_state.rewards.device))
            if self.dra_official_code:  # the official similarity spans this process's generated slice
                embeddings, slice_totals = process_slice_totals(embeddings, mask.shape[0])
        return GroupInputs(
            correct=self._hook_state.correct, logp_old=logp_old, embeddings=embeddings,
            lengths=gather(mask.sum(dim=1)), max_length=self.args.max_completion_length, slice_totals=slice_totals,
        )

    def _method_advantages(self, group: GroupInputs, mode: str, position: torch.Tensor | None = None) -> torch.Tensor:
        """The method's advantages for the whole batch (one call: hooks see whole groups).

        Returned in generation order [B_total], or in the row order of a shuffled batch
        dict when `position` (its rows' generation indices) is given.
        """
        s = self._hook_state
        advantages = self.method.batch_advantages(s.rewards, s.group_size, group, self.hyperparameters)
        # TRL's completions table logged its own advantages (generation order): show the ones that are used
        logged = self._logs["advantages"]
        for _ in range(min(len(logged), advantages.numel())):
            logged.pop()
        logged.extend(advantages.tolist())
        if position is not None:
            advantages = advantages[position]
        # over the rows as the batch holds them (the float sum's order is part of the logged value)
        self._metrics[mode]["advantage_abs_mean"].append(advantages.abs().mean().item())
        return advantages

    def _sequence_logp(self, per_token: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return sequence_logp(per_token, mask, self.hyperparameters.logp_reduction())

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

    def _advantages_in_loss(self, inputs: dict, logps: torch.Tensor) -> None:
        """Deferred path: log π_old from the loss forward's detached log-probs, then the advantages TRL reads next."""
        s = self._hook_state
        position = inputs["divrl_position"]
        order = torch.argsort(position)  # undo TRL's shuffle: generation order, groups contiguous again
        logp_old = self._sequence_logp(logps.detach()[order], s.logp_mask)
        advantages = self._method_advantages(replace(s.group, logp_old=logp_old), "train", position)
        inputs["advantages"] = advantages.to(inputs["advantages"].device)

    @torch.no_grad()
    def _sequence_logp_old(self, out: dict) -> torch.Tensor:
        """log π_old(y) per completion [B_local], reduced over tokens as the method declares.

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
        return self._sequence_logp(per_token, out["completion_mask"])

    # TRL hook 3: extra loss terms, from the log-probs of the loss's own forward pass; that
    # forward over the batch's prefix tree where the model allows it (train/prefix.py).
    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
                                           compute_entropy=False, compute_aux_loss=False, **extra):
        shared = None
        if self._plain_model() and prefix.supported(model) and not compute_aux_loss and not self.args.cast_lm_head_to_fp32 and (
                all(v is None for v in extra.values()) and (batch_size is None or batch_size >= input_ids.size(0))):
            with self.accelerator.autocast():
                shared = prefix.logps_and_entropies(model, input_ids, attention_mask, logits_to_keep, compute_entropy,
                                                    self.temperature)
        if shared is not None:
            (logps, entropies), aux = shared, None
        else:
            logps, entropies, aux = super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size,
                compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss, **extra)
        s = self._hook_state
        if torch.is_grad_enabled():
            s.policy_logps = logps  # the forward inside _compute_loss (carries gradients)
            if s.loss_inputs is not None and "divrl_position" in s.loss_inputs:
                self._advantages_in_loss(s.loss_inputs, logps)
        return logps, entropies, aux

    def _compute_loss(self, model, inputs):
        s = self._hook_state
        s.policy_logps, s.loss_inputs = None, inputs
        try:
            loss = super()._compute_loss(model, inputs)
        finally:
            s.loss_inputs = None
        if self.method.loss_term is None or s.policy_logps is None:  # e.g. TRL's no-grad eval pass
            return loss
        term = self.method.loss_term(s.policy_logps, inputs.get("old_per_token_logps"), inputs["completion_mask"],
                                     inputs["divrl_correct"], inputs["advantages"], self.hyperparameters)
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["method_loss_term"].append(term.item())
        accumulation = self.current_gradient_accumulation_steps if mode == "train" else 1
        return loss + term / accumulation
