"""The base model as a factor: `base.seeds` builds one toy base model per seed, and runs cross
base × method × seed (train/METHOD/baseB/seedS, eval/base/baseB/SET)."""

import json
import re
import subprocess
import sys

import pytest
import yaml

from test_workflow import job_counts


def dry_run(root, tmp_path, cfg, *args):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(root / "workflow/Snakefile"), "-n", "--cores", "2",
           "--configfile", str(path), *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)


def jobs(stdout: str) -> list[tuple[str, str]]:
    """(rule, shell command) of each planned job (`-p`)."""
    out = []
    for block in stdout.split("\nrule ")[1:]:
        shell = re.search(r"Shell command: (.*)", block)
        out.append((block.split(":", 1)[0].strip(), shell[1] if shell else ""))
    return out


def test_two_base_seeds_build_two_base_models_and_cross_every_run(root, tmp_path, tiny_base):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg.update(results=str(tmp_path / "results"), evaluate_models={"published": str(tiny_base)})
    cfg["base"]["seeds"] = [0, 1]
    res = dry_run(root, tmp_path, cfg, "-p")
    assert res.returncode == 0, res.stderr[-3000:]
    runs = len(cfg["methods"]) * len(cfg["seeds"]) * 2
    assert job_counts(res.stdout) == {"data": 1, "base": 2, "sample_base": 2, "train": runs, "evaluate": runs,
                                      "evaluate_published": 1, "report_tables": 1, "report_figures": 1,
                                      "report_compare": 1, "all": 1}
    planned = jobs(res.stdout)
    r = cfg["results"]
    # each base model's own seed is the seed of its build
    builds = {re.search(r"--out (\S+)", s)[1]: json.loads(re.search(r"--params '([^']*)'", s)[1])["seed"]
              for rule, s in planned if rule == "base"}
    assert builds == {f"{r}/base/base0/model": 0, f"{r}/base/base1/model": 1}
    # run (B, METHOD, S) trains from base model B with RL seed S, into its own folders
    trained = set()
    for rule, s in planned:
        if rule == "train":
            out = re.search(r"--model-out \S+/train/(\w+)/base(\d)/seed(\d)/model", s)
            assert f"--base {r}/base/base{out[2]}/model " in s and f"--seed {out[3]} " in s
            assert f"--checkpoints {r}/checkpoints/{out[1]}/base{out[2]}/seed{out[3]} " in s  # never shared
            trained.add(out.groups())
    assert trained == {(m, str(b), str(s)) for m in cfg["methods"] for b in (0, 1) for s in cfg["seeds"]}
    # who each evaluation is: the base models by their base seed, a published checkpoint by none
    idents = [json.loads(re.search(r"--identity '([^']*)'", s)[1]) for rule, s in planned if "identity" in s]
    assert sorted(i["base_seed"] for i in idents if i["method"] == "base") == [0, 1]
    assert {(i["base_seed"], i["seed"]) for i in idents if i["method"] == "published"} == {(None, 0)}
    assert {i["base_seed"] for i in idents if i["method"] == "grpo"} == {0, 1}
    report = next(s for rule, s in planned if rule == "report_tables")
    for path in (f"{r}/eval/base/base0/countdown/metrics.json", f"{r}/eval/base/base1/countdown/metrics.json",
                 f"{r}/eval/ds/base1/seed0/countdown/metrics.json", f"{r}/eval/published/seed0/countdown/metrics.json"):
        assert path in report


def test_a_sweep_point_is_never_a_base_segment(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg.update(results=str(tmp_path / "results"), seeds=[0], methods={"grpo": {}}, validation={"problems": 4},
               sweeps={"ds": {"gamma_p": [0.1, 0.2]}})
    cfg["base"]["seeds"] = [0, 1]
    res = dry_run(root, tmp_path, cfg, "-p")
    assert res.returncode == 0, res.stderr[-3000:]
    outs = [re.search(r"--model-out (\S+)", s)[1] for rule, s in jobs(res.stdout) if rule == "train"]
    r = cfg["results"]
    assert sorted(outs) == sorted(f"{r}/train/{m}/base{b}/seed0/model" for b in (0, 1)
                                  for m in ("grpo", "ds/gamma_p=0.1", "ds/gamma_p=0.2"))


def test_a_named_base_model_takes_one_base_seed_in_one_line(root, tmp_path):
    cfg = {"results": str(tmp_path / "results"), "base": {"model": "org/model", "seeds": [0, 1]}}
    res = dry_run(root, tmp_path, cfg)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines()[-1] == (
        "config: base.seeds: [0, 1] asks for 2 base models, but base.model names one (org/model); "
        "keep one seed (e.g. base.seeds: [0])")


def test_the_base_seed_is_the_seed_of_the_build(tmp_path, tiny_problems):
    """Two base seeds give two base models; one seed twice gives the same bytes."""
    from divrl.cli import main
    from divrl.data.problems import write_jsonl

    problems = tmp_path / "train.jsonl"
    write_jsonl(tiny_problems["train"], problems)
    section = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "sft_steps": 3, "batch_size": 8, "warmup_steps": 1,
               "model": None, "device": "cpu"}
    weights = {}
    for name, seed in (("a", 0), ("b", 1), ("c", 0)):
        out = tmp_path / name
        argv = ["base", "--params", json.dumps({**section, "seed": seed}), "--problems", str(problems), "--out", str(out)]
        assert main(argv) == 0
        weights[name] = (out / "model.safetensors").read_bytes()
        assert json.loads((out / "sft_log.json").read_text())["spec"]["seed"] == seed
    assert weights["a"] == weights["c"] and weights["a"] != weights["b"]


@pytest.mark.parametrize("seeds,bases", [([0], 1), ([3, 5, 7], 3)])
def test_the_cost_estimate_counts_every_base_model(seeds, bases):
    from divrl.config.load import load_config
    from divrl.cost.estimate import estimate

    cfg = load_config({"base": {"seeds": seeds}})
    rows = {r["rule"]: r["jobs"] for r in estimate(cfg)}
    assert rows["train"] == len(cfg["methods"]) * len(cfg["seeds"]) * bases
    assert rows["sample_base"] == bases and rows["evaluate"] == rows["train"]
