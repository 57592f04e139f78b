from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.metrics import calibrated
from divrl.metrics.passk import seed_pass_at_k
from divrl.metrics.per_problem import gains_losses
from divrl.report import compare

KS = [1, 4, 16]


def write(problems, tables, figures, ks, reference="grpo", **kw):
    """compare.write with the files the report_compare rule declares, under tables/ and figures/."""
    return compare.write(problems, ks, reference=reference, compare_csv=tables / "compare.csv",
                         compare_md_path=tables / "compare.md", power_md=tables / "power.md",
                         gains_losses_csv=tables / "gains_losses.csv", gains_losses_md=tables / "gains_losses.md",
                         pass1_change=[figures / "pass1_change.png", figures / "pass1_change.pdf"],
                         replication_md=tables / "replication.md", **kw)


def frame(methods=("grpo", "ds"), seeds=2, problems=30, n=16, shift=None, seed=0, base=True):
    """Synthetic load_problems output: base once (seed None), each method with `seeds` seeds."""
    rng = np.random.default_rng(seed)
    q = np.clip(rng.beta(0.6, 1.5, problems), 0.02, 0.9)
    ids = [f"p{i}" for i in range(problems)]
    parts = [pd.DataFrame({"method": "base", "seed": None, "problem": ids, "n": n, "c": rng.binomial(n, q)})] if base else []
    for m in methods:
        for s in range(seeds):
            qm = np.clip(q + (shift or {}).get(m, 0.0), 0, 1)
            parts.append(pd.DataFrame({"method": m, "seed": s, "problem": ids, "n": n, "c": rng.binomial(n, qm)}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    summary = write(frame(shift={"ds": 0.1}), out / "tables", out / "figures", KS)
    return out, summary


def test_write_produces_the_files_and_rows(written):
    out, summary = written
    for name in ("tables/compare.csv", "tables/compare.md", "tables/gains_losses.csv", "tables/gains_losses.md",
                 "tables/power.md", "figures/pass1_change.png", "figures/pass1_change.pdf"):
        assert (out / name).stat().st_size > 200, name
    table = pd.read_csv(out / "tables/compare.csv")
    pairs = list(dict.fromkeys(zip(table.method, table.vs)))
    assert pairs == [("grpo", "base"), ("ds", "grpo"), ("ds", "base")]
    assert len(table) == 3 * len(KS) and list(table.k[:3]) == KS
    assert (table.n_problems == 30).all()
    assert list(table.seeds) == [2] * 9 and list(table.seeds_vs) == [1] * 3 + [2] * 3 + [1] * 3
    assert (table.p_holm >= table.p).all() and (table.significant == (table.p_holm < 0.05)).all()
    assert ((table.ci_low <= table.delta) & (table.delta <= table.ci_high)).all()
    assert summary["reference"] == "grpo" and summary["comparisons"] == 9
    assert len(summary["files"]) == 8  # replication.md too


def test_markdown_reads_as_documented(written):
    out, _ = written
    md = (out / "tables/compare.md").read_text()
    assert md.startswith("# Does each method beat grpo and base?")
    assert "| ds | grpo | 1 |" in md and "one base model (seeds; another base may differ), 2 vs 2 runs |" in md
    assert "2 runs vs the base model |" in md
    assert "Holm–Bonferroni over the rows against the same opponent" in md and "Welch's t on run means" in md
    gl = (out / "tables/gains_losses.md").read_text()
    assert "| grpo | 2 | " in gl and "| ds | 2 | " in gl
    power = (out / "tables/power.md").read_text()
    assert "# Runs needed to detect Δ = 0.02" in power and "noncentral t" in power
    assert power.count("\n| ds | grpo |") == len(KS)


def test_planted_method_beats_reference(tmp_path):
    summary = compare.write(frame(shift={"ds": 0.1}, seeds=4), KS, reference="grpo")
    assert any(s.startswith("ds vs grpo k=1: +") for s in summary["significant"])
    assert not any(s.startswith("grpo vs base") for s in summary["significant"])  # no shift planted


def test_two_seeds_and_a_small_effect_cannot_tell(written):
    """The same planted +0.1 with 2 seeds per method: Welch's t has 1–2 df, so the honest answer."""
    out, summary = written
    table = pd.read_csv(out / "tables/compare.csv")
    assert summary["significant"] == [] and table.verdict.str.startswith("cannot tell").all()


def test_gains_losses_on_a_hand_made_frame():
    rows = [("base", None, "a", 0), ("base", None, "b", 2), ("base", None, "c", 1), ("base", None, "d", 0),
            ("x", 0, "a", 1), ("x", 0, "b", 0), ("x", 0, "c", 0), ("x", 0, "d", 0),
            ("x", 1, "a", 0), ("x", 1, "b", 0), ("x", 1, "c", 4), ("x", 1, "d", 0)]
    df = pd.DataFrame(rows, columns=["method", "seed", "problem", "c"]).assign(n=4)
    ids, runs = compare.align(df)
    assert ids == ["a", "b", "c", "d"]
    row = compare.gains_losses(runs, "grpo").iloc[0]
    # pooled x: a 1, b 0, c 4, d 0 → gained a; lost b; c kept; d never solved
    assert (row.gained, row.lost, row.net, row.solvable_by_base) == (1, 1, 0, 2)
    assert (row.gained_per_seed, row.lost_per_seed) == (0.5, 1.5)
    # pass@1 change: a +0.125, b −0.5, c +0.25, d 0
    assert row.mean_dpass1 == pytest.approx((0.125 - 0.5 + 0.25) / 4)
    assert (row.pass1_rose, row.pass1_fell) == (2, 1)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 3), st.integers(2, 6), st.integers(0, 2**31), st.booleans())
