"""The one place divrl touches TRL: a GRPOTrainer whose advantages come from a method.

TRL 1.16 computes group advantages inside `_generate_and_score_completions`. We let
it run, then recompute `advantages` from the raw rewards with the configured
`divrl.methods.Method` (reward transform → backbone normalisation → advantage
transform). The trainer never looks at a method's name: it reads `method.needs` to
know which extras to compute (old-policy log-probs, completion embeddings).

`tests/test_trl_contract.py` fails loudly if the pinned TRL's internals move.
"""

from __future__ import annotations

import torch
from accelerate.utils import gather
from trl import GRPOTrainer

from divrl import embedding
from divrl.methods import GroupInputs, Method


class MethodGRPOTrainer(GRPOTrainer):
    def __init__(self, *args, method: Method, method_params: dict, embedding_model: str, correct_reward: float = 1.0, **kw):
        super().__init__(*args, **kw)
        self.method = method
        self.method_params = method.params(method_params)
        self.embed = embedding.CachedEmbedder(embedding_model, str(self.accelerator.device))
        self.correct_reward = correct_reward
        self._raw_rewards: torch.Tensor | None = None
        self._completions: list[str] | None = None

    # TRL hook 1: rewards of all processes, (B_total, n_funcs), contiguous groups of G.
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device)
        self._raw_rewards = (rewards_per_func * weights).nansum(dim=1)
        self._completions = list(completions)  # this process's slice, as text
        return rewards_per_func

    # TRL hook 2: replace the advantages TRL computed with the method's.
    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        rewards = self._raw_rewards
        correct = rewards >= self.correct_reward
        extras = {}
        if "logp_old" in self.method.needs:
            extras["logp_old"] = gather(self._sequence_logp_old(out))
        if "embeddings" in self.method.needs:
            local = self.embed(self._completions).to(rewards.device)
            extras["embeddings"] = gather(local)
        group = GroupInputs(correct=correct, **extras)
        advantages = self.method.batch_advantages(rewards, self.num_generations, group, **self.method_params)
        n_local = out["advantages"].shape[0]
        start = self.accelerator.process_index * n_local
        out["advantages"] = advantages[start : start + n_local].to(out["advantages"].device)
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["accuracy"].append(correct.float().mean().item())
        self._metrics[mode]["advantage_abs_mean"].append(advantages.abs().mean().item())
        return out

    @torch.no_grad()
    def _sequence_logp_old(self, out: dict) -> torch.Tensor:
        """log π_old(y) per completion [B_local]: sum (or mean) of token log-probs.

        TRL leaves `old_per_token_logps` unset when generation and optimisation are in
        step (then π_old = π_θ at sampling time); we compute it in that case.
        """
        mask = out["completion_mask"].float()
        per_token = out.get("old_per_token_logps")
        if per_token is None:
            ids = torch.cat([out["prompt_ids"], out["completion_ids"]], dim=1)
            attn = torch.cat([out["prompt_mask"], out["completion_mask"]], dim=1)
            per_token, _, _ = self._get_per_token_logps_and_entropies(
                self.model, ids, attn, out["completion_ids"].size(1), batch_size=self.args.per_device_train_batch_size
            )
        total = (per_token * mask).sum(dim=1)
        if self.method_params.get("length_normalized", False):
            return total / mask.sum(dim=1).clamp_min(1.0)
        return total
