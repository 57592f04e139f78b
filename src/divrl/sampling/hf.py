"""Sampling with Hugging Face `generate` (CPU or GPU; the default backend).

Each prompt is generated on its own (no padding, so no other prompt can change its
logits), its n samples in calls of at most batch_size rows. Sampling is keyed
(sampling/keyed.py): sample j of a prompt depends only on (seed, the prompt's key, j),
never on the batch size, the other prompts or the job that ran it.
"""

from __future__ import annotations

import logging

import torch
from tqdm import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList

from divrl.sampling import SampleSpec
from divrl.sampling.keyed import GumbelPick, gumbel, row_keys
from divrl.models import context
from divrl.sampling.lean_decode import supported as lean_supported
from divrl.sampling.rollout import sample as rollout_sample
from divrl.sampling.rollout import warpers as rollout_warpers

log = logging.getLogger(__name__)


def load_policy(model_dir: str, device: str, dtype: str):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).to(device)
    model.eval()
    return model, tokenizer


def sample(model_dir: str, prompts: list[str], spec: SampleSpec, keys: list[str] | None = None) -> list[list[str]]:
    """spec.n completions for every prompt, in prompt order (keys: see sample_many)."""
    return sample_many(model_dir, prompts, [spec], keys)[0]


def sample_many(model_dir: str, prompts: list[str], specs: list[SampleSpec], keys: list[str] | None = None) -> list[list[list[str]]]:
    """`sample` for each spec, the model loaded once (device and dtype: the first spec's).

    keys: one per prompt (evaluation passes problem ids); default: the prompt texts.
    """
    return sampler(model_dir, specs)(prompts, keys)


def sampler(model_dir: str, specs: list[SampleSpec]):
    """Load once, then `fn(prompts, keys=None, specs=specs)` -> one result per spec (chunked and
    sequential evaluation: a round passes its own n and first)."""
    model, tokenizer = load_policy(model_dir, specs[0].device, specs[0].dtype)
    return lambda prompts, keys=None, specs=specs: [_generate(model, tokenizer, prompts, s, keys or prompts) for s in specs]


def _warpers(spec: SampleSpec) -> list:
    """Temperature, then top-k, then top-p: HF's own order for do_sample=True (the training
    rollout's `warpers`, one definition for both).

    Pure ancestral unless the spec truncates (top_k 0 is off; HF's own default would be
    50), so pass@k measures the policy itself, not a truncated version of it.
    """
    return rollout_warpers(spec.temperature, spec.top_k, spec.top_p)


@torch.no_grad()
def _generate(model, tokenizer, prompts: list[str], spec: SampleSpec, keys: list[str]) -> list[list[str]]:
    # the sampling knobs go in as processors; generate() itself decodes greedily and its
    # own ones are neutral, so a model's generation_config cannot leak them in
    is_greedy = spec.temperature == 0
    per_call = max(1, spec.batch_size)
    fitted = _fitted(model, tokenizer, prompts, keys, spec.max_new_tokens)
    out: list[list[str]] = []
    bar = tqdm(total=len(prompts) * spec.n, desc="greedy" if is_greedy else "sample", unit="seq", mininterval=2)
    for prompt, key, ids in zip(prompts, keys, fitted):
        enc = tokenizer([prompt], return_tensors="pt") if ids is None else {
            "input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
        enc = {name: t.to(spec.device) for name, t in enc.items()}
        got: list[str] = []
        for first in range(0, spec.n, per_call):
            k = min(per_call, spec.n - first)
            if _fast_path(model, spec):
                rows = None if is_greedy else row_keys(spec.seed, key, spec.first + first, k)
                got.extend(_keyed_rollout(model, tokenizer, enc["input_ids"][0], spec, rows, k))
                bar.update(k)
                continue
            processors = [] if is_greedy else [*_warpers(spec), GumbelPick(row_keys(spec.seed, key, spec.first + first, k))]
            # k copies of the prompt (HF refuses num_return_sequences > 1 when not sampling)
            gen = model.generate(
                input_ids=enc["input_ids"].expand(k, -1), attention_mask=enc["attention_mask"].expand(k, -1),
                do_sample=False, temperature=1.0, top_k=0, top_p=1.0,
                logits_processor=LogitsProcessorList(processors),
                repetition_penalty=1.0,  # an instruct model's generation_config may set one (vLLM ignores it)
                max_new_tokens=spec.max_new_tokens,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
            )
            got.extend(tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True))
            bar.update(k)
        out.append(got)
    bar.close()
    return out


def _fitted(model, tokenizer, prompts: list[str], keys: list[str], max_new_tokens: int) -> list[list[int] | None]:
    """Each prompt's token ids, once every prompt of the call is known to leave max_new_tokens
    of the model's context: a call holds at most batch_size sequences of at most the context,
    so memory is bounded by the batch, not by the longest row (a 1.5 M-number prompt grew
    evaluation to 23 GB). Else one line naming the problem; a giant prompt is refused by its
    characters, without tokenizing it (models/context.py)."""
    config = getattr(model, "config", None)
    name = getattr(config, "name_or_path", "") or "the model"
    ctx = context.of_config(config, tokenizer, name) if config is not None else None
    return context.fit(context.PromptMeter(tokenizer), prompts, [f"problem {k!r}" for k in keys], ctx,
                       f"sampling {name}", completion=max_new_tokens, completion_key="max_new_tokens")


def _fast_path(model, spec: SampleSpec) -> bool:
    """The rollout decoder for the rows of a Llama/Qwen2 policy on the CPU (the toy), sampled or
    greedy. Not on GPUs: its noise is made for all rows at once, [rows, vocab] int64 temporaries that
    GumbelPick makes in blocks for 150k-token vocabularies; generate() stays the path there."""
    return spec.device == "cpu" and getattr(model, "config", None) is not None and lean_supported(model)


def _keyed_rollout(model, tokenizer, prompt_ids: torch.Tensor, spec: SampleSpec, rows: torch.Tensor | None,
                   k: int) -> list[str]:
    """The same keyed draws as `generate` + GumbelPick, through the training rollout's decoder
    (sampling/rollout.py: the prompt read once for all rows, decode steps without HF's per-call
    machinery; ~3× faster for the toy). GumbelPick keys a token by its position in the whole
    sequence (prompt + completion), so the noise here is offset by the prompt's length.
    rows None: greedy (argmax of the raw scores, no warpers, as generate(do_sample=False))."""
    offset = prompt_ids.numel()
    if rows is None:
        noise, processors = (lambda t, running, vocab: 0.0), []  # noqa: E731
    else:
        noise = lambda t, running, vocab: gumbel(rows.to(running.device)[running], offset + t, vocab)  # noqa: E731
        processors = _warpers(spec)
    ids = rollout_sample(model, [prompt_ids.tolist()] * k, max_new_tokens=spec.max_new_tokens,
                         eos_ids=[tokenizer.eos_token_id], pad_id=tokenizer.pad_token_id, noise=noise,
                         processors=processors)
    return tokenizer.batch_decode(ids, skip_special_tokens=True)
