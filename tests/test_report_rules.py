"""The report rules write exactly what they declare: after they run on a fake results tree,
`snakemake --list-untracked` names no file under tables/ or figures/, and every declared
file exists; `divrl report --out-dir` (by hand) writes the very same files. One test set (the
toy's layout) and several plus a `paper:` scorecard."""

import json
import math
import subprocess
import sys

import pytest
import yaml

REPORT_RULES = ["report", "report_tables", "report_figures", "report_compare", "report_benchmarks", "report_paper"]


def fake_metrics(path, method, seed, test_set, counts, n=16, base_seed=None):
    """A metrics.json with the identity the evaluate step writes (the path plays no part)."""
    ks = [1, 2, 4, 8, 16]
    passk = [sum(1 - math.comb(n - c, k) / math.comb(n, k) for c in counts) / len(counts) for k in ks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "identity": {"method": method, "seed": seed, "base_seed": base_seed, "test_set": test_set, "params": {},
                     "model": "m"},
        "n": n, "k": ks, "pass_at_k": passk, "potential_at_k": passk, "mean_at_1": passk[0], "greedy_pass1": 0.5,
        "distinct_correct": 1.5, "distinct_canonical": 1.2, "embedding_cosine": 0.9, "format_rate": 1.0,
        "div_equ": 0.5, "spearman_share_p_gt_005": 0.5,
        "per_problem": [{"id": f"p{i}", "c": c, "spearman_rho": 0.1, "spearman_p": 0.3} for i, c in enumerate(counts)],
    }))


def fake_tree(results, methods, seeds, sets, published=(), bases=(0,)):
    """The workflow's layout: eval/base/baseB/SET, eval/METHOD/baseB/seedS/SET, train/METHOD/baseB/seedS."""
    for s_i, name in enumerate(sets):
        for b in bases:
            fake_metrics(results / f"eval/base/base{b}/{name}/metrics.json", "base", None, name,
                         [(c + b) % 17 for c in (0, 3, 8, 1, 16, 2)], base_seed=b)
            for m_i, method in enumerate(methods):
                for seed in seeds:
                    counts = [(3 * m_i + seed + s_i + i + 5 * b) % 17 for i in range(6)]
                    fake_metrics(results / f"eval/{method}/base{b}/seed{seed}/{name}/metrics.json", method, seed, name,
                                 counts, base_seed=b)
        for method in published:
            fake_metrics(results / f"eval/{method}/seed0/{name}/metrics.json", method, 0, name, [1, 2, 3, 4, 5, 6])
    for method in methods:
        for b in bases:
            for seed in seeds:
                log = {"method": method, "seed": seed, "log_history": [
                    {"step": s, "accuracy": 0.1 * s, "entropy": 1.0, "completions/mean_length": 9,
                     "frac_reward_zero_std": 0.2} for s in (1, 2, 3)]}
                (results / f"train/{method}/base{b}/seed{seed}").mkdir(parents=True, exist_ok=True)
                (results / f"train/{method}/base{b}/seed{seed}/train_log.json").write_text(json.dumps(log))
    stats = {"multiplicity": {"test": {"n_problems": 6, "strings_mean": 3.0, "canonical_mean": 1.5,
                                       "share_canonical_ge2": 0.3}},
             "filter": {name: {"input": 7, "dropped_malformed": 1, "kept": 6} for name in sets}}
    (results / "data").mkdir(parents=True, exist_ok=True)
    (results / "data/stats.json").write_text(json.dumps(stats))


def snakemake(root, workdir, config, *args):
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(root / "workflow/Snakefile"), "-d", str(workdir), "--configfile", str(cfg),
           "--cores", "1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def run_report_rules(root, workdir, config):
    """Run the report rules alone (everything upstream counts as made), then list untracked files."""
    res = snakemake(root, workdir, config, "report", "--allowed-rules", *REPORT_RULES)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    # with tables/ and figures/ deleted, the same rules would rebuild every file they hold
    declared = snakemake(root, workdir, config, "report", "--allowed-rules", *REPORT_RULES, "-n", "--forceall",
                         "--printshellcmds")
    assert declared.returncode == 0, declared.stderr[-3000:]
    untracked = snakemake(root, workdir, config, "--list-untracked")
    assert untracked.returncode == 0, untracked.stderr[-3000:]
    written = {p.relative_to(workdir).as_posix() for d in ("results/tables", "results/figures")
               for p in (workdir / d).rglob("*") if p.is_file()}
    stray = [line.strip() for line in (untracked.stdout + untracked.stderr).splitlines()
             if line.strip().startswith(("results/tables", "results/figures"))]
    return written, stray, declared.stdout


