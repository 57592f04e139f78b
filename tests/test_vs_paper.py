"""The scorecard (report/vs_paper.py) on a fake results tree laid out as the workflow writes it."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t

from divrl.report import vs_paper

N = 8


def _who(path) -> dict:
    """The identity evaluate writes, for these tests' eval/METHOD[/seedS]/SET/metrics.json."""
    parts = path.parts[path.parts.index("eval") + 1:-1]
    seed = int(parts[1].removeprefix("seed")) if len(parts) == 3 else None
    return {"method": parts[0], "seed": seed, "test_set": parts[-1], "params": {}, "model": "m"}


def _metrics(path, counts, greedy=None, div_equ=0.5):
    """A minimal metrics.json: n, the k grid, pass@k, and per-problem correct counts."""
    ks = [1, 2, 4, 8]
    per = [{"id": f"p{i}", "c": c} for i, c in enumerate(counts)]
    if greedy is not None:
        for p, g in zip(per, greedy):
            p["greedy_correct"] = g
    passk = [float(np.mean([1 - math.comb(N - c, k) / math.comb(N, k) for c in counts])) for k in ks]
    m = {"identity": _who(path), "n": N, "k": ks, "pass_at_k": passk, "mean_at_1": float(np.mean(counts)) / N,
         "div_equ": div_equ, "per_problem": per}
    if greedy is not None:
        m["greedy_pass1"] = float(np.mean(greedy))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(m))
    return str(path)


@pytest.fixture
def countdown_tree(tmp_path):
    """base + grpo and ds at three seeds on one test set (eval/METHOD/seedS/BENCH/metrics.json)."""
    ev = tmp_path / "eval"
    paths = [_metrics(ev / "base/countdown/metrics.json", [0, 2, 4, 8])]
    for s in range(3):
        paths.append(_metrics(ev / f"grpo/seed{s}/countdown/metrics.json", [1 + s, 3, 5, 8]))
        paths.append(_metrics(ev / f"ds/seed{s}/countdown/metrics.json", [2, 4, 4 + s, 8]))
    return paths


PAPER = {
    "source": "DS-GRPO",
    "curves": [{"table": "§4.5", "method": m, "bench": "countdown", "metric": "minus_base", "k": [1, 4, 8192],
                "value": v, "note": "lost header"} for m, v in [("grpo", [9.49, 9.57, -3.80]), ("ds", [12.73, 11.14, 1.60])]],
    "rows": [{"table": "§4.4", "method": "ds", "bench": "avg", "metric": "minus_grpo", "k": 1, "range": [0.2, 2.9]},
             {"table": "T3", "method": "grpo", "bench": "countdown", "metric": "self_bleu", "value": 56.0}],
}


def test_scorecard_numbers_and_t_interval(countdown_tree, tmp_path):
    out = tmp_path / "out"
    text = vs_paper.write(countdown_tree, PAPER, md=out / "tables/vs_paper.md", csv=out / "tables/vs_paper.csv",
                          figure_paths=[out / "figures/vs_paper.png", out / "figures/vs_paper.pdf"])
    df = pd.read_csv(tmp_path / "out/tables/vs_paper.csv")
    assert (out / "tables/vs_paper.md").read_text() == text and (out / "figures/vs_paper.png").exists()
    row = df[(df.method == "grpo") & (df.metric == "pass@1 − base")].iloc[0]
    # grpo seed s has pass@1 (1 + s + 3 + 5 + 8)/32, base 14/32: minus_base = (3 + s)/32
    per_seed = np.array([(3 + s) / 32 for s in range(3)]) * 100
    assert row.ours_mean == pytest.approx(per_seed.mean()) and row.ours_std == pytest.approx(per_seed.std(ddof=1))
    half = t.ppf(0.975, 2) * per_seed.std(ddof=1) / math.sqrt(3)
    assert (row.ci_low, row.ci_high) == pytest.approx((per_seed.mean() - half, per_seed.mean() + half))
    assert row["diff"] == pytest.approx(per_seed.mean() - 9.49) and row.inside_ci == "yes"  # 9.49 in [4.7, 20.3]
    assert row.ci_method == "t over 3 seeds" and row.seeds == 3
    # k = 8192 > N = 8: nothing of ours to compare, said so
    far = df[(df.method == "ds") & (df.metric == "pass@8192 − base")].iloc[0]
    assert math.isnan(far.ours_mean) and far.ci_method.startswith("not run")
    # a range: ds − grpo at k = 1 per seed is (s − 1 − s + …)/32; inside when the CI overlaps [0.2, 2.9]
    rng = df[df.metric == "pass@1 − GRPO"].iloc[0]
    assert (rng.published_low, rng.published_high) == (0.2, 2.9)
    assert rng.inside_ci == ("yes" if rng.ci_low <= 2.9 and rng.ci_high >= 0.2 else "no")
    # metrics.json without per-problem Self-BLEU (written before it was measured): said so
    absent = df[df.metric == "100 − Self-BLEU"].iloc[0]
    assert math.isnan(absent.ours_mean) and absent.ci_method.endswith("or not in its metrics.json")
    assert "| §4.5 | grpo | countdown | pass@1 − base | 9.49 |" in text and "0.2–2.9" in text and "lost header" in text


