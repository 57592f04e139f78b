"""GPU-hours a config will cost, per rule, before anything is submitted (a dry run prints it).

Evaluation: every test set's problems × (n_samples + greedy) completions, decoded by vLLM
(or HF generate, eval.backend) on cluster.gpu; training: each generated batch's rollouts
(vLLM colocated when train.use_vllm, else HF generate), then forward + backward over the
padded completions, reference and old-policy forwards, weight syncs and checkpoints. The
physics and its sources are in divrl.cost.throughput, completion lengths in
divrl.cost.completion_lengths (measured from the base model's samples once sample_base has run),
test-set sizes in divrl.cost.benchmark_sizes; docs/cost.md checks the result against published
wall times. A measured rate (cluster.sample_tokens_per_second / train_tokens_per_second, from
a pilot job) replaces the model's.
"""

from __future__ import annotations

import math

from divrl.cost.benchmark_sizes import problems_per_test_set
from divrl.cost.completion_lengths import Lengths, completion_lengths
from divrl.cost.throughput import (
    GPUS, TRAIN_FLOPS_USE, VLLM_MAX_NUM_SEQS, Arch, Gpu, arch_of, generation_seconds, kv_capacity_sequences,
    train_flops_per_token,
)

PROMPT_TOKENS = 200  # ours: a templated math or Countdown prompt (the filters cap them at 256–2,048)
JOB_START_S = 180  # loading the model, starting vLLM and capturing its CUDA graphs, per job
ROUND_OVERHEAD_S = 3  # per generated batch: weights pushed to vLLM, rewards, logging
CHECKPOINT_BYTES_PER_PARAM = 14  # bf16 weights + fp32 master copy + Adam's two moments
CHECKPOINT_WRITE_GBS = 1.0  # ours: a shared file system's write speed


def _gpu(cfg: dict) -> Gpu:
    return GPUS[cfg["cluster"]["gpu"]] if cfg["device"] == "cuda" else GPUS["cpu"]


def _eval_spec(cfg: dict, spec: dict) -> dict:
    """The eval section with a test set's own keys (datasets.test.NAME.eval) over it."""
    return {**cfg["eval"], **((spec or {}).get("eval") or {})}


def eval_seconds(cfg: dict, problems: int, e: dict, arch: Arch, gpu: Gpu, lengths: Lengths) -> float:
    """Seconds of sampling one test set for one model (all its jobs together, without starts)."""
    sequences = problems * (e["n_samples"] + (1 if e["greedy"] else 0))
    limit = e["max_new_tokens"]
    mean = lengths.mean_under(limit)
    rate = cfg["cluster"]["sample_tokens_per_second"]
    if rate is not None:
        return sequences * mean / rate
    gpus = cfg["cluster"]["eval_gpus"] if cfg["device"] == "cuda" else 1
    per_gpu = sequences / gpus  # tensor parallelism taken as data parallel: an optimistic split
    if e["backend"] == "vllm":
        engine = "vllm"
        concurrency = min(VLLM_MAX_NUM_SEQS, kv_capacity_sequences(arch, gpu, e["gpu_memory_utilization"], PROMPT_TOKENS + mean))
    else:
        engine, concurrency = "hf", e["batch_size"]
    shards = cfg["eval"]["shards"]  # each shard job waits for its own longest completion
    longest = lengths.longest_of(per_gpu / shards, limit)
    return shards * generation_seconds(arch, gpu, per_gpu / shards, PROMPT_TOKENS, mean, longest, engine, concurrency)


def eval_sets(cfg: dict) -> list[tuple[str, int | None, str, float]]:
    """(test set, problems, where that number comes from, hours to sample it for one model)."""
    arch, gpu, lengths = arch_of(cfg["base"]), _gpu(cfg), completion_lengths(cfg)
    specs = cfg["datasets"]["test"] if cfg["datasets"] else {}
    out = []
    for name, (problems, source) in problems_per_test_set(cfg).items():
        hours = math.nan
        if problems is not None:
            hours = eval_seconds(cfg, problems, _eval_spec(cfg, specs.get(name)), arch, gpu, lengths) / 3600
        out.append((name, problems, source, hours))
    return out


