"""Sampling with Hugging Face `generate` (CPU or GPU; the default backend)."""

from __future__ import annotations

import logging

import torch
from tqdm import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer

from divrl.sampling import SampleSpec

log = logging.getLogger(__name__)


def load_policy(model_dir: str, device: str, dtype: str):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).to(device)
    model.eval()
    return model, tokenizer


def sample(model_dir: str, prompts: list[str], spec: SampleSpec) -> list[list[str]]:
    """spec.n completions for every prompt, in prompt order."""
    return sample_many(model_dir, prompts, [spec])[0]


def sample_many(model_dir: str, prompts: list[str], specs: list[SampleSpec]) -> list[list[list[str]]]:
    """`sample` for each spec, the model loaded once (device and dtype: the first spec's)."""
    model, tokenizer = load_policy(model_dir, specs[0].device, specs[0].dtype)
    return [_generate(model, tokenizer, prompts, spec) for spec in specs]


def _decoding(spec: SampleSpec) -> dict:
    """generate() arguments for the spec's decoding.

    Sampling is pure ancestral unless the spec truncates: top_k=spec.top_k (0 is off;
    HF's own default would be 50) and top_p from spec, so pass@k measures the policy
    itself, not a truncated version of it. Temperature 0 is greedy decoding; the
    sampling knobs are then reset to their neutral values so that a model's
    generation_config cannot leak them in (transformers warns about set-but-unused ones).
    """
    if spec.temperature == 0:
        return dict(do_sample=False, temperature=1.0, top_k=0, top_p=1.0)
    return dict(do_sample=True, temperature=spec.temperature, top_k=spec.top_k, top_p=spec.top_p)


@torch.no_grad()
def _generate(model, tokenizer, prompts: list[str], spec: SampleSpec) -> list[list[str]]:
    torch.manual_seed(spec.seed)
    per_call = max(1, spec.batch_size // spec.n)  # prompts per call
    chunks = max(1, -(-spec.n // spec.batch_size))  # calls per prompt when n > batch_size
    out: list[list[str]] = []
    bar = tqdm(total=len(prompts) * spec.n, desc="greedy" if spec.temperature == 0 else "sample", unit="seq", mininterval=2)
    for start in range(0, len(prompts), per_call):
        batch = prompts[start : start + per_call]
        enc = tokenizer(batch, return_tensors="pt", padding=True).to(spec.device)
        got: list[list[str]] = [[] for _ in batch]
        for c in range(chunks):
            k = min(spec.batch_size, spec.n - c * spec.batch_size) if chunks > 1 else spec.n
            gen = model.generate(
                **enc,
                **_decoding(spec),
                repetition_penalty=1.0,  # an instruct model's generation_config may set one (vLLM ignores it)
                max_new_tokens=spec.max_new_tokens,
                num_return_sequences=k,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
            )
            texts = tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            for i in range(len(batch)):
                got[i].extend(texts[i * k : (i + 1) * k])
            bar.update(len(batch) * k)
        out.extend(got)
    bar.close()
    return out
