"""Paper configs: each validates, plans a sane Slurm DAG (`snakemake -n --profile profiles/slurm`),
and holds the values its paper or official code gives (docs/paper_sources.md)."""

import re
import subprocess
import sys

import pytest
import yaml

from divrl.config.load import load_config
from divrl.report.vs_paper import rows_of

# name -> the --configfile list (overlays after their base, as Snakemake deep-merges them)
PAPERS = {
    "dra_grpo": ["dra_grpo"],
    "dra_grpo_seed42": ["dra_grpo", "dra_grpo_seed42"],
    "r1_zero_div": ["r1_zero_div"],
    "ds_countdown": ["ds_countdown"],
    "ds_math": ["ds_math"],
    "ds_math_qwen25_math_7b": ["ds_math", "ds_math_qwen25_math_7b"],
    "ds_math_qwen3_1p7b": ["ds_math", "ds_math_qwen3_1p7b"],
    "ds_math_ministral_8b": ["ds_math", "ds_math_ministral_8b"],
}


def merge(base: dict, over: dict) -> dict:
    """Snakemake's --configfile merge: mappings recursively, everything else (lists) replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def raw(root, name: str) -> dict:
    """The merged config, as the files stand (no data file staged by hand)."""
    cfg: dict = {}
    for part in PAPERS[name]:
        cfg = merge(cfg, yaml.safe_load((root / f"config/paper/{part}.yaml").read_text()))
    return cfg


def test_every_paper_config_is_planned_here(root):
    """A new config/paper/*.yaml must join PAPERS, so it is dry-run too."""
    files = {p.stem for p in (root / "config/paper").glob("*.yaml")}
    assert files == {part for parts in PAPERS.values() for part in parts}


@pytest.fixture(scope="module")
def plans(root, tmp_path_factory):
    """All dry-runs, at most two at a time (each spends seconds importing Snakemake and the plugin).

    Each in a working directory of its own, empty as a fresh clone's: nothing downloaded or
    staged there, so data that are not on the hub must be planned as downloads."""
    out, names = {}, list(PAPERS)
    for i in range(0, len(names), 2):
        procs = {}
        for name in names[i : i + 2]:
            cfg = raw(root, name)
            cfg["results"] = str(tmp_path_factory.mktemp(name) / "results")
            path = tmp_path_factory.mktemp(f"{name}_cfg") / "c.yaml"
            path.write_text(yaml.safe_dump(cfg))
            cmd = [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm", "--configfile", str(path),
                   "-s", str(root / "workflow/Snakefile"), "-d", str(tmp_path_factory.mktemp(f"{name}_workdir"))]
            procs[name] = (cfg, subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        out.update({name: (cfg, *p.communicate(timeout=300), p.returncode) for name, (cfg, p) in procs.items()})
    return out


def jobs(stdout: str) -> list[dict]:
    """Each planned job: rule name, resources dict and shell command."""
    out = []
    for block in stdout.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0].strip()
        res = re.search(r"resources: (.*)", block)
        resources = dict(kv.split("=", 1) for kv in res[1].split(", ")) if res else {}
        shell = re.search(r"Shell command: (.*)", block)
        out.append({"rule": rule, "resources": resources, "shell": shell[1] if shell else ""})
    return out


@pytest.mark.parametrize("name", PAPERS)
def test_paper_config_validates(root, name):
    cfg = load_config(raw(root, name))
    assert cfg["device"] == "cuda" and cfg["base"]["model"] and cfg["datasets"]
    # every published row names one of our methods (or base) and one of our test sets (or avg)
    for row in rows_of(cfg["paper"]):
        assert row["method"] in {"base", *cfg["methods"]}, row
        assert row["bench"] in {"avg", *cfg["datasets"]["test"]}, row


@pytest.mark.parametrize("name", PAPERS)
def test_paper_config_plans_a_sane_slurm_dag(plans, name):
    cfg, stdout, stderr, rc = plans[name]
    assert rc == 0, stderr[-2000:]
    planned = jobs(stdout)
    count = lambda rule: sum(j["rule"] == rule for j in planned)  # noqa: E731
    runs, benches = len(cfg["methods"]) * len(cfg["seeds"]), len(cfg["datasets"]["test"])
    assert count("data") == 1 and count("report_tables") == len(cfg["datasets"]["test"])
    downloads = [s for s in [*cfg["datasets"]["train"], *cfg["datasets"]["test"].values()] if s.get("url")]
    assert count("download") == len({s["sha256"] for s in downloads})  # one job per pinned file
    assert count("base") == 0  # a named model: nothing to pretrain
    assert count("train") == runs and count("evaluate") == runs * benches and count("sample_base") == benches
    shards = cfg["eval"].get("shards", 1)  # S > 1: S shard jobs per evaluation, evaluate/sample_base merge them
    if shards > 1:
        assert count("evaluate_shard") == runs * benches * shards and count("sample_base_shard") == benches * shards
    report = next(j for j in planned if j["rule"] == "report_paper")
    assert "--paper " in report["shell"]  # the scorecard is part of every paper config's report
    gpus_train = cfg["cluster"]["train_gpus"]
    for job in planned:
        res = job["resources"]
        if job["rule"] == "train":
            assert int(res["gpu"]) == gpus_train and int(res["mem_mb"]) > 16_000
            assert int(res["runtime"]) == cfg["cluster"]["train_runtime"]
            assert int(res["cpus_per_task"]) >= gpus_train * 8
            launcher = "accelerate launch --config_file" if gpus_train > 1 else "divrl train"
            assert launcher in job["shell"] and f"--base {cfg['base']['model']}" in job["shell"]
            if gpus_train > 1:
                assert f"--num_processes {gpus_train} " in job["shell"] and "-m divrl train" in job["shell"]
                assert "--mixed_precision bf16" in job["shell"]  # train.bf16, not the accelerate file, decides
        sampling = ("evaluate_shard", "sample_base_shard") if shards > 1 else ("evaluate", "sample_base")
        if job["rule"] in sampling:
            assert int(res["gpu"]) == cfg["cluster"]["eval_gpus"]
            assert '"backend": "vllm"' in job["shell"]
            assert int(res["runtime"]) == cfg["cluster"]["eval_runtime"]
        elif job["rule"] in ("evaluate", "sample_base"):  # the merge: CPU only
            assert int(res["gpu"]) == 0 and "divrl evaluate-merge" in job["shell"]
            assert job["shell"].count(f"-of-{shards}.parquet") == shards  # every shard's file, in order


def _updates_per_generation(t: dict) -> int:
    """Optimizer updates per generated batch (TRL: micro-steps per generation / accumulation)."""
    return max(1, t["steps_per_generation"] // t["gradient_accumulation_steps"])


def test_ds_countdown_is_the_papers_table(root):
    cfg = load_config(raw(root, "ds_countdown"))
    t, e = cfg["train"], cfg["eval"]
    assert cfg["base"]["model"] == "Qwen/Qwen2.5-3B-Instruct" and cfg["cluster"]["train_gpus"] == 2
    assert t["num_generations"] == 5 and t["prompts_per_step"] == 64  # mini-batch 64 of a 128-prompt batch
    assert _updates_per_generation(t) == 2 and t["steps"] == 320 * 2  # 320 RL steps, two updates each
    assert t["per_device_batch_size"] * 2 * t["steps_per_generation"] == 128 * 5
    assert cfg["datasets"]["filter"]["max_prompt_tokens"] == 2048 and t["max_completion_length"] == 8192
    assert t["entropy_coef"] == 0.001 and t["epsilon"] == 0.2 and t["temperature"] == 1.0
    assert t["loss_type"] == "dapo"  # verl's token mean over the batch (tests/test_loss_aggregation.py)
    assert (e["temperature"], e["top_k"], e["top_p"], e["n_samples"]) == (1.0, 50, 0.7, 8192)
    ds = cfg["methods"]["ds"]
    assert (ds["gamma_p"], ds["gamma_n"], ds["length_normalized"]) == (0.03, 0.01, False)  # γ inferred
    assert [c["method"] for c in cfg["paper"]["curves"]] == ["grpo", "ds"]
    assert cfg["paper"]["curves"][0]["value"][-1] == -3.80 and cfg["paper"]["curves"][1]["value"][-1] == 1.60


# name: (model, steps in RL steps, updates per RL step, max response, clip high, KL, γ_p, γ_n, train sets)
DS_MATH = {
    "ds_math": ("Qwen/Qwen2.5-Math-1.5B", 1000, 1, 2048, 0.25, 0.0, 0.01, 0.01, 2),
    "ds_math_qwen25_math_7b": ("Qwen/Qwen2.5-Math-7B", 500, 1, 2048, 0.25, 0.0, 0.01, 0.01, 2),
    "ds_math_qwen3_1p7b": ("Qwen/Qwen3-1.7B", 300, 2, 4096, 0.25, 0.0, 0.02, 0.002, 1),
    "ds_math_ministral_8b": ("mistralai/Ministral-8B-Instruct-2410", 300, 2, 2048, 0.22, 0.001, 0.02, 0.002, 2),
}


@pytest.mark.parametrize("name", DS_MATH)
def test_ds_math_is_the_papers_column(root, name):
    model, rl_steps, updates, length, high, kl, gp, gn, n_train = DS_MATH[name]
    cfg = load_config(raw(root, name))
    t, e = cfg["train"], cfg["eval"]
    assert cfg["base"]["model"] == model and len(cfg["datasets"]["train"]) == n_train
    assert cfg["datasets"]["train"][0]["source"] == "open-r1/DAPO-Math-17k-Processed"
    assert t["prompts_per_step"] * updates == 32 and t["num_generations"] == 8  # 32 prompts per RL step, G = 8
    assert _updates_per_generation(t) == updates and t["steps"] == rl_steps * updates
    assert t["max_completion_length"] == length and cfg["datasets"]["filter"]["max_prompt_tokens"] == 1024
    assert (t["epsilon"], t["epsilon_high"], t["beta"], t["loss_type"]) == (0.2, high, kl, "dapo")
    assert t["temperature"] == 0.7 and t["entropy_coef"] == 0.0
    assert (e["n_samples"], e["temperature"]) == (128, 0.7)
    ds = cfg["methods"]["ds"]
    assert (ds["gamma_p"], ds["gamma_n"], ds["length_normalized"]) == (gp, gn, False)
    assert cfg["methods"]["ds_pos"]["gamma_p"] == gp and cfg["methods"]["ds_neg"]["gamma_n"] == gn
    assert {r["range"][1] for r in cfg["paper"]["rows"] if "range" in r} == {2.9, 6.7}
    if name == "ds_math_qwen25_math_7b":
        assert len(cfg["seeds"]) == 3
    # §4.3's five benchmarks, for every model
    assert set(cfg["datasets"]["test"]) == {"math500", "olympiadbench", "amc23", "aime24", "aime25"}
    assert t["reward"] == "tinyzero"  # ours, marked: the paper gives no math reward
    # §4.7 / Fig. 4's baselines ran on Ministral-8B-Instruct only
    baselines = {"entropy_bonus", "entropy_penalty", "unlikeliness", "pkpo", "passk_training"}
    assert baselines <= set(cfg["methods"]) if name == "ds_math_ministral_8b" else not baselines & set(cfg["methods"])


def test_r1_zero_div_is_the_papers_setup(root):
    cfg = load_config(raw(root, "r1_zero_div"))
    t, e = cfg["train"], cfg["eval"]
    assert (t["lr"], t["lr_scheduler"], t["temperature"], t["beta"], t["num_generations"]) == (3e-6, "cosine", 0.9, 1e-4, 6)
    assert (t["per_device_batch_size"], t["gradient_accumulation_steps"]) == (1, 64)  # Table 6, 7B
    assert t["prompts_per_step"] * t["steps"] >= 2 * 7473 > t["prompts_per_step"] * (t["steps"] - 1)  # 2 epochs
    assert e["greedy"] and (e["n_samples"], e["temperature"], e["div_equ_samples"]) == (8, 0.5, 5)
    assert cfg["methods"]["div"]["lam"] == 0.01
    avg = {(r["method"], r["metric"]): r["value"] for r in cfg["paper"]["rows"] if r["bench"] == "avg"}
    assert avg[("grpo", "greedy_at_1")] == 61.0 and avg[("div", "greedy_at_1")] == 64.4 and avg[("div", "mean_at_1")] == 63.56
    # §2.2 accuracy + format rewards (tests/test_accuracy_format_reward.py), Figure 2's system prompt
    # as a chat turn (tests/test_r1_zero_div_prompt.py), for training and every test set
    assert t["reward"] == "accuracy_format" and cfg["datasets"]["chat_template"]
    sources = [*cfg["datasets"]["train"], *cfg["datasets"]["test"].values()]
    assert {s["template"] for s in sources} == {"r1_zero_div"}
    college = cfg["datasets"]["test"]["college_math"]
    assert re.fullmatch(r"https://raw\.githubusercontent\.com/QwenLM/Qwen2\.5-Math/[0-9a-f]{40}/"
                        r"evaluation/data/college_math/test\.jsonl", college["url"])  # a commit, not a branch
    assert re.fullmatch(r"[0-9a-f]{64}", college["sha256"]) and not college["source"]


def test_r1_zero_div_fetches_college_math_before_the_data_job(plans):
    """From a fresh clone: a (local) download job with the pinned URL and sha256, whose file the data job reads."""
    from divrl.data.download import local_path

    cfg, stdout, stderr, rc = plans["r1_zero_div"]
    assert rc == 0, stderr[-2000:]
    college = cfg["datasets"]["test"]["college_math"]
    fetched = local_path(college["url"], college["sha256"]).as_posix()
    download = next(j for j in jobs(stdout) if j["rule"] == "download")
    assert f"--url {college['url']}" in download["shell"] and f"--sha256 {college['sha256']}" in download["shell"]
    assert f"--out {fetched}" in download["shell"]
    data_block = next(b for b in stdout.split("\nrule ")[1:] if b.startswith("data:"))
    assert re.search(r"input: .*" + re.escape(fetched), data_block)


def test_r1_zero_div_analysis_set_is_evaluated_as_in_section_3(plans):
    """MATH-500 a second time with §3's own settings (16 samples, T 0.9), outside Table 1's average."""
    cfg, stdout, stderr, rc = plans["r1_zero_div"]
    assert rc == 0, stderr[-2000:]
    planned = jobs(stdout)
    sampling = [j for j in planned if j["rule"] in ("evaluate", "sample_base", "evaluate_shard", "sample_base_shard")]
    own = [j for j in sampling if "/math500_div/" in j["shell"]]
    rest = [j for j in sampling if "/math500_div/" not in j["shell"]]
    assert own and rest
    assert all('"n_samples": 16' in j["shell"] and '"temperature": 0.9' in j["shell"] for j in own)
    assert all('"n_samples": 8' in j["shell"] and '"temperature": 0.5' in j["shell"] for j in rest)
    report = next(j for j in planned if j["rule"] == "report_benchmarks")
    assert "--not-averaged math500_div" in report["shell"]
    data = next(j for j in planned if j["rule"] == "data")
    assert '"in_average"' not in data["shell"] and '"n_samples": 16' not in data["shell"]  # no data rerun


def test_dra_is_the_official_recipe(root):
    cfg = load_config(raw(root, "dra_grpo"))
    assert cfg["seeds"] == [2025] and load_config(raw(root, "dra_grpo_seed42"))["seeds"] == [2025, 42]
    assert cfg["methods"]["dra_grpo"]["adjust_uniform_groups"] and cfg["methods"]["dra_dr_grpo"]["adjust_uniform_groups"]
    tests = {name: s["source"] for name, s in cfg["datasets"]["test"].items()}
    assert {tests[b] for b in ("amc23", "minerva", "olympiadbench")} == {"knoveleng/AMC-23", "knoveleng/Minerva-Math", "knoveleng/OlympiadBench"}
    t = cfg["train"]
    assert (t["num_generations"], t["lr"], t["steps"], t["max_completion_length"], t["beta"]) == (6, 1e-6, 500, 3584, 0.04)
    assert t["reward"] == "dra_official"  # format ×1 + cosine-scaled accuracy ×2
    pinned = [r for r in cfg["paper"]["rows"] if r.get("seed") == 42]
    assert [(r["method"], r["value"]) for r in pinned] == [("dra_dr_grpo", 58.2)]


def test_difficulty_filter_adds_one_rule_between_data_and_training(root, tmp_path):
    cfg = yaml.safe_load((root / "config/paper/ds_math.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    cfg["datasets"]["difficulty"] = {"samples": 8, "min_pass": 0.1, "max_pass": 0.9}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--configfile", str(path), "--cores", "2"],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    planned = jobs(res.stdout)
    assert sum(j["rule"] == "difficulty" for j in planned) == 1
    assert any("train_pool.jsonl" in j["shell"] and "divrl difficulty" in j["shell"] for j in planned)