def train_breakdown(cfg: dict, engine: str | None = None, rollout_gpus: int | None = None,
                    rollout_memory_share: float | None = None) -> dict:
    """Seconds of one training by part: generation, optimisation, overhead, and the inputs.

    engine / rollout_gpus / rollout_memory_share describe another rollout setup than the
    config's colocated one, e.g. the published runs' vLLM server on one GPU of its own,
    without CUDA graphs (engine 'vllm_eager', rollout_gpus 1): docs/cost.md."""
    t, c = cfg["train"], cfg["cluster"]
    arch, gpu, lengths = arch_of(cfg["base"]), _gpu(cfg), completion_lengths(cfg)
    gpus = c["train_gpus"] if cfg["device"] == "cuda" else 1
    per_gen = max(1.0, t["steps_per_generation"] / t["gradient_accumulation_steps"])  # optimizer steps a batch feeds
    rounds = math.ceil(t["steps"] / (per_gen * t["num_iterations"]))
    per_step = t["prompts_per_step"] * t["num_generations"]  # completions an optimizer step trains on
    per_round = per_step * per_gen  # completions a generation round makes
    limit = t["max_completion_length"]
    mean = lengths.mean_under(limit)
    if c["train_tokens_per_second"] is not None:  # a pilot's measured rate
        seconds = t["steps"] * per_step * mean / c["train_tokens_per_second"]
        return {"generation": 0.0, "optimisation": seconds, "overhead": 0.0, "rounds": rounds, "mean": mean,
                "engine": "measured rate", "total": seconds}

    # 0: the per-device batch TRL derives (divrl.settings.train)
    per_device = t["per_device_batch_size"] or max(1, per_step // (gpus * t["gradient_accumulation_steps"]))
    engine = engine or ("vllm" if t["use_vllm"] and cfg["device"] == "cuda" else "hf")
    rollout_gpus = rollout_gpus or gpus
    on_one = per_round / rollout_gpus
    if engine == "hf":
        concurrency = per_device * t["steps_per_generation"]
    else:  # TRL's colocated vLLM: max_num_seqs = per-device batch × steps_per_generation, KV in its memory share
        share = rollout_memory_share or t["vllm_gpu_memory_utilization"]
        concurrency = min(on_one, kv_capacity_sequences(arch, gpu, share, PROMPT_TOKENS + mean))
    longest = lengths.longest_of(on_one, limit)
    generation = rounds * generation_seconds(arch, gpu, on_one, PROMPT_TOKENS, mean, longest, engine, concurrency)

    # a micro-batch is padded to its longest completion
    padded = PROMPT_TOKENS + lengths.longest_of(per_device, limit)
    context = padded / 2
    flops = t["steps"] * per_step * padded * train_flops_per_token(arch, context, t["gradient_checkpointing"])
    forwards = (t["beta"] > 0) + (t["num_iterations"] > 1 or t["steps_per_generation"] > t["gradient_accumulation_steps"])
    flops += forwards * rounds * per_round * padded * arch.flops_per_token(context)
    optimisation = flops / (gpus * gpu.tflops * 1e12 * TRAIN_FLOPS_USE)

    saves = t["steps"] // t["save_steps"] if t["save_steps"] else 0
    save_s = arch.params * CHECKPOINT_BYTES_PER_PARAM / (CHECKPOINT_WRITE_GBS * 1e9)
    overhead = JOB_START_S + rounds * ROUND_OVERHEAD_S + saves * save_s
    return {"generation": generation, "optimisation": optimisation, "overhead": overhead, "rounds": rounds,
            "mean": mean, "engine": engine, "total": generation + optimisation + overhead}


def estimate(cfg: dict) -> list[dict]:
    """One row per rule: jobs, hours per job, GPUs per job, GPU-hours in all."""
    c, e = cfg["cluster"], cfg["eval"]
    gpu = cfg["device"] == "cuda"
    shards = e["shards"]
    bases = len(cfg["base"]["seeds"])  # every method × seed is trained from each base model
    trained = len(cfg["methods"]) * len(cfg["seeds"]) * bases
    runs = trained + len(cfg.get("evaluate_models", {}))
    rows = []
    counted = [s for s in eval_sets(cfg) if s[1] is not None]
    if counted:
        jobs = len(counted) * shards
        hours = sum(s[3] for s in counted) / jobs + JOB_START_S / 3600
        eval_gpus = c["eval_gpus"] if gpu else 0
        suffix = "_shard" if shards > 1 else ""
        rows.append({"rule": f"sample_base{suffix}", "jobs": jobs * bases, "hours_per_job": hours, "gpus": eval_gpus})
        rows.append({"rule": f"evaluate{suffix}", "jobs": jobs * runs, "hours_per_job": hours, "gpus": eval_gpus})
    rows.append({"rule": "train", "jobs": trained, "hours_per_job": train_breakdown(cfg)["total"] / 3600,
                 "gpus": c["train_gpus"] if gpu else 0})
    for row in rows:
        row["gpu_hours"] = row["jobs"] * row["hours_per_job"] * row["gpus"]
    return rows


def table(cfg: dict) -> str:
    """The estimate as text (a dry run prints it), with where each input comes from."""
    c = cfg["cluster"]
    arch, lengths = arch_of(cfg["base"]), completion_lengths(cfg)
    gpu_name = c["gpu"] if cfg["device"] == "cuda" else "cpu"
    b = train_breakdown(cfg)
    lines = [
        f"GPU-hours estimate on {gpu_name} (cluster.gpu; docs/cost.md): {arch.params / 1e9:.2f}B parameters ({arch.source});"
        f" completions {lengths.mean:.0f} tokens before limits ({lengths.source})",
        f"  one training: {b['rounds']} rollout rounds ({b['engine']}) {b['generation'] / 3600:.2f} h + optimisation"
        f" {b['optimisation'] / 3600:.2f} h + overhead {b['overhead'] / 3600:.2f} h, {b['mean']:.0f} tokens a completion",
    ]
    sets = eval_sets(cfg)
    if any(s[1] is not None for s in sets):
        lines.append("  test sets (problems, source): " + ", ".join(f"{n} {p} ({src})" for n, p, src, _ in sets if p is not None))
    t = cfg["train"]
    if t["use_vllm"] and cfg["device"] == "cuda":
        free = GPUS[c["gpu"]].memory_gb * t["vllm_gpu_memory_utilization"] - arch.weight_bytes / 1e9
        if free <= 0:
            lines.append(f"  train.vllm_gpu_memory_utilization {t['vllm_gpu_memory_utilization']:g} of {gpu_name}'s"
                         f" {GPUS[c['gpu']].memory_gb:g} GB does not hold the {arch.weight_bytes / 1e9:.1f} GB of weights:"
                         " vLLM will not start (estimated at one sequence at a time)")
    if cfg["eval"]["sequential"]:
        lines.append("  eval.sequential: evaluation counted at its cap (n_samples); problems that stop early cost less")
    limits = {"train": c["train_runtime"] / 60}
    for r in estimate(cfg):
        limit = limits.get(r["rule"], c["eval_runtime"] / 60)
        over = ""
        if r["hours_per_job"] > limit:
            fix = "it goes on in the next job (cluster.train_jobs)" if r["rule"] == "train" else "raise eval.shards"
            over = f"  > its {limit:g} h limit: {fix}"
        lines.append(f"  {r['rule']:<18} {r['jobs']:>5} jobs × {r['hours_per_job']:8.2f} h × {r['gpus']} GPU = {r['gpu_hours']:10.1f} GPU-h{over}")
    lines.append(f"  {'total':<18} {sum(r['gpu_hours'] for r in estimate(cfg)):62.1f} GPU-h")
    unknown = [n for n, p, _, _ in sets if p is None]
    if unknown:
        lines.append(f"  (not counted: test sets of unknown size, give them max_rows: {', '.join(unknown)})")
    return "\n".join(lines)