def test_table_matches_the_calibrated_functions(seeds, problems, seed, nan_seed):
    """Whatever the shapes (and base's seed as None or NaN), rows are calibrated.* on the aligned counts."""
    df = frame(methods=("grpo",), seeds=seeds, problems=problems, n=8, seed=seed)
    if nan_seed:
        df["seed"] = df["seed"].astype(float)
    df = df.sample(frac=1, random_state=seed % 1000)  # row order must not matter
    _, runs = compare.align(df)
    table = compare.comparisons(runs, [1, 2], "grpo")
    stack = lambda r: calibrated.Runs(seed_pass_at_k(r.counts, 8, [1, 2]), (None,) * r.seeds, r.seed_ids)  # noqa: E731
    want = calibrated.compare_many(stack(runs["grpo"]), stack(runs["base"]), fixed_b=True)
    np.testing.assert_allclose(table.delta, [r.delta for r in want])
    np.testing.assert_allclose(table.ci_low, [r.low for r in want])
    np.testing.assert_allclose(table.p, [r.p for r in want])
    losses = compare.gains_losses(runs, "grpo").iloc[0]
    assert losses.gained == gains_losses(runs["grpo"].counts, runs["base"].counts)["gained"]


def test_several_base_models_are_a_random_factor(tmp_path):
    parts = []
    for b in range(3):
        f = frame(seed=b, shift={"ds": 0.1})
        parts.append(f.assign(base_seed=b))
    summary = write(pd.concat(parts, ignore_index=True), tmp_path / "tables", tmp_path / "figures", [1, 4])
    table = pd.read_csv(tmp_path / "tables/compare.csv")
    assert set(table.scheme) == {"bases"} and set(table.bases) == {3} and set(table.df.round(6)) == {2.0}
    assert set(table[table.vs == "grpo"].seeds) == {6}
    rep = (tmp_path / "tables/replication.md").read_text()
    assert "b0: " in rep and "b2: " in rep and "half A" in rep
    assert any("over 3 base models (random)" in s for s in summary["significant"])