def test_one_seed_uses_the_problem_bootstrap_and_a_pinned_seed(tmp_path):
    """DRA-like: two test sets, one seed per recipe; avg resamples each test set separately."""
    ev = tmp_path / "eval"
    paths = []
    for bench, counts in [("amc23", [8, 0, 4, 2]), ("minerva", [1, 1, 7, 8, 0])]:
        paths.append(_metrics(ev / f"base/{bench}/metrics.json", counts))
        paths.append(_metrics(ev / f"dra_dr_grpo/seed2025/{bench}/metrics.json", [min(N, c + 1) for c in counts]))
        paths.append(_metrics(ev / f"dra_dr_grpo/seed42/{bench}/metrics.json", [min(N, c + 2) for c in counts],
                              greedy=[1] * len(counts)))
    paper = {"rows": [
        {"table": "abstract", "method": "dra_dr_grpo", "bench": "avg", "metric": "pass_at_k", "k": 1, "value": 58.2, "seed": 42},
        {"table": "main", "method": "base", "bench": "amc23", "metric": "pass_at_k", "k": 1, "value": 43.75},
        {"table": "T1", "method": "dra_dr_grpo", "bench": "minerva", "metric": "greedy_at_1", "value": 100.0, "seed": 42},
    ]}
    df = vs_paper.table(vs_paper.load(paths), paper)
    pinned, base, greedy = df.iloc[0], df.iloc[1], df.iloc[2]
    want = np.mean([np.mean([min(N, c + 2) for c in cs]) / N for cs in ([8, 0, 4, 2], [1, 1, 7, 8, 0])]) * 100
    assert pinned.seeds == 1 and pinned.ours_mean == pytest.approx(want)
    assert pinned.ci_method == "bootstrap over problems" and pinned.ci_low <= want <= pinned.ci_high
    assert base.ours_mean == pytest.approx(43.75) and base["diff"] == pytest.approx(0) and base.inside_ci == "yes"
    assert greedy.ours_mean == 100 and greedy.ci_low == greedy.ci_high == 100
    assert "seed 42" in vs_paper.markdown(df, "DRA")


def test_no_paper_section_writes_nothing(countdown_tree, tmp_path):
    assert vs_paper.write(countdown_tree, {}, md=tmp_path / "out/vs_paper.md") is None
    assert not (tmp_path / "out").exists()


def test_table3_ngram_and_self_bleu_rows_come_from_the_per_problem_values(tmp_path):
    """R1-zero-Div Table 3: N-gram diversity as is, Self-BLEU as 100 − Self-BLEU, both in
    percent, with the one-seed bootstrap over problems; a problem without Self-BLEU (one
    sample) is left out."""
    ev = tmp_path / "eval"
    runs = {"base": (None, [0.30, 0.28, 0.31], [0.14, 0.10, None]),
            "grpo": (0, [0.27, 0.29, 0.26], [0.44, 0.46, 0.40])}
    paths = []
    for method, (seed, ngram, bleu) in runs.items():
        path = ev / (f"{method}/gsm8k/metrics.json" if seed is None else f"{method}/seed{seed}/gsm8k/metrics.json")
        _metrics(path, [4, 4, 4])
        m = json.loads(path.read_text())
        for p, g, b in zip(m["per_problem"], ngram, bleu):
            p["ngram_diversity"], p["self_bleu"] = g, b
        path.write_text(json.dumps(m))
        paths.append(str(path))
    paper = {"rows": [
        {"table": "Table 3", "method": method, "bench": "gsm8k", "metric": metric, "value": value}
        for method, metric, value in [("base", "ngram_diversity", 29.29), ("base", "self_bleu", 85.98),
                                      ("grpo", "ngram_diversity", 27.75), ("grpo", "self_bleu", 56.0)]]}
    text = vs_paper.write(paths, paper, md=tmp_path / "vs_paper.md")
    df = vs_paper.table(vs_paper.load(paths), paper)
    want = {("base", "N-gram diversity"): 100 * np.mean([0.30, 0.28, 0.31]),
            ("base", "100 − Self-BLEU"): 100 * np.mean([1 - 0.14, 1 - 0.10]),
            ("grpo", "N-gram diversity"): 100 * np.mean([0.27, 0.29, 0.26]),
            ("grpo", "100 − Self-BLEU"): 100 * np.mean([1 - 0.44, 1 - 0.46, 1 - 0.40])}
    for r in df.itertuples():
        assert r.ours_mean == pytest.approx(want[(r.method, r.metric)]) and r.seeds == 1
        assert r.ci_method == "bootstrap over problems" and r.ci_low <= r.ours_mean <= r.ci_high
    grpo_bleu = df[(df.method == "grpo") & (df.metric == "100 − Self-BLEU")].iloc[0]
    assert grpo_bleu["diff"] == pytest.approx(want[("grpo", "100 − Self-BLEU")] - 56.0)
    assert "| Table 3 | grpo | gsm8k | 100 − Self-BLEU | 56.00 | 56.67 ± 0.00 (1) | +0.67 |" in text
