"""Training rollouts on the Hugging Face path: TRL's tokenised prompts in, completion ids out.

TRL samples with `model.generate` on B = prompts × G rows. For a small policy that is
mostly overhead: every row re-reads its prompt (G copies of each), and `generate`
spends more per token on its own machinery than the model's arithmetic. Here each
distinct prompt is read once, its keys/values shared by its G rows, and tokens are
drawn by the Gumbel-max trick, argmax(scores + Gumbel noise) ~ softmax(scores), after
HF's own warpers (temperature, top-k, top-p, in HF's order): the same distribution as
`generate(do_sample=True)`, and the same positions (HF's: from the attention mask).

Where the noise comes from is the caller's choice:
- `TorchNoise`: the global torch generator, as `generate` uses it (a resumed run
  restores it from the checkpoint, so resume stays bit-identical);
- `KeyedNoise`: hashed from a key per row and the token position (sampling/keyed.py),
  so two runs that give a row the same key draw the same numbers for it
  (train.coupled_sampling: key = seed, step, problem, sample index in the group).
"""

from __future__ import annotations

import torch
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from divrl.sampling.keyed import gumbel
from divrl.sampling.lean_decode import LeanStep
from divrl.sampling.lean_decode import supported as lean_supported


class TorchNoise:
    """Gumbel noise from a torch generator (None: the global one)."""

    def __init__(self, generator: torch.Generator | None = None):
        self.generator = generator

    def __call__(self, position: int, rows: torch.Tensor, vocab: int) -> torch.Tensor:
        exp = torch.empty(rows.numel(), vocab, device=rows.device).exponential_(generator=self.generator)
        return -exp.log()  # −log Exp(1) is Gumbel(0, 1)


class KeyedNoise:
    """Gumbel noise for row b at completion position t from (keys[b], t) alone."""

    def __init__(self, keys: torch.Tensor):
        self.keys = keys

    def __call__(self, position: int, rows: torch.Tensor, vocab: int) -> torch.Tensor:
        return gumbel(self.keys.to(rows.device)[rows], position, vocab)


def warpers(temperature: float, top_k: int | None, top_p: float | None) -> list:
    """HF's sampling warpers in HF's order (temperature, top-k, top-p); none where neutral."""
    out = [TemperatureLogitsWarper(temperature)] if temperature != 1.0 else []
    if top_k:
        out.append(TopKLogitsWarper(top_k))
    if top_p is not None and top_p < 1.0:
        out.append(TopPLogitsWarper(top_p))
    return out


def _left_pad(prompts: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long, device=device)
        mask[i, width - len(p):] = 1
    return ids, mask


@torch.inference_mode()
def sample(model, prompts: list[list[int]], *, max_new_tokens: int, eos_ids: list[int], pad_id: int, noise,
           processors: list = ()) -> list[list[int]]:
    """One completion per prompt row (rows may repeat a prompt), each cut after its first
    EOS (kept, as TRL keeps it) or at max_new_tokens.

    A finished row leaves the batch (its cache rows with it): the later steps compute
    only the rows still running. `noise(t, rows, vocab)` gets the original indices of
    the running rows. Decode steps go through sampling/lean_decode.py where it applies.
    """
    device = next(model.parameters()).device
    distinct: dict[tuple, int] = {}
    inverse = torch.tensor([distinct.setdefault(tuple(p), len(distinct)) for p in prompts], device=device)
    ids, mask = _left_pad([list(p) for p in distinct], pad_id, device)
    positions = (mask.cumsum(-1) - 1).clamp_min(0)  # as generate: pads at 0, tokens from 0 after the padding
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
    logits, mask, position = out.logits[inverse, -1], mask[inverse], positions[inverse, -1] + 1
    decode = _Decoder(model, out.past_key_values, inverse, mask)
    eos = torch.tensor(eos_ids, device=device)
    running = torch.arange(len(prompts), device=device)  # original index of each row still in the batch
    tokens = torch.full((len(prompts), max_new_tokens), pad_id, dtype=torch.long, device=device)
    for t in range(max_new_tokens):
        scores = logits.float()
        for warp in processors:
            scores = warp(None, scores)
        token = (scores + noise(t, running, scores.size(-1))).argmax(dim=-1)
        tokens[running, t] = token
        go_on = ~torch.isin(token, eos)
        if t + 1 == max_new_tokens or not go_on.any():
            break
        if not go_on.all():
            keep = go_on.nonzero().squeeze(1)
            running, token, position = running[keep], token[keep], position[keep]
            decode.keep(keep)
        logits, position = decode(token, position), position + 1
    return _cut(tokens.tolist(), set(eos_ids))


class _Decoder:
    """The next token's logits for each running row: the lean step where the model allows
    it, else the model itself."""

    def __init__(self, model, cache, rows: torch.Tensor, mask: torch.Tensor):
        self.model, self.mask = model, mask
        self.padded = not bool(mask.all())
        self.lean = LeanStep(model) if lean_supported(model) else None
        if self.lean:
            self.keys = [layer.keys[rows] for layer in cache.layers]
            self.values = [layer.values[rows] for layer in cache.layers]
        else:
            self.cache = cache
            cache.batch_select_indices(rows)  # each row reads its prompt's keys/values

    def keep(self, rows: torch.Tensor) -> None:
        self.mask = self.mask[rows]
        if self.lean:
            self.keys, self.values = [k[rows] for k in self.keys], [v[rows] for v in self.values]
        else:
            self.cache.batch_select_indices(rows)

    def __call__(self, token: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        self.mask = torch.cat([self.mask, self.mask.new_ones(token.size(0), 1)], dim=1)
        if self.lean:
            return self.lean(token, position, self.keys, self.values, self.mask if self.padded else None)
        out = self.model(input_ids=token[:, None], attention_mask=self.mask, position_ids=position[:, None],
                         past_key_values=self.cache, use_cache=True)
        return out.logits[:, -1]


def _cut(rows: list[list[int]], eos: set[int]) -> list[list[int]]:
    """Each row up to and including its first EOS (the rest is padding)."""
    out = []
    for row in rows:
        end = next((i + 1 for i, tok in enumerate(row) if tok in eos), len(row))
        out.append(row[:end])
    return out
