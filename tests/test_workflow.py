"""The Snakemake workflow: dry-run plans and one tiny real end-to-end run."""

import json
import math
import subprocess
import sys

import pandas as pd
import pytest
import yaml


def snakemake(root, *args, cwd=None, timeout=1500):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(root / "workflow/Snakefile"), *args]
    return subprocess.run(cmd, cwd=cwd or root, capture_output=True, text=True, timeout=timeout)


def job_counts(stdout: str) -> dict:
    counts, inside = {}, False
    for line in stdout.splitlines():
        if line.startswith("job ") and "count" in line:
            inside = True
            continue
        if inside:
            parts = line.split()
            if parts and parts[0] == "total":
                break
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
    return counts


def test_default_dry_run_plans_every_method_and_seed(root, tmp_path):
    cfg = yaml.safe_load((root / "config/config.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = snakemake(root, "-n", "--configfile", str(path), "--cores", "2")
    assert res.returncode == 0, res.stderr
    bases = len(cfg["base"]["seeds"])
    runs = len(cfg["methods"]) * bases * len(cfg["seeds"])  # every method × base model × seed
    assert bases >= 2 and runs >= 8 * len(cfg["methods"])  # the default's design: ≥ 8 runs per method
    counts = job_counts(res.stdout)
    assert counts == {"data": 1, "base": bases, "sample_base": bases, "train": runs, "evaluate": runs,
                      "report_tables": 1, "report_figures": 1, "report_compare": 1, "all": 1}


def test_one_method_override_plans_only_that_method(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    cfg["methods"] = {"ds": {"gamma_p": 0.1}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = snakemake(root, "-n", "--configfile", str(path), "--cores", "2")
    assert res.returncode == 0, res.stderr
    assert job_counts(res.stdout)["train"] == len(cfg["seeds"])


@pytest.mark.slow
def test_tiny_end_to_end_run(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = snakemake(root, "--cores", "2", "--configfile", str(path))
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "results"
    summary = pd.read_csv(out / "tables/summary.csv", index_col=0)
    assert set(summary.index) == {"base", *cfg["methods"]}
    assert summary.filter(like="mean").map(math.isfinite).all().all()
    for fig in ("passk.png", "passk_minus_base.png"):
        assert (out / "figures" / fig).stat().st_size > 5000
    md = (out / "tables/summary.md").read_text()
    assert "| grpo |" in md
    metrics = json.loads((out / "eval/grpo/base0/seed0/countdown/metrics.json").read_text())
    assert metrics["n"] == cfg["eval"]["n_samples"] and len(metrics["per_problem"]) == cfg["data"]["n_test"]
    # the file says whose it is: the report reads this, not the path
    who = metrics["identity"]
    assert (who["method"], who["run"], who["seed"], who["base_seed"], who["test_set"]) == ("grpo", "grpo", 0, 0, "countdown")
    assert who["params"] == {} and who["model"].endswith("train/grpo/base0/seed0/model")
    ds = json.loads((out / "eval/ds/base0/seed1/countdown/metrics.json").read_text())["identity"]
    assert ds["params"]["gamma_p"] == 0.05 and ds["seed"] == 1
    base = json.loads((out / "eval/base/base0/countdown/metrics.json").read_text())["identity"]
    assert base["seed"] is None and base["base_seed"] == 0 and base["model"].endswith("base/base0/model")
    # every rule wrote its log and benchmark
    assert (out / "logs/train/grpo/base0/seed0.log").exists() and (out / "benchmarks/base/base0.tsv").exists()
    # checkpoints live outside declared outputs, so a failed job cannot delete them
    assert any((out / "checkpoints/grpo/base0/seed0").glob("checkpoint-*"))
    for fig in ("accuracy_vs_diversity.png", "training_curves.png", "passk.pdf"):
        assert (out / "figures" / fig).stat().st_size > 5000
    # a second run has nothing to do
    again = snakemake(root, "-n", "--cores", "2", "--configfile", str(path))
    assert "Nothing to be done" in again.stdout + again.stderr
    # partial reruns: one method's hyperparameters change -> only its jobs and the report
    changed = dict(cfg, methods={**cfg["methods"], "ds": {"gamma_p": 0.2}})
    path.write_text(yaml.safe_dump(changed))
    plan = job_counts(snakemake(root, "-n", "--cores", "2", "--configfile", str(path)).stdout)
    assert plan == {"train": len(cfg["seeds"]), "evaluate": len(cfg["seeds"]), "report_tables": 1, "report_figures": 1, "report_compare": 1, "all": 1}
    # a new method -> only the new method's jobs and the report
    added = dict(cfg, methods={**cfg["methods"], "ds_pos": {}})
    path.write_text(yaml.safe_dump(added))
    plan = job_counts(snakemake(root, "-n", "--cores", "2", "--configfile", str(path)).stdout)
    assert plan == {"train": len(cfg["seeds"]), "evaluate": len(cfg["seeds"]), "report_tables": 1, "report_figures": 1, "report_compare": 1, "all": 1}
    # one method × seed retrained on demand
    path.write_text(yaml.safe_dump(cfg))
    target = str(out / "eval/grpo/base0/seed1/countdown/metrics.json")
    plan = job_counts(snakemake(root, "-n", "--cores", "2", "--configfile", str(path), "--forcerun", "train", "--", target).stdout)
    assert plan == {"train": 1, "evaluate": 1}
    # the self-contained HTML report with figures and captions
    html = tmp_path / "report.html"
    rep = snakemake(root, "--report", str(html), "--configfile", str(path))
    assert rep.returncode == 0, rep.stderr[-2000:]
    assert html.stat().st_size > 50_000
    # (#23 probe 3) a missing metrics.json is rebuilt, not hidden behind an up-to-date report
    (out / "eval/ds/base0/seed1/countdown/metrics.json").unlink()
    plan = job_counts(snakemake(root, "-n", "--cores", "2", "--configfile", str(path)).stdout)
    assert plan.get("evaluate") == 1, plan
    # (#23 probe 2) a metrics.json rewritten by hand with another budget: the report refuses it by name
    grpo = out / "eval/grpo/base0/seed0/countdown/metrics.json"
    ident = json.dumps(json.loads(grpo.read_text())["identity"])
    hand = subprocess.run([sys.executable, "-m", "divrl", "evaluate", "--params", '{"n_samples": 8, "diversity_samples": 8}',
                           "--model", str(out / "train/grpo/base0/seed0/model"), "--problems",
                           str(out / "data/test/countdown.jsonl"), "--samples-out", str(tmp_path / "hand.parquet"),
                           "--metrics-out", str(grpo), "--identity", ident], capture_output=True, text=True)
    assert hand.returncode == 0, hand.stderr[-2000:]
    res = snakemake(root, "--cores", "2", "--configfile", str(path), "--keep-going")
    assert res.returncode != 0
    log = (out / "logs/report_tables.log").read_text().strip().splitlines()
    assert len(log) == 1 and str(grpo) in log[0] and "n_samples=8 where the config says n_samples=16" in log[0], log
    assert json.loads((out / "eval/ds/base0/seed1/countdown/metrics.json").read_text())["n"] == 16  # rebuilt meanwhile
