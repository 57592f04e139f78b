"""The cost estimate (divrl.cost.estimate): its pieces against slow independent versions, its
inputs (measured lengths, data-step counts, standard test-set sizes, a pilot's rate), and the
published wall time it is checked against (docs/cost.md)."""

import json
import math
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from divrl.cost.completion_lengths import Lengths, completion_lengths
from divrl.config.load import load_config
from divrl.cost.estimate import estimate, table, train_breakdown
from divrl.cost.throughput import GPUS, MODELS, _from_config_json, decode_step_seconds, generation_seconds
from test_paper_configs import PAPERS, raw


def paper(root, name, tmp_path, **cluster):
    cfg = raw(root, name)
    cfg["results"] = str(tmp_path / "results")  # nothing measured there
    cfg.setdefault("cluster", {}).update(cluster)
    return load_config(cfg)


# ------------------------------------------------------------------ lengths
@pytest.mark.parametrize("mean,limit", [(300, 8192), (5000, 3584), (1000, 1000)])
def test_capped_mean_is_the_integral_of_the_capped_exponential(mean, limit):
    # E[min(L, c)] = ∫_0^c P(L > x) dx, by the midpoint rule
    n = 200_000
    dx = limit / n
    integral = sum(math.exp(-(i + 0.5) * dx / mean) for i in range(n)) * dx
    assert Lengths(mean, "").mean_under(limit) == pytest.approx(integral, rel=1e-6)


@pytest.mark.parametrize("n", [4, 48, 640])
def test_longest_of_n_matches_simulated_maxima(n):
    rng = random.Random(0)
    sims = [max(rng.expovariate(1 / 500) for _ in range(n)) for _ in range(2000)]
    assert Lengths(500, "").longest_of(n, 1e9) == pytest.approx(sum(sims) / len(sims), rel=0.05)
    assert Lengths(500, "").longest_of(n, 700) == 700  # never past the limit


# ------------------------------------------------------------------ throughput
def simulated_generation(arch, gpu, lengths, prompt, concurrency, engine):
    """Step-by-step continuous batching: up to `concurrency` sequences decode together, a
    finished one is replaced by the next waiting one; every step costs decode_step_seconds."""
    waiting, active, seconds = sorted(lengths, reverse=True), [], 0.0
    while waiting or active:
        while waiting and len(active) < concurrency:
            active.append([waiting.pop(), 0])
        context = prompt + sum(done for _, done in active) / len(active)
        seconds += decode_step_seconds(arch, gpu, len(active), context, engine)
        for seq in active:
            seq[1] += 1
        active = [s for s in active if s[1] < s[0]]
    return seconds


@pytest.mark.parametrize("model,gpu,mean,limit,n,concurrency", [
    ("Qwen/Qwen2.5-3B-Instruct", "a100_80gb", 300, 8192, 640, 256),  # throughput-bound
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "a100_40gb", 5000, 3584, 48, 48),  # tail-bound
])
def test_generation_time_agrees_with_a_step_by_step_simulation(model, gpu, mean, limit, n, concurrency):
    arch, card = MODELS[model], GPUS[gpu]
    lengths = [max(1, min(limit, round(-mean * math.log(1 - (i + 0.5) / n)))) for i in range(n)]  # exponential quantiles
    slow = simulated_generation(arch, card, lengths, 200, concurrency, "vllm")
    lg = Lengths(mean, "")
    fast = generation_seconds(arch, card, n, 200, lg.mean_under(limit), lg.longest_of(n, limit), "vllm", concurrency)
    assert fast == pytest.approx(slow, rel=0.35)


def test_parameters_from_a_config_json_match_the_published_count(tmp_path):
    # Qwen2.5-3B-Instruct's config.json fields; its model card says 3.09B parameters
    (tmp_path / "config.json").write_text(json.dumps({
        "hidden_size": 2048, "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2,
        "intermediate_size": 11008, "vocab_size": 151936, "tie_word_embeddings": True}))
    arch = _from_config_json(tmp_path / "config.json", "test")
    assert arch.params == pytest.approx(3.09e9, rel=0.01)
    assert arch.kv_bytes_per_token == MODELS["Qwen/Qwen2.5-3B-Instruct"].kv_bytes_per_token == 36 * 2 * 2 * 128 * 2


