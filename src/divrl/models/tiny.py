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
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from divrl.models.tokenizer import build_tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TinySpec:
    hidden_size: int = 96
    num_layers: int = 3
    num_heads: int = 4
    max_positions: int = 64
    sft_steps: int = 1000
    batch_size: int = 128
    lr: float = 2e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    seed: int = 0


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
    """(prompt ids, [solution ids + EOS]) per problem, tokenized once up front."""
    eos = tokenizer.eos_token_id
    out = []
    for p in tqdm(problems, desc="tokenize", mininterval=2):
        sols = tokenizer(p["solutions"])["input_ids"]
        out.append((tokenizer(p["prompt"])["input_ids"], [s + [eos] for s in sols]))
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


def pretrain(problems: list[dict], spec: TinySpec, out_dir: str | Path, device: str = "cpu") -> dict:
    """Build, train and save (save_pretrained) the base model; return its training log."""
    torch.manual_seed(spec.seed)
    rng = random.Random(spec.seed)
    tokenizer = build_tokenizer()
    model = build_model(spec, tokenizer).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("tiny Llama: %d layers, d=%d, %.2fM parameters", spec.num_layers, spec.hidden_size, n_params / 1e6)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, betas=(0.9, 0.98), weight_decay=spec.weight_decay)

    def schedule(step: int) -> float:  # linear warm-up, then cosine to zero
        if step < spec.warmup_steps:
            return (step + 1) / spec.warmup_steps
        frac = (step - spec.warmup_steps) / max(1, spec.sft_steps - spec.warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * frac))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
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
