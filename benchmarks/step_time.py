"""Training-step time of every registered method, relative to GRPO, in one process.

    python benchmarks/step_time.py [--base results/base/base0/model] [--repeats 15] [--methods grpo ds …]

All methods train on the same fixed batch of the default toy config (same prompts,
same sampling seed, no optimizer step, so every step does the same generation).
Steps are interleaved in a fresh random order each round, so machine noise hits
every method alike; we print the median step time and its ratio to grpo's median.
DRA's sentence-embedding forward is the work its paper adds: its embedding cache is
emptied before every step (the cost of a step with all-new completions) and the
encoder time is printed separately.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from divrl import methods
from divrl.config.load import load
from divrl.data.countdown_data import generate
from divrl.settings.data import DataSpec
from divrl.train.run import build_trainer


from divrl.settings.train import TrainSpec
def _base_model(path: str | None, cfg: dict, problems: list[dict]) -> str:
    if path and Path(path).is_dir():
        return path
    from divrl.models.tiny import pretrain

    from divrl.settings.base_model import TinySpec
    out = Path(tempfile.mkdtemp()) / "base"
    spec = TinySpec(**{k: v for k, v in cfg["base"].items() if k in TinySpec.__dataclass_fields__ and k != "sft_steps"}, sft_steps=50)
    print(f"no base model at {path}: pretraining a stand-in for 50 steps (timing only)")
    pretrain(problems, spec, out)
    return str(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--base", default="results/base/base0/model")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--methods", nargs="*", default=None, help="default: every registered method")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    torch.set_num_threads(args.threads)

    cfg = load(args.config)
    data = generate(DataSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg["data"].items()}))
    base = _base_model(args.base, cfg, data["train"])
    spec = TrainSpec(**{k: v for k, v in cfg["train"].items() if k in TrainSpec.__dataclass_fields__})
    names = args.methods or methods.names()
    if "grpo" not in names:
        names = ["grpo", *names]

    rng = random.Random(0)
    batch_rows = rng.sample(data["train"], spec.prompts_per_step)
    inputs = [
        {"prompt": p["prompt"], "numbers": p["numbers"], "target": p["target"]}
        for p in batch_rows
        for _ in range(spec.num_generations)  # TRL's sampler repeats each prompt G times
    ]
    trainers = {}
    for name in names:
        tr = build_trainer(name, {}, 0, spec, base, data["train"], tempfile.mkdtemp())
        tr.model.train()
        tr.current_gradient_accumulation_steps = 1  # set by the train loop, which we bypass
        trainers[name] = tr

    times = {n: [] for n in names}
    embed_times = []
    for _ in range(args.repeats + 1):  # the first round warms caches and is dropped
        order = names[:]
        rng.shuffle(order)
        for name in order:
            tr = trainers[name]
            tr.embed._cache.clear()
            torch.manual_seed(1234)  # same completions for every method
            t0 = time.perf_counter()
            tr.training_step(tr.model, inputs, None)
            times[name].append(time.perf_counter() - t0)
            tr.model.zero_grad(set_to_none=True)
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        trainers[names[0]].embed(list({f"{i}+{j}" for i in range(8) for j in range(8)}))
        embed_times.append(time.perf_counter() - t0)
        trainers[names[0]].embed._cache.clear()

    base_median = statistics.median(times["grpo"][1:])
    print(f"\nstep time per method (median of {args.repeats} interleaved steps; "
          f"{spec.prompts_per_step} prompts × G={spec.num_generations}, {args.threads} thread(s))")
    print(f"{'method':16s} {'median s':>9s} {'× grpo':>7s}  needs")
    for name in names:
        med = statistics.median(times[name][1:])
        needs = ",".join(sorted(methods.get(name).needs)) or "-"
        print(f"{name:16s} {med:9.3f} {med / base_median:7.2f}  {needs}")
    print(f"\nsentence encoder (MiniLM), {spec.prompts_per_step * spec.num_generations} new completions "
          f"in one batched call: median {statistics.median(embed_times):.3f} s")


if __name__ == "__main__":
    main()
