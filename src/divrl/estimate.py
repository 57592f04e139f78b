"""GPU-hours a config will cost, per rule, before anything is submitted.

Generated tokens / throughput: evaluation draws problems × (n_samples + greedy) ×
max_new_tokens × cluster.mean_length_fraction tokens per (run, test set) at
cluster.sample_tokens_per_second per job; training generates steps × prompts_per_step ×
num_generations completions of max_completion_length × mean_length_fraction tokens at
cluster.train_tokens_per_second. Both rates are per job (all its GPUs), so GPU-hours =
hours × GPUs per job. A rough plan, not a measurement: set the rates from a short run.
"""

from __future__ import annotations


def test_problems(cfg: dict) -> dict[str, int | None]:
    """Problems per test set, where the config says (toy: data.n_test; datasets: max_rows)."""
    if not cfg["datasets"]:
        return {cfg["task"]: cfg["data"]["n_test"]}
    return {name: src.get("max_rows") for name, src in cfg["datasets"]["test"].items()}


def estimate(cfg: dict) -> list[dict]:
    """One row per rule: jobs, hours per job, GPUs per job, GPU-hours in all."""
    c, e, t = cfg["cluster"], cfg["eval"], cfg["train"]
    gpu = cfg["device"] == "cuda"
    frac, shards = c["mean_length_fraction"], e["shards"]
    per_sample = (e["n_samples"] + (1 if e["greedy"] else 0)) * e["max_new_tokens"] * frac
    bases = len(cfg["base"]["seeds"])  # every method × seed is trained from each base model
    trained = len(cfg["methods"]) * len(cfg["seeds"]) * bases
    runs = trained + len(cfg.get("evaluate_models", {}))
    rows = []
    sets = test_problems(cfg)
    known = [p for p in sets.values() if p is not None]
    if known:
        hours = sum(known) * per_sample / c["sample_tokens_per_second"] / 3600  # all test sets of one model
        eval_gpus = c["eval_gpus"] if gpu else 0
        suffix = "_shard" if shards > 1 else ""
        jobs = len(known) * shards
        rows.append({"rule": f"sample_base{suffix}", "jobs": jobs * bases, "hours_per_job": hours / jobs, "gpus": eval_gpus})
        rows.append({"rule": f"evaluate{suffix}", "jobs": jobs * runs, "hours_per_job": hours / jobs, "gpus": eval_gpus})
    tokens = t["steps"] * t["prompts_per_step"] * t["num_generations"] * t["max_completion_length"] * frac
    rows.append({"rule": "train", "jobs": trained,
                 "hours_per_job": tokens / c["train_tokens_per_second"] / 3600, "gpus": c["train_gpus"] if gpu else 0})
    for row in rows:
        row["gpu_hours"] = row["jobs"] * row["hours_per_job"] * row["gpus"]
    return rows


def table(cfg: dict) -> str:
    """The estimate as text (a dry run prints it)."""
    c = cfg["cluster"]
    lines = [f"GPU-hours estimate ({c['sample_tokens_per_second']:g} sampled / {c['train_tokens_per_second']:g} trained"
             f" tokens/s per job, completions at {c['mean_length_fraction']:g} of their limit; cluster.* keys):"]
    rows = estimate(cfg)
    limits = {"train": c["train_runtime"] / 60}
    for r in rows:
        limit = limits.get(r["rule"], c["eval_runtime"] / 60)
        over = f"  > its {limit:g} h limit: raise {'cluster.train_runtime' if r['rule'] == 'train' else 'eval.shards'}" if r["hours_per_job"] > limit else ""
        lines.append(f"  {r['rule']:<18} {r['jobs']:>5} jobs × {r['hours_per_job']:8.2f} h × {r['gpus']} GPU = {r['gpu_hours']:10.1f} GPU-h{over}")
    lines.append(f"  {'total':<18} {sum(r['gpu_hours'] for r in rows):62.1f} GPU-h")
    unknown = [name for name, p in test_problems(cfg).items() if p is None]
    if unknown:
        lines.append(f"  (not counted: test sets without max_rows: {', '.join(unknown)})")
    return "\n".join(lines)
