"""Tables: mean ± std over runs per method, as csv and markdown.

A method's runs are its (base model, RL seed) pairs: with one base model, its seeds; with
several (base.seeds), every run of every base model, pooled (mean ± std over all of them).
The base model has one row per base model and is averaged the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from divrl.system.atomic import replacing
from divrl.report.collect import RUN, SCALARS, n_bases, n_runs, with_base_seed

log = logging.getLogger(__name__)


def usable_ks(ks: list[int], n: int, where: str = "compare") -> list[int]:
    """The k of `ks` with k <= n (pass@k needs k <= N); the rest are named in one logged line,
    not dropped silently (e.g. metrics evaluated with fewer samples than the config's k_show)."""
    usable = [k for k in ks if k <= n]
    if len(usable) < len(ks):
        log.warning("report: %s: k_show %s left out: these metrics have N = %d samples per problem (pass@k needs k ≤ N)",
                    where, [k for k in ks if k > n], n)
    return usable or [1]


def order(methods, reference: str | None) -> list[str]:
    """base, then the reference (report.reference) when present, then the other methods alphabetically."""
    present = set(methods)
    head = [m for m in ("base", reference) if m in present]
    return head + sorted(present - set(head))


def summary(runs: pd.DataFrame, reference: str | None) -> pd.DataFrame:
    """Rows: method; columns: (metric, mean|std) over its runs for pass@k at every k and the scalars,
    `seeds` (its runs: base models × seeds) and `base_models` (distinct base models; 0: none named)."""
    runs = with_base_seed(runs)
    wide = runs.groupby([*RUN, "k"], dropna=False)["pass_at_k"].first().unstack("k")
    wide.columns = [f"pass@{k}" for k in wide.columns]
    per_run = wide.join(runs.groupby(RUN, dropna=False)[SCALARS].first()).reset_index()
    g = per_run.drop(columns=["base_seed", "seed"]).groupby("method")
    out = g.mean().add_suffix(" mean")
    out = out.join(g.std(ddof=1).fillna(0.0).add_suffix(" std"))
    by = runs.groupby("method")
    out["seeds"] = by.apply(n_runs, include_groups=False)
    out["base_models"] = by.apply(n_bases, include_groups=False)
    return out.loc[order(out.index, reference)]


def minus_base(runs: pd.DataFrame) -> pd.DataFrame:
    """pass@k − base per run × k (DS paper's Pass@K − base): each run against its own base model
    (the same base_seed); a run without one of its own (a published checkpoint) against the mean
    over base models."""
    runs = with_base_seed(runs)
    base = runs[runs.method == "base"]
    own = base.groupby(["base_seed", "k"])["pass_at_k"].mean().rename("base_pass").reset_index()
    rest = runs[runs.method != "base"].reset_index(drop=True)
    rest = rest.merge(own, on=["base_seed", "k"], how="left")
    rest["base_pass"] = rest["base_pass"].fillna(rest["k"].map(base.groupby("k")["pass_at_k"].mean()))
    rest["minus_base"] = rest["pass_at_k"] - rest.pop("base_pass")
    return rest


def markdown(table: pd.DataFrame, ks: list[int], n: int) -> str:
    cols = [f"pass@{k}" for k in ks if f"pass@{k} mean" in table.columns]
    unshown = [k for k in ks if f"pass@{k} mean" not in table.columns]
    cols += ["distinct_correct", "distinct_canonical", "embedding_cosine"]
    bases = int(table["base_models"].max()) if "base_models" in table.columns else 0
    head = ["method", "seeds" if bases < 2 else "runs (bases × seeds)", *cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, row in table.iterrows():
        single = method == "base" and row["seeds"] == 1  # one base model: no spread to show
        cells = [method, _runs_cell(method, row, bases)]
        for c in cols:
            mean, std = row[f"{c} mean"], row[f"{c} std"]
            cells.append(f"{mean:.3f}" if single else f"{mean:.3f} ± {std:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    over = ("over seeds (std with ddof=1) on the test problems" if bases < 2 else
            f"over runs (std with ddof=1) on the test problems, pooled over {bases} base models × their seeds "
            "(the base row: over the base models)")
    caption = (
        f"Mean ± std {over}; N = {n} samples per problem, "
        "unbiased pass@k. distinct_correct: distinct correct strings per problem; distinct_canonical: "
        "after commutativity/associativity normalisation; embedding_cosine: mean pairwise cosine "
        "(all-MiniLM-L6-v2) of samples, lower = more diverse."
    )
    if unshown:  # said, not dropped: e.g. metrics evaluated with fewer samples than the config's k_show
        big = [k for k in unshown if k > n]
        caption += (f"\n\nNot shown: report.k_show {unshown}: " + (f"N = {n} samples per problem (pass@k needs k ≤ N)"
                    if big == unshown else "not in these metrics (pass@k is computed for k = 1, 2, 4, … N)"))
    return "\n".join(lines) + "\n\n" + caption + "\n"


def _runs_cell(method: str, row: pd.Series, bases: int) -> str:
    runs, own = int(row["seeds"]), int(row.get("base_models", 0))
    if method == "base":
        return "-" if bases < 2 else f"{runs} bases"
    if bases < 2 or own < 2:
        return str(runs)
    return f"{runs} ({own} × {runs // own})" if runs % own == 0 else str(runs)


def write(runs: pd.DataFrame, ks: list[int], reference: str | None, *, runs_csv: Path | None = None,
          summary_csv: Path | None = None, summary_md: Path | None = None, minus_base_csv: Path | None = None) -> None:
    """Write the files given (None: skip); pass@k − base needs a base run."""
    if minus_base_csv and not (runs.method == "base").any():
        raise ValueError("report: passk_minus_base.csv needs the base model's metrics among the inputs")
    table = summary(runs, reference)
    for path, write_to in ((runs_csv, lambda p: runs.to_csv(p, index=False)), (summary_csv, table.to_csv),
                           (minus_base_csv, lambda p: minus_base(runs).to_csv(p, index=False)),
                           (summary_md, lambda p: Path(p).write_text(markdown(table, ks, int(runs["n"].iloc[0]))))):
        if path:
            with replacing(path) as tmp:
                write_to(tmp)