def test_verdicts_in_words(tmp_path):
    t = tmp_path / "tables"
    compare.write(frame(shift={"ds": 0.3}, seeds=4), [1], reference="grpo", compare_csv=t / "c.csv")
    table = pd.read_csv(t / "c.csv").set_index(["method", "vs"])
    assert table.loc[("ds", "grpo"), "verdict"] == "better"
    one = frame(methods=("grpo", "ds"), seeds=1)
    compare.write(one, [1], reference="grpo", compare_csv=t / "one.csv")
    assert pd.read_csv(t / "one.csv").verdict.str.startswith("cannot tell: one run of").all()


def test_replication_calls_established_only_where_halves_agree(tmp_path):
    rep = compare.write(frame(shift={"ds": 0.3}, seeds=4), [1], reference="grpo",
                        replication_md=tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert text.startswith("# Do the verdicts replicate?")
    row = next(line for line in text.splitlines() if line.startswith("| ds | grpo | 1 |"))
    assert row.endswith("**yes** |") and "2 vs 2 runs" in row  # seeds {0, 2} and {1, 3}
    assert rep["files"] == [str(tmp_path / "r.md")]


def test_without_reference_compares_with_base_only(tmp_path):
    summary = write(frame(methods=("ds", "div")), tmp_path / "tables", tmp_path / "figures", [1, 4])
    table = pd.read_csv(tmp_path / "tables/compare.csv")
    assert set(table.vs) == {"base"} and summary["reference"] is None
    md = (tmp_path / "tables/compare.md").read_text()
    assert md.startswith("# Does each method beat base?")
    assert "reference `grpo` is not among the runs" in md


def test_without_base_compares_with_reference_only(tmp_path):
    t = tmp_path / "tables"
    summary = compare.write(frame(methods=("grpo", "ds"), base=False), [1], reference="grpo", compare_csv=t / "compare.csv",
                            compare_md_path=t / "compare.md", power_md=t / "power.md")
    assert list(pd.read_csv(tmp_path / "tables/compare.csv").vs) == ["grpo"]
    assert sorted(p.name for p in t.iterdir()) == ["compare.csv", "compare.md", "power.md"] == sorted(
        Path(f).name for f in summary["files"])
    with pytest.raises(ValueError, match="need a 'base' run"):  # asked for what it cannot make: an error, not a gap
        write(frame(methods=("grpo", "ds"), base=False), t, tmp_path / "figures", [1])


def test_writes_only_the_files_it_is_given(tmp_path):
    compare.write(frame(), [1], reference="grpo", power_md=tmp_path / "a/power.md")
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["a/power.md"]


def test_one_seed_cannot_be_tested(tmp_path):
    write(frame(methods=("grpo", "ds"), seeds=1), tmp_path / "tables", tmp_path / "figures", [1])
    md = (tmp_path / "tables/compare.md").read_text()
    assert "cannot tell: one run of X on one base model" in md and "| – | – |" in md
    assert "| – |" in (tmp_path / "tables/power.md").read_text()  # runs needed: unmeasured


def test_errors_name_what_is_wrong(tmp_path):
    df = frame()
    short = df[~((df.method == "ds") & (df.seed == 1) & df.problem.isin(["p3", "p4", "p5"]))]
    with pytest.raises(ValueError, match="ds seed 1 lacks 3 of the 30 problem ids"):
        write(short, tmp_path / "tables", tmp_path / "figures", [1])
    with pytest.raises(ValueError, match="duplicate rows"):
        write(pd.concat([df, df.iloc[:1]]), tmp_path / "tables", tmp_path / "figures", [1])
    with pytest.raises(ValueError, match="k = 32 exceeds the n = 16"):
        write(df, tmp_path / "tables", tmp_path / "figures", [1, 32])
    with pytest.raises(ValueError, match="neither reference 'grpo' nor 'base'"):
        write(frame(methods=("ds",), base=False), tmp_path / "tables", tmp_path / "figures", [1])
    with pytest.raises(ValueError, match="call write once per benchmark"):
        write(pd.concat([df.assign(bench="a"), df.assign(bench="b")]), tmp_path / "tables", tmp_path / "figures", [1])
    with pytest.raises(ValueError, match="lacks columns"):
        write(df.drop(columns="n"), tmp_path / "tables", tmp_path / "figures", [1])
