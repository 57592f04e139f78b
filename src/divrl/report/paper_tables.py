"""The three papers' table layouts, plus solution multiplicity and bootstrap CIs.

Every cell is mean ± std over runs (ddof=1): a method's seeds, or with several base models
(base.seeds) all its (base model, seed) runs pooled, the captions say which; captions state n
(runs, problems, samples). Pass@K − base subtracts each run's own base model.
- DRA-GRPO style: methods × benchmarks, pass@1 accuracy, and their average.
- R1-zero-Div style: greedy Pass@1 (the paper's accuracy), mean-of-n pass@1, Potential@k,
  Div-Equ (unique / all equations).
- DS style: Pass@K − base, in percentage points, on the log-k grid.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from divrl.system import textio
from divrl.system import atomic
from divrl.system.atomic import replacing
from divrl.metrics.passk import pass_at_k_rows
from divrl.metrics.stats import bootstrap_ci
from divrl.report.collect import RUN, n_bases, n_runs, with_base_seed
from divrl.report.tables import minus_base, order, usable_ks
from divrl.report.outputs import PAPER_TABLE_OUTPUTS as OUTPUTS
from divrl.report.outputs import PAPER_TABLES as NAMES


def _cell(values: pd.Series, scale: float = 1.0, digits: int = 3) -> str:
    v = values.dropna().to_numpy() * scale
    if len(v) == 0:
        return "–"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _markdown(df: pd.DataFrame, caption: str) -> str:
    head = ["method", *df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([str(i), *map(str, row)]) + " |" for i, row in df.iterrows()]
    return "\n".join(lines) + "\n\n" + caption + "\n"


def _n_caption(runs: pd.DataFrame) -> str:
    trained = runs[runs.method != "base"]
    counts = trained.groupby("method").apply(n_runs, include_groups=False)
    n = f"{counts.min()}–{counts.max()}" if counts.min() != counts.max() else f"{counts.min()}"
    bases = n_bases(trained)
    if bases < 2:
        return f"n = {n} seeds per method"
    return f"n = {n} runs per method ({bases} base models × their seeds, pooled; the base row: over base models)"


def _over(runs: pd.DataFrame) -> str:
    """What a ± is over: seeds, or runs when several base models are pooled."""
    return "seeds" if n_bases(runs[runs.method != "base"]) < 2 else "runs"


def dra_style(runs: pd.DataFrame, benchmark: str, reference: str | None) -> pd.DataFrame:
    at1 = runs[runs.k == 1]
    table = pd.DataFrame({benchmark: {m: _cell(at1[at1.method == m].pass_at_k) for m in order(runs.method, reference)}})
    table["avg"] = table[benchmark]  # one benchmark in the toy; paper configs add columns
    return table


def _has(runs: pd.DataFrame, column: str) -> bool:
    """The metric is in the runs (older metrics.json files, or eval.greedy off, lack it)."""
    return column in runs.columns and runs[column].notna().any()


def greedy_potential(runs: pd.DataFrame) -> bool:
    """Potential@k came from greedy Pass@1 in every run (the paper's definition)."""
    return "greedy_pass1" in runs.columns and bool(runs.greedy_pass1.notna().all())


def r1zero_div_style(runs: pd.DataFrame, ks: list[int], reference: str | None) -> pd.DataFrame:
    """Greedy Pass@1 first when evaluated (R1-zero-Div Table 1 reports it), then the
    mean-of-n pass@1, Potential@k and Div-Equ (+ distinct answers when present)."""
    rows = {}
    for m in order(runs.method, reference):
        d = runs[runs.method == m]
        at1 = d[d.k == 1]
        row = {"greedy Pass@1": _cell(at1.greedy_pass1)} if _has(runs, "greedy_pass1") else {}
        row["accuracy (pass@1)"] = _cell(at1.pass_at_k)
        for k in ks:
            if k > 1 and (d.k == k).any():
                row[f"Potential@{k}"] = _cell(d[d.k == k].potential_at_k)
        row["Div-Equ"] = _cell(at1.div_equ)
        if _has(runs, "distinct_answers"):
            row["distinct answers"] = _cell(at1.distinct_answers)
        rows[m] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def r1zero_div_caption(runs: pd.DataFrame, n: int, seeds: str, n_problems: int) -> str:
    if greedy_potential(runs):
        acc = (f"greedy Pass@1 = one greedy decode per problem (the paper's accuracy); accuracy (pass@1) = "
               f"mean of {n} samples; Potential@k = Σ pass@k·(1−Pass@1) / Σ (1−Pass@1) with greedy Pass@1")
    else:
        acc = (f"accuracy (pass@1) = mean of {n} samples; Potential@k = Σ pass@k·(1−pass@1) / Σ (1−pass@1) "
               "with the sampled pass@1 (no greedy decode in some runs: eval.greedy off; the paper uses greedy)")
    equ = ("Div-Equ = unique / all equations in the first 16 samples of a problem (LaTeX and lines with '=', "
           "or Countdown's arithmetic expressions; whitespace-normalised), mean over problems that have one")
    extra = "; distinct answers = share of distinct final answers among those samples" if _has(runs, "distinct_answers") else ""
    return f"{acc}; {equ}{extra}. {seeds}, {n_problems} problems."


def ds_style(runs: pd.DataFrame, reference: str | None) -> pd.DataFrame:
    diff = minus_base(runs)
    rows = {}
    for m in order(diff.method, reference):
        d = diff[diff.method == m]
        rows[m] = {f"K={k}": _cell(d[d.k == k].minus_base, scale=100, digits=2) for k in sorted(d.k.unique())}
    return pd.DataFrame.from_dict(rows, orient="index")


def _pass_at_k(run: pd.DataFrame, k: int) -> np.ndarray:
    """pass@k per problem of one run's rows (collect.load_problems: fixed N, or eval.sequential)."""
    return pass_at_k_rows(run["size"].to_numpy(), run.c.to_numpy(), k, int(run["stop_at"].iloc[0]))


def confidence_intervals(problems: pd.DataFrame, ks: list[int], reference: str | None, level: float = 0.95) -> pd.DataFrame:
    """Percentile bootstrap over problems (same resampled problems for every seed)."""
    out = []
    for m in order(problems.method, reference):
        d = problems[problems.method == m]
        n = int(d.n.iloc[0])
        for k in (k for k in ks if k <= n):
            per_seed = np.stack([_pass_at_k(g.sort_values("problem"), k)
                                 for _, g in with_base_seed(d).groupby(RUN[1:], dropna=False)])
            low, high = bootstrap_ci(per_seed, level=level)
            out.append({"method": m, "k": k, "mean": float(per_seed.mean()), "ci_low": low, "ci_high": high,
                        "seeds": len(per_seed), "problems": per_seed.shape[1]})
    return pd.DataFrame(out)


def multiplicity(stats_path: str | Path, runs: pd.DataFrame, task: str, reference: str | None) -> pd.DataFrame:
    """Solution multiplicity of the data (DS paper's table) and what each policy finds."""
    stats = json.loads(textio.read_text(stats_path))["multiplicity"]
    rows = {
        f"{task} ({split}, all solutions)": {
            "problems": s["n_problems"], "distinct strings": f"{s['strings_mean']:.2f}",
            "distinct canonical": f"{s['canonical_mean']:.2f}", "share ≥2 canonical": f"{s['share_canonical_ge2']:.2f}",
        }
        for split, s in stats.items()
    }
    at1 = runs[runs.k == 1]
    for m in order(runs.method, reference):
        d = at1[at1.method == m]
        rows[f"{m}: found in {int(d.n.iloc[0])} samples"] = {
            "problems": "", "distinct strings": _cell(d.distinct_correct, digits=2),
            "distinct canonical": _cell(d.distinct_canonical, digits=2), "share ≥2 canonical": "",
        }
    return pd.DataFrame.from_dict(rows, orient="index")




def write(runs: pd.DataFrame, problems: pd.DataFrame, ks: list[int], reference: str | None, paths: dict[str, Path],
          stats_path: str | Path | None = None, task: str = "countdown") -> None:
    """Write each file of `paths` (keys from OUTPUTS, e.g. "ds_style_md") and nothing else."""
    unknown = set(paths) - set(OUTPUTS)
    if unknown:
        raise ValueError(f"report: paper tables cannot make {sorted(unknown)} (known: {', '.join(OUTPUTS)})")
    if not stats_path and ({"multiplicity_md", "multiplicity_csv"} & set(paths)):
        raise ValueError("report: the multiplicity table needs --data-stats (data/stats.json)")
    n = int(runs.n.iloc[0])
    n_problems = problems.problem.nunique()
    seeds = _n_caption(runs)
    makers = {
        "dra_style": lambda: (dra_style(runs, task, reference), f"pass@1 (mean of {n} samples per problem) on {n_problems} test problems; mean ± std over {_over(runs)}, {seeds}."),
        "r1zero_div_style": lambda: (r1zero_div_style(runs, ks, reference), r1zero_div_caption(runs, n, seeds, n_problems)),
        "ds_style": lambda: (ds_style(runs, reference), f"Pass@K − base Pass@K in percentage points (below 0: worse than the base model); N = {n} samples per problem, {n_problems} problems, {seeds}."),
        "multiplicity": lambda: (multiplicity(stats_path, runs, task, reference), f"Solution multiplicity: distinct correct solutions per problem, as strings and after commutativity/associativity normalisation; for policies, among their samples (mean ± std over {_over(runs)})."),
    }
    for name in NAMES:
        md, csv = paths.get(f"{name}_md"), paths.get(f"{name}_csv")
        if not (md or csv):
            continue
        df, caption = makers[name]()
        if csv:
            with replacing(csv) as tmp:
                df.to_csv(tmp)
        if md:
            atomic.write_text(md, _markdown(df, caption))
    if paths.get("bootstrap_ci"):
        ci_ks = sorted({1, n, *usable_ks(ks, n, "bootstrap_ci")})  # a k above N: said in one logged line
        with replacing(paths["bootstrap_ci"]) as tmp:
            confidence_intervals(problems, ci_ks, reference).to_csv(tmp, index=False)


def write_benchmarks(at1: dict[str, pd.DataFrame], reference: str | None, *, md: Path | None = None,
                     csv: Path | None = None, not_averaged=()) -> None:
    """pass@1 per test set and their unweighted average (DRA-GRPO / R1-zero-Div table layout).

    at1: test set -> runs at k = 1. The average is taken per run (base model, seed), then
    mean ± std over runs, so it carries the seed spread; one base model has one sample set, no spread.
    Sets in `not_averaged` (in_average: false) get their column but stay out of the average.
    """
    averaged = {name: d for name, d in at1.items() if name not in set(not_averaged)} or at1
    per_seed = pd.concat([d.assign(bench=name) for name, d in averaged.items()])
    table = {name: {m: _cell(d[d.method == m].pass_at_k) for m in order(per_seed.method, reference)} for name, d in at1.items()}
    avg = with_base_seed(per_seed).groupby(RUN, dropna=False).pass_at_k.mean().reset_index()
    table["avg"] = {m: _cell(avg[avg.method == m].pass_at_k) for m in order(per_seed.method, reference)}
    df = pd.DataFrame(table)
    if csv:
        with replacing(csv) as tmp:
            df.to_csv(tmp)
    n = ", ".join(f"{name} {int(d.n.iloc[0])}" for name, d in at1.items())
    left_out = [name for name in at1 if name not in averaged]
    caption = (f"pass@1 per test set (samples per problem: {n}) and their unweighted average"
               + (f" (without {', '.join(left_out)})" if left_out else "")
               + f"; mean ± std over {_over(per_seed)}, {_n_caption(per_seed)}.")
    if md:
        atomic.write_text(md, _markdown(df, caption))
