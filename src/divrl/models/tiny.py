"""Build the embedded toy base model and pretrain it by supervised learning.

The toy base model plays the role of the papers' base LLM. Its SFT targets are drawn
*uniformly among all valid solutions* of a problem, so the model it produces spreads
probability over many right answers (diverse) while still making mistakes
(imperfect) — the starting point on which RL sharpening can be seen.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from divrl.settings.base_model import TinySpec
from divrl.models.tokenizer import build_tokenizer

log = logging.getLogger(__name__)


def build_model(spec: TinySpec, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    # Llama rather than Qwen2: transformers 5 overrides the saved tokenizer class for
    # model_type "qwen2" (it would load Qwen2's BPE tokenizer over our char vocabulary).
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=4 * spec.hidden_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def _tokenize(problems: list[dict], tokenizer) -> list[tuple[list[int], list[list[int]]]]:
    """(prompt ids, [solution ids + EOS]) per problem, tokenized once up front, in two
    batched tokenizer calls (all prompts, then all solutions) rather than two per problem."""
    eos = tokenizer.eos_token_id
    prompts = tokenizer([p["prompt"] for p in problems])["input_ids"]
    flat = tokenizer([s for p in problems for s in p["solutions"]])["input_ids"] if problems else []
    out, at = [], 0
    for p, ids in zip(problems, prompts):
        n = len(p["solutions"])
        out.append((ids, [s + [eos] for s in flat[at : at + n]]))
        at += n
    return out


def _batch(data: list, pad_id: int, rng: random.Random, size: int, device) -> dict:
    """A fresh batch: random problems, each with one solution drawn uniformly."""
    rows = [data[rng.randrange(len(data))] for _ in range(size)]
    prompts = [p for p, _ in rows]
    answers = [rng.choice(sols) for _, sols in rows]
    width = max(len(p) + len(a) for p, a in zip(prompts, answers))
    ids = torch.full((size, width), pad_id)
    labels = torch.full((size, width), -100)  # loss on the completion only
    mask = torch.zeros((size, width), dtype=torch.long)
    for i, (p, a) in enumerate(zip(prompts, answers)):
        seq = p + a  # right padding: positions match generation, which never pads prompts
        ids[i, : len(seq)] = torch.tensor(seq)
        labels[i, len(p) : len(seq)] = torch.tensor(a)
        mask[i, : len(seq)] = 1
    return {k: v.to(device) for k, v in dict(input_ids=ids, labels=labels, attention_mask=mask).items()}


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up, then cosine to zero, as a factor of the peak lr.

    Not transformers.get_cosine_schedule_with_warmup: its cosine part is the same, but its
    warm-up starts at 0 (step / warmup) where this one starts at 1 / warmup ((step + 1) /
    warmup), so its first step does not move the weights and every warm-up step's rate is
    one step behind. Switching would change the toy base model, hence every default table
    (tests/test_settings_tiny_schedule.py compares the two step by step).
    """
    if step < warmup:
        return (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * frac))


def pretrain(problems: list[dict], spec: TinySpec, out_dir: str | Path, device: str = "cpu") -> dict:
    """Build, train and save (save_pretrained) the base model; return its training log."""
    torch.manual_seed(spec.seed)
    rng = random.Random(spec.seed)
    tokenizer = build_tokenizer()
    model = build_model(spec, tokenizer).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("tiny Llama: %d layers, d=%d, %.2fM parameters", spec.num_layers, spec.hidden_size, n_params / 1e6)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, betas=(0.9, 0.98), weight_decay=spec.weight_decay)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: lr_factor(step, spec.warmup_steps, spec.sft_steps))
    data = _tokenize(problems, tokenizer)
    history, t0 = [], time.time()
    model.train()
    bar = tqdm(range(spec.sft_steps), desc="sft", mininterval=2)
    for step in bar:
        loss = model(**_batch(data, tokenizer.pad_token_id, rng, spec.batch_size, device)).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == spec.sft_steps - 1:
            history.append({"step": step, "loss": loss.item(), "lr": sched.get_last_lr()[0]})
            bar.set_postfix(loss=f"{loss.item():.3f}")
    out = Path(out_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    info = {"n_params": n_params, "seconds": time.time() - t0, "spec": asdict(spec), "history": history}
    (out / "sft_log.json").write_text(json.dumps(info, indent=1))
    return info
