"""evaluate: greedy Pass@1 and Potential@k from it, Div-Equ as published, metrics.json keys."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from divrl.eval.evaluate import EvalSpec, evaluate, score
from divrl.metrics.passk import pass_at_k_many
from divrl.metrics.potential import potential_at_k

SPEC = EvalSpec(n_samples=4, diversity_samples=4, div_equ_samples=4, batch_size=64, max_new_tokens=8)
# keys the report reads (collect.py, tables): they must stay
OLD_KEYS = {"n", "n_problems", "k", "pass_at_k", "potential_at_k", "mean_at_1", "format_rate", "distinct_correct",
            "distinct_canonical", "embedding_cosine", "div_equ", "div_equ_samples", "spearman_share_p_gt_005",
            "per_problem"}


@pytest.fixture(scope="module")
def fixed(tiny_problems):
    """3 problems with hand-made samples: 2, 0 and 4 of 4 correct."""
    problems = tiny_problems["test"][:3]
    right = [p["solutions"][0] for p in problems]
    completions = [
        [right[0], right[0], "1+1", "junk"],
        ["1+1", "1 + 1", "2*2", "junk"],
        [right[2]] * 4,
    ]
    return problems, right, completions


def test_greedy_pass1_drives_potential(fixed):
    problems, right, completions = fixed
    greedy = [right[0], "junk", "junk"]  # greedy solves only problem 0
    m, _ = score(problems, completions, SPEC, greedy)
    assert OLD_KEYS <= set(m)
    counts = np.array([2, 0, 4])
    per_k = np.stack([pass_at_k_many(4, counts, k) for k in m["k"]])
    g = np.array([1.0, 0.0, 0.0])
    assert m["greedy_pass1"] == pytest.approx(1 / 3)
    assert [p["greedy_correct"] for p in m["per_problem"]] == [True, False, False]
    assert m["potential_pass1"] == "greedy"
    np.testing.assert_allclose(m["potential_at_k"], potential_at_k(per_k, g))
    np.testing.assert_allclose(m["potential_at_k_sampled"], potential_at_k(per_k, counts / 4))
    # weights 1 − greedy: problems 1 and 2 count, pass@4 there = (0 + 1) / 2
    assert m["potential_at_k"][m["k"].index(4)] == pytest.approx(0.5)
    assert m["mean_at_1"] == pytest.approx(6 / 12)  # the sampled accuracy is unchanged


def test_without_greedy_potential_falls_back_to_sampled_pass1_and_says_so(fixed):
    problems, _, completions = fixed
    m, _ = score(problems, completions, SPEC)
    assert "greedy_pass1" not in m and m["potential_pass1"] == "sampled"
    assert m["potential_at_k"] == m["potential_at_k_sampled"]
    assert all("greedy_correct" not in p for p in m["per_problem"])


def test_div_equ_counts_equations_and_distinct_answers_keeps_the_old_share(fixed):
    problems, right, completions = fixed
    m, _ = score(problems, completions, SPEC)
    # problem 0: equations [r0, r0, 1+1] → 2/3; problem 1: [1+1, 1+1, 2*2] → 2/3; problem 2: [r2]*4 → 1/4
    assert [p["div_equ"] for p in m["per_problem"]] == pytest.approx([2 / 3, 2 / 3, 1 / 4])
    assert m["div_equ"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 4) / 3) and m["div_equ_no_equations"] == 0
    # distinct canonical answers / m: {r0, 1+1} 2/4; {1+1, 2*2} 2/4; {r2} 1/4
    assert m["distinct_answers"] == pytest.approx((2 / 4 + 2 / 4 + 1 / 4) / 3)


def test_evaluate_on_the_tiny_model_writes_greedy(tiny_base, tiny_problems, tmp_path):
    problems = tiny_problems["test"][:3]
    m = evaluate(str(tiny_base), problems, SPEC, tmp_path / "samples/0-of-1.parquet", tmp_path / "metrics.json")
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert OLD_KEYS <= set(saved) and 0 <= saved["greedy_pass1"] <= 1 and saved["potential_pass1"] == "greedy"
    assert saved["spec"]["greedy"] is True and saved["spec"]["top_k"] == 0
    samples = pd.read_parquet(tmp_path / "samples/0-of-1.parquet")
    assert (samples.groupby("problem")["sample"].agg(list) == [[0, 1, 2, 3, -1]] * 3).all()  # -1: the greedy decode
    assert samples["text"].map(type).eq(str).all()
    # greedy is greedy: a second run with another sampling seed decodes the same
    again = evaluate(str(tiny_base), problems, EvalSpec(**{**SPEC.__dict__, "seed": 7}), tmp_path / "again/s.parquet",
                     tmp_path / "again/m.json")
    assert again["greedy_pass1"] == m["greedy_pass1"]
    off = evaluate(str(tiny_base), problems, EvalSpec(**{**SPEC.__dict__, "greedy": False}), tmp_path / "off/s.parquet",
                   tmp_path / "off/m.json")
    assert "greedy_pass1" not in off and off["pass_at_k"] == m["pass_at_k"]  # sampling untouched


def _runs(greedy: bool) -> pd.DataFrame:
    rows = []
    for method, seed, acc in (("base", None, 0.2), ("grpo", 0, 0.5), ("grpo", 1, 0.7)):
        for k, pk, pot in ((1, acc, 0.1), (4, acc + 0.2, 0.4)):
            rows.append({"method": method, "seed": seed, "n": 4, "k": k, "pass_at_k": pk, "potential_at_k": pot,
                         "div_equ": 0.5, "distinct_answers": 0.25, "greedy_pass1": acc + 0.1 if greedy else math.nan})
    return pd.DataFrame(rows)


def test_r1zero_div_table_reports_greedy_pass1():
    from divrl.report.paper_tables import r1zero_div_caption, r1zero_div_style

    table = r1zero_div_style(_runs(True), [1, 4], "grpo")
    assert list(table.columns) == ["greedy Pass@1", "accuracy (pass@1)", "Potential@4", "Div-Equ", "distinct answers"]
    assert table.loc["base", "greedy Pass@1"] == "0.300"
    assert table.loc["grpo", "greedy Pass@1"] == f"0.700 ± {np.std([0.6, 0.8], ddof=1):.3f}"
    assert "with greedy Pass@1" in r1zero_div_caption(_runs(True), 4, "n = 2 seeds", 3)
    off = r1zero_div_style(_runs(False), [1, 4], "grpo")
    assert "greedy Pass@1" not in off.columns
    assert "sampled pass@1" in r1zero_div_caption(_runs(False), 4, "n = 2 seeds", 3)
