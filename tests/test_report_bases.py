"""The report with several base models (base.seeds): a method's runs are (base model, seed) pairs,
pooled for mean ± sd; pass@k − base subtracts each run's own base model."""

import json

import numpy as np
import pytest

from divrl.report import paper_tables, tables, vs_paper
from divrl.report.collect import load_problems, load_runs, n_bases, n_runs

# pass@k at k = 1, 2, 4 of each base model, and of grpo's run (base, seed)
BASE = {0: [0.2, 0.4, 0.8], 1: [0.4, 0.6, 0.9]}
GRPO = {(0, 0): [0.3, 0.4, 0.5], (0, 1): [0.5, 0.6, 0.7], (1, 0): [0.4, 0.5, 0.6], (1, 1): [0.6, 0.7, 0.8]}


def metrics(path, ident, passk, counts=(1, 2, 0, 4)):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "identity": {"params": {}, "model": "m", "test_set": "countdown", "run": ident["method"], **ident},
        "n": 4, "k": [1, 2, 4], "pass_at_k": passk, "potential_at_k": passk, "mean_at_1": passk[0],
        "distinct_correct": 1.0, "distinct_canonical": 1.0, "embedding_cosine": 0.5, "format_rate": 1.0,
        "div_equ": 0.5, "spearman_share_p_gt_005": 0.5,
        "per_problem": [{"id": f"p{i}", "c": c, "spearman_rho": 0.1, "spearman_p": 0.2} for i, c in enumerate(counts)],
    }))
    return str(path)


@pytest.fixture
def paths(tmp_path):
    ev = tmp_path / "eval"
    out = [metrics(ev / f"base/base{b}/countdown/metrics.json", {"method": "base", "seed": None, "base_seed": b}, v)
           for b, v in BASE.items()]
    out += [metrics(ev / f"grpo/base{b}/seed{s}/countdown/metrics.json", {"method": "grpo", "seed": s, "base_seed": b},
                    v, counts=(1 + s, 2, b, 4)) for (b, s), v in GRPO.items()]
    out.append(metrics(ev / "pub/seed0/countdown/metrics.json", {"method": "pub", "seed": 0, "base_seed": None},
                       [0.5, 0.5, 0.5]))
    return out


def test_runs_carry_a_nullable_base_seed(paths):
    runs, problems = load_runs(paths), load_problems(paths)
    for df in (runs, problems):
        assert str(df.base_seed.dtype) == "Int64"
        assert df[df.method == "pub"].base_seed.isna().all() and set(df[df.method == "grpo"].base_seed) == {0, 1}
    assert n_runs(runs[runs.method == "grpo"]) == 4 and n_bases(runs[runs.method == "grpo"]) == 2
    assert n_runs(runs[runs.method == "base"]) == 2 and n_runs(runs[runs.method == "pub"]) == 1
    # one row per (method, base_seed, seed, problem): nothing collides across base models
    assert not problems.duplicated(["method", "base_seed", "seed", "problem"]).any()


def test_summary_pools_over_base_models_and_seeds(paths):
    runs = load_runs(paths)
    table = tables.summary(runs, "grpo")
    at1 = [v[0] for v in GRPO.values()]
    assert table.loc["grpo", "pass@1 mean"] == pytest.approx(np.mean(at1))
    assert table.loc["grpo", "pass@1 std"] == pytest.approx(np.std(at1, ddof=1))
    assert table.loc["base", "pass@1 mean"] == pytest.approx(0.3)  # the mean over the base models
    assert (table.loc["grpo", "seeds"], table.loc["grpo", "base_models"]) == (4, 2)
    assert (table.loc["pub", "seeds"], table.loc["pub", "base_models"]) == (1, 0)
    md = tables.markdown(table, [1, 4], 4)
    assert "| method | runs (bases × seeds) |" in md and "| grpo | 4 (2 × 2) | 0.450 ± 0.129 |" in md
    assert "| base | 2 bases | 0.300 ± 0.141 |" in md and "pooled over 2 base models" in md


def test_minus_base_subtracts_each_runs_own_base_model(paths):
    mb = tables.minus_base(load_runs(paths))
    for (b, s), v in GRPO.items():
        got = mb[(mb.method == "grpo") & (mb.base_seed == b) & (mb.seed == s)].set_index("k").minus_base
        assert list(got) == pytest.approx(np.subtract(v, BASE[b]))
    pub = mb[mb.method == "pub"].set_index("k").minus_base  # no base of its own: the mean over base models
    assert list(pub) == pytest.approx(np.subtract([0.5] * 3, np.mean(list(BASE.values()), axis=0)))
    ds = paper_tables.ds_style(load_runs(paths), "grpo")
    deltas = [100 * (v[2] - BASE[b][2]) for (b, _), v in GRPO.items()]
    assert ds.loc["grpo", "K=4"] == f"{np.mean(deltas):.2f} ± {np.std(deltas, ddof=1):.2f}"


def test_paper_tables_and_intervals_count_runs(paths):
    runs, problems = load_runs(paths), load_problems(paths)
    assert "n = 1–4 runs per method (2 base models" in paper_tables._n_caption(runs)
    ci = paper_tables.confidence_intervals(problems, [1], "grpo").set_index("method")
    assert (ci.loc["grpo", "seeds"], ci.loc["base", "seeds"], ci.loc["pub", "seeds"]) == (4, 2, 1)
    at1 = {"countdown": runs[runs.k == 1], "other": runs[runs.k == 1]}
    paper_tables.write_benchmarks(at1, "grpo", md=None, csv=None)  # the average is per run: no collisions


def test_the_whole_report_writes_with_several_base_models(paths, tmp_path):
    from divrl.report.build import write

    summary = write(paths, tmp_path / "out", [1, 4])
    assert "| grpo | 4 (2 × 2) |" in summary.read_text()
    for name in ("figures/passk.png", "figures/passk_minus_base.png", "figures/accuracy_vs_diversity.png",
                 "tables/ds_style.md", "tables/bootstrap_ci.csv", "tables/compare.md"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name


def test_scorecard_minus_base_uses_the_runs_own_base(paths):
    data = vs_paper.load(paths)
    row = {"table": "t", "method": "grpo", "bench": "countdown", "metric": "minus_base", "k": 1, "value": 0.0}
    got = vs_paper.ours(data, row)
    deltas = []
    for (b, s), _ in GRPO.items():  # per run: its per-problem pass@1 minus its own base's (= pass@1 − base pass@1)
        counts = np.array([1 + s, 2, b, 4]) / 4
        deltas.append(counts.mean() - np.array([1, 2, 0, 4]).mean() / 4)
    # 4 runs on 2 base models: the CI is a t over the 2 per-base means (base as a random factor)
    assert got["seeds"] == 4 and got["mean"] == pytest.approx(np.mean(deltas)) and got["ci"] == "t over 2 base models"
    pinned = vs_paper.ours(data, {**row, "seed": 1})  # an RL seed pinned: that seed on every base model
    assert pinned["seeds"] == 2


def test_sweep_stats_are_over_runs(paths):
    from divrl.report import sweeps

    data = sweeps.load(paths)
    grpo = data[(data.run == "grpo") & (data.k == 1)]
    stats = sweeps._stats(grpo)
    assert stats["seeds"] == 4 and stats["mean"] == pytest.approx(np.mean([v[0] for v in GRPO.values()]))
    assert set(data[data.run == "base"].base_seed) == {0, 1} and set(data[data.run == "pub"].base_seed) == {-1}
