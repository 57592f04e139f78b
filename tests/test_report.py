import json

import numpy as np
import pandas as pd
import pytest

from divrl.report import figures, tables
from divrl.report.collect import load_runs


def fake_metrics(path, passk, scal=0.5, counts=(1, 2, 0, 4), who=("base", None), test_set="test"):
    """A metrics.json of run who = (method, seed) on test_set (with its identity, as evaluate writes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ks = [1, 2, 4]
    per_problem = [{"id": f"p{i}", "c": c, "spearman_rho": 0.1 * i, "spearman_p": 0.2 * i} for i, c in enumerate(counts)]
    path.write_text(json.dumps({
        "identity": {"method": who[0], "seed": who[1], "test_set": test_set, "params": {}, "model": "m"},
        "n": 4, "k": ks, "pass_at_k": passk, "potential_at_k": [0.0, 0.3, 0.5], "mean_at_1": passk[0],
        "distinct_correct": scal, "distinct_canonical": scal, "embedding_cosine": scal, "format_rate": 1.0,
        "div_equ": 0.5, "spearman_share_p_gt_005": 0.5, "per_problem": per_problem,
    }))
    return path


@pytest.fixture
def paths(tmp_path):
    """A base model and two grpo seeds with known pass@k curves."""
    return [
        fake_metrics(tmp_path / "eval/base/metrics.json", [0.2, 0.4, 0.8], who=("base", None)),
        fake_metrics(tmp_path / "eval/grpo/seed0/metrics.json", [0.3, 0.4, 0.5], 1.0, who=("grpo", 0)),
        fake_metrics(tmp_path / "eval/grpo/seed1/metrics.json", [0.5, 0.6, 0.7], 2.0, who=("grpo", 1)),
    ]


def test_summary_mean_std_and_minus_base(tmp_path, paths):
    runs = load_runs(paths)
    table = tables.summary(runs, "grpo")
    assert list(table.index) == ["base", "grpo"]
    assert table.loc["grpo", "pass@1 mean"] == pytest.approx(0.4)
    assert table.loc["grpo", "pass@1 std"] == pytest.approx(np.std([0.3, 0.5], ddof=1))
    assert table.loc["grpo", "distinct_correct mean"] == pytest.approx(1.5)
    assert table.loc["grpo", "seeds"] == 2
    mb = tables.minus_base(runs)
    got = mb[(mb.seed == 0) & (mb.k == 4)]["minus_base"].item()
    assert got == pytest.approx(0.5 - 0.8)

    tables.write(runs, [1, 4], "grpo", summary_md=tmp_path / "tables/summary.md")
    md = (tmp_path / "tables/summary.md").read_text()
    assert "| grpo | 2 | 0.400 ± 0.141 |" in md
    assert [f.name for f in (tmp_path / "tables").iterdir()] == ["summary.md"]  # only the file asked for
    f = tmp_path / "figures"
    figures.passk(runs, [f / "passk.png", f / "passk.pdf"], "t", "grpo")
    figures.passk_minus_base(runs, [f / "passk_minus_base.png"], "t", "grpo")
    for name in ("passk.png", "passk.pdf", "passk_minus_base.png"):
        assert (tmp_path / "figures" / name).stat().st_size > 1000
    assert (f / "passk.pdf").read_bytes()[:4] == b"%PDF"  # the format the suffix names
    assert sorted(p.name for p in f.iterdir()) == ["passk.pdf", "passk.png", "passk_minus_base.png"]


def test_the_reference_comes_first_after_base():
    assert tables.order(["ds", "grpo", "base", "dr_grpo"], "grpo") == ["base", "grpo", "dr_grpo", "ds"]
    assert tables.order(["ds", "grpo", "base", "dr_grpo"], "dr_grpo") == ["base", "dr_grpo", "ds", "grpo"]
    assert tables.order(["ds", "grpo"], "absent") == ["ds", "grpo"]


def test_colours_are_stable_across_figures():
    a = figures.colours(["base", "grpo", "ds"], "grpo")
    b = figures.colours(["ds", "grpo", "base"], "grpo")
    assert a == b and a["base"] == (0, 0, 0)


def test_paper_tables_and_cli_report(tmp_path, paths):
    from divrl.cli import main
    from divrl.report import paper_tables
    from divrl.report.collect import load_problems

    runs = load_runs(paths)
    ds = paper_tables.ds_style(runs, "grpo")
    assert ds.loc["grpo", "K=4"] == f"{100 * (0.6 - 0.8):.2f} ± {100 * np.std([0.5, 0.7], ddof=1):.2f}"
    r1 = paper_tables.r1zero_div_style(runs, [1, 4], "grpo")
    assert list(r1.columns) == ["accuracy (pass@1)", "Potential@4", "Div-Equ"]
    ci = paper_tables.confidence_intervals(load_problems(paths), [1, 4], "grpo")
    row = ci[(ci.method == "grpo") & (ci.k == 1)].iloc[0]
    assert row.ci_low <= row["mean"] <= row.ci_high and row.seeds == 2 and row.problems == 4

    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"multiplicity": {"test": {"n_problems": 4, "strings_mean": 4.0, "canonical_mean": 1.2,
                                                            "share_canonical_ge2": 0.1}}}))
    assert main(["report", "--metrics", *map(str, paths), "--out-dir", str(tmp_path / "out"), "--data-stats", str(stats)]) == 0
    for name in ("dra_style", "r1zero_div_style", "ds_style", "multiplicity"):
        assert "| grpo |" in (tmp_path / "out/tables" / f"{name}.md").read_text() or name == "multiplicity"
    assert (tmp_path / "out/tables/bootstrap_ci.csv").exists()
    assert (tmp_path / "out/figures/spearman.png").stat().st_size > 5000


def test_several_test_sets_get_their_own_tables_and_an_average(tmp_path):
    from divrl.report.build import write

    paths = []
    for name, shift in (("math500", 0.0), ("aime24", 0.1)):
        paths += [
            fake_metrics(tmp_path / f"eval/base/{name}/metrics.json", [0.2 + shift, 0.4, 0.8], test_set=name),
            fake_metrics(tmp_path / f"eval/grpo/seed0/{name}/metrics.json", [0.3 + shift, 0.4, 0.5], 1.0,
                         who=("grpo", 0), test_set=name),
            fake_metrics(tmp_path / f"eval/grpo/seed1/{name}/metrics.json", [0.5 + shift, 0.6, 0.7], 2.0,
                         who=("grpo", 1), test_set=name),
        ]
    stats = tmp_path / "stats.json"  # minerva-style golds such as "-1./3" once dropped rows silently
    stats.write_text(json.dumps({"multiplicity": {}, "filter": {
        "train": {"x": {"input": 9, "kept": 9}},
        "math500": {"input": 500, "dropped_unparseable_answer": 2, "dropped_malformed": 0, "kept": 498},
        "aime24": {"input": 30, "dropped_unparseable_answer": 0, "kept": 30}}}))
    first = write([str(p) for p in paths], tmp_path / "out", [1, 4], data_stats=str(stats), task="math")
    assert first == tmp_path / "out/tables/benchmarks.md"
    note = "Test set math500: kept 498 of 500 rows (dropped: unparseable_answer 2)"
    assert note in first.read_text() and note in (tmp_path / "out/tables/math500/summary.md").read_text()
    assert "aime24: kept" not in first.read_text()
    for name in ("math500", "aime24"):
        assert (tmp_path / f"out/tables/{name}/summary.md").exists()
        assert (tmp_path / f"out/figures/{name}/passk.png").stat().st_size > 1000
    table = pd.read_csv(tmp_path / "out/tables/benchmarks.csv", index_col=0)
    assert list(table.columns) == ["math500", "aime24", "avg"]
    # grpo seeds: (0.3 + 0.4) / 2 and (0.5 + 0.6) / 2 -> 0.45 ± 0.141
    assert table.loc["grpo", "avg"].startswith("0.450 ± 0.141")
    assert table.loc["base", "avg"].startswith("0.250")


def test_a_set_out_of_the_average_keeps_its_column(tmp_path):
    from divrl.report.build import write

    paths = []
    for name, shift in (("math500", 0.0), ("aime24", 0.1), ("math500_div", 0.3)):
        paths += [
            fake_metrics(tmp_path / f"eval/base/{name}/metrics.json", [0.2 + shift, 0.4, 0.8], test_set=name),
            fake_metrics(tmp_path / f"eval/grpo/seed0/{name}/metrics.json", [0.3 + shift, 0.4, 0.5], 1.0,
                         who=("grpo", 0), test_set=name),
        ]
    first = write([str(p) for p in paths], tmp_path / "out", [1, 4], task="math", not_averaged=["math500_div"])
    table = pd.read_csv(tmp_path / "out/tables/benchmarks.csv", index_col=0, dtype=str)
    assert list(table.columns) == ["math500", "aime24", "math500_div", "avg"]
    assert table.loc["base", "avg"].startswith("0.250")  # (0.2 + 0.3) / 2: math500_div left out
    assert "(without math500_div)" in first.read_text()


def test_report_reference_is_configurable(tmp_path):
    """report.reference: e.g. DRA-Dr.GRPO is compared with dr_grpo, not grpo."""
    from divrl.cli import main

    paths = [
        fake_metrics(tmp_path / "eval/base/metrics.json", [0.2, 0.4, 0.8], who=("base", None)),
        fake_metrics(tmp_path / "eval/grpo/seed0/metrics.json", [0.3, 0.4, 0.5], 1.0, who=("grpo", 0)),
        fake_metrics(tmp_path / "eval/dr_grpo/seed0/metrics.json", [0.3, 0.5, 0.6], 1.0, who=("dr_grpo", 0)),
    ]
    assert main(["report", "--metrics", *map(str, paths), "--out-dir", str(tmp_path / "out"), "--k-show", "[1, 4]",
                 "--reference", "dr_grpo"]) == 0
    text = (tmp_path / "out/tables/compare.md").read_text()
    assert "against the reference `dr_grpo`" in text and "| grpo | dr_grpo |" in text