def by_hand(workdir, out, **kw) -> set[str]:
    """What `divrl report --out-dir` (report/build.py, the by-hand path) writes for the same tree:
    it must be the rules' layout, file for file (the layout is written in both places)."""
    from divrl.report.build import write

    results = workdir / "results"
    write([str(p) for p in sorted(results.glob("eval/**/metrics.json"))], out, [1, 8],
          [str(p) for p in sorted(results.glob("train/*/base*/seed*/train_log.json"))], str(results / "data/stats.json"),
          **kw)
    return {"results/" + p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_one_test_set_every_file_declared(root, tmp_path):
    # two base models (base.seeds): every table and figure takes runs of both
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["results"] = "results"
    cfg["base"]["seeds"] = [0, 1]
    fake_tree(tmp_path / "results", list(cfg["methods"]), cfg["seeds"], ["countdown"], bases=(0, 1))
    written, stray, plan = run_report_rules(root, tmp_path, cfg)
    assert not stray, f"written but declared by no rule: {stray}"
    for name in ("tables/summary.md", "tables/compare.md", "tables/power.md", "tables/gains_losses.csv",
                 "tables/replication.md",
                 "tables/runs.csv", "tables/passk_minus_base.csv", "figures/pass1_change.pdf",
                 "figures/training_curves.png", "figures/passk.pdf"):
        assert f"results/{name}" in written, name
    assert "Countdown toy" in plan and "--reference grpo" in plan
    summary = (tmp_path / "results/tables/summary.md").read_text()
    assert "| method | runs (bases × seeds) |" in summary and "| grpo | 4 (2 × 2) |" in summary
    assert "| base | 2 bases |" in summary and "pooled over 2 base models" in summary
    assert by_hand(tmp_path, tmp_path / "by_hand", task="countdown") == written
    # a deleted table is rebuilt by its rule
    (tmp_path / "results/tables/power.md").unlink()
    res = snakemake(root, tmp_path, cfg, "report", "--allowed-rules", *REPORT_RULES)
    assert res.returncode == 0 and (tmp_path / "results/tables/power.md").exists(), res.stderr[-3000:]


@pytest.mark.slow
def test_several_test_sets_and_the_scorecard_every_file_declared(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    source = {"source": str(root / "tests/data/hub/HuggingFaceH4/MATH-500"), "split": "test", "format": "math"}
    (tmp_path / "model").mkdir()
    cfg.update(results="results", methods={"grpo": {}, "ds": {}}, seeds=[0, 1], task="math",
               base={"model": str(tmp_path / "model")}, datasets={"train": [source], "test": {"a": source, "b": source}},
               paper={"source": "fake", "rows": [{"table": "T1", "method": "ds", "bench": "avg", "metric": "pass_at_k",
                                                  "k": 1, "value": 40.0}],
                      "curves": [{"table": "F1", "method": "grpo", "bench": "a", "metric": "minus_base", "k": [1, 4],
                                  "value": [5.0, 1.0]}]})
    cfg.pop("data", None)
    fake_tree(tmp_path / "results", ["grpo", "ds"], [0, 1], ["a", "b"])
    written, stray, plan = run_report_rules(root, tmp_path, cfg)
    assert not stray, f"written but declared by no rule: {stray}"
    for name in ("tables/a/summary.md", "tables/b/compare.md", "tables/a/replication.md", "figures/b/pass1_change.png",
                 "tables/benchmarks.md",
                 "tables/vs_paper.md", "figures/vs_paper.pdf"):
        assert f"results/{name}" in written, name
    assert "kept 6 of 7 rows" in (tmp_path / "results/tables/benchmarks.md").read_text()
    assert by_hand(tmp_path, tmp_path / "by_hand", task="math", paper=cfg["paper"]) == written


@pytest.mark.parametrize("coupled", [False, True])
def test_coupled_runs_are_compared_seed_by_seed(root, tmp_path, coupled):
    """report-compare pairs seed s of two methods only for runs trained with train.coupled_sampling."""
    from divrl.settings.model import names
    from divrl.settings.train import Train

    if coupled and "coupled_sampling" not in names(Train):
        pytest.skip("train.coupled_sampling is not a setting yet")
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["results"] = "results"
    if coupled:
        cfg["train"]["coupled_sampling"] = True
    res = snakemake(root, tmp_path, cfg, "-n", "-p", "report")
    assert res.returncode == 0, res.stderr[-3000:]
    shell = next(line for line in res.stdout.splitlines() if "report-compare" in line)
    assert ("--coupled-seeds" in shell) == coupled and "--replication-md results/tables/replication.md" in shell