def test_a_reference_model_adds_one_forward_per_generated_token(root, tmp_path):
    on = paper(root, "ds_countdown", tmp_path)
    off = paper(root, "ds_countdown", tmp_path)
    off["train"]["beta"] = 0.0
    # per trained token: policy 4 forwards (gradient checkpointing), old log-probs +1 (a batch
    # feeds two optimizer steps, each on its own half, so every completion is trained once), reference +1
    assert on["train"]["num_iterations"] == 1 and on["train"]["gradient_checkpointing"]
    ratio = train_breakdown(on)["optimisation"] / train_breakdown(off)["optimisation"]
    assert ratio == pytest.approx((4 + 1 + 1) / (4 + 1))


# ------------------------------------------------------------------ inputs
@pytest.mark.parametrize("name", PAPERS)
def test_every_test_set_of_every_paper_config_is_counted(root, name, tmp_path):
    cfg = paper(root, name, tmp_path)
    text = table(cfg)
    assert "not counted" not in text
    rows = {r["rule"]: r for r in estimate(cfg)}
    assert set(rows) >= {"train"} and any(r.startswith("evaluate") for r in rows)
    assert all(r["hours_per_job"] > 0 and r["gpu_hours"] == r["jobs"] * r["hours_per_job"] * r["gpus"] for r in rows.values())


def test_measured_base_samples_replace_the_prior(tmp_path):
    cfg = load_config({"results": str(tmp_path), "cluster": {"completion_tokens": 999}})
    assert completion_lengths(cfg).source.startswith("prior")
    out = tmp_path / "eval" / "base" / "base0" / "countdown" / "samples"
    out.mkdir(parents=True)
    texts = ["x" * 40, "y" * 120]  # 10 and 30 tokens at 4 characters a token: mean 20
    pq.write_table(pa.table({"text": texts}), out / "0-of-1.parquet")
    found = completion_lengths(cfg)  # the toy base model is not on disk: no tokenizer
    assert found.mean == 20 and found.source.startswith("measured") and "characters / 4" in found.source
    assert "measured: 2 base samples" in table(cfg)


def test_the_data_steps_file_counts_a_test_set(root, tmp_path):
    cfg = paper(root, "ds_math", tmp_path)
    (tmp_path / "results" / "data" / "test").mkdir(parents=True)
    (tmp_path / "results" / "data" / "test" / "math500.jsonl").write_text('{"id": 1}\n{"id": 2}\n')
    assert "math500 2 (data step)" in table(cfg) and "amc23 40 (standard size)" in table(cfg)


def test_a_pilots_rate_replaces_the_model(root, tmp_path):
    cfg = paper(root, "ds_countdown", tmp_path, train_tokens_per_second=1000.0)
    t = cfg["train"]
    tokens = t["steps"] * t["prompts_per_step"] * t["num_generations"] * Lengths(300, "").mean_under(8192)
    train = next(r for r in estimate(cfg) if r["rule"] == "train")
    assert train["hours_per_job"] == pytest.approx(tokens / 1000 / 3600)


def test_a_vllm_share_smaller_than_the_weights_is_said(root, tmp_path):
    cfg = paper(root, "r1_zero_div", tmp_path)
    assert "vLLM will not start" not in table(cfg)  # the paper's 0.5 of a 48 GB card holds the 7.6B weights
    cfg["train"]["vllm_gpu_memory_utilization"] = 0.3  # the default: 14.4 GB < 15.2 GB of weights
    assert "vLLM will not start" in table(cfg)
    assert "vLLM will not start" not in table(paper(root, "dra_grpo", tmp_path))


# ------------------------------------------------------------------ published runs
def test_dra_grpo_published_setup_within_twice_its_wall_time(root, tmp_path):
    """DRA-GRPO: 500 steps in 12.5 h on 4 × A100-40GB (seed review); the official recipe
    (github xiwenc1/DRA-GRPO recipes/dra_grpo.yaml) trains on 3 GPUs and serves vLLM on the
    4th (vllm_device auto) with vllm_enforce_eager: true, gpu_memory_utilization 0.7."""
    cfg = paper(root, "dra_grpo", tmp_path)
    assert cfg["cluster"]["gpu"] == "a100_40gb"
    hours = train_breakdown(cfg, engine="vllm_eager", rollout_gpus=1, rollout_memory_share=0.7)["total"] / 3600
    assert 12.5 / 2 <= hours <= 12.5 * 2


def test_a_local_model_folder_not_yet_built_is_no_repo_id(tmp_path):
    """A dry run before the folder exists (a path, not a hub id): the estimate falls back to the
    table or base.params_b instead of huggingface_hub's HFValidationError at parse time."""
    from divrl.cost.throughput import arch_of

    arch = arch_of({"model": str(tmp_path / "not/yet/model"), "params_b": 1.5})
    assert arch.params > 1e9
