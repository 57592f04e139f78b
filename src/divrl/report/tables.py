"""Tables: mean ± std over seeds per method, as csv and markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from divrl.report.collect import SCALARS


def order(methods, reference: str | None) -> list[str]:
    """base, then the reference (report.reference) when present, then the other methods alphabetically."""
    present = set(methods)
    head = [m for m in ("base", reference) if m in present]
    return head + sorted(present - set(head))


def summary(runs: pd.DataFrame, reference: str | None) -> pd.DataFrame:
    """Rows: method; columns: (metric, mean|std) for pass@k at every k and the scalars."""
    wide = runs.pivot_table(index=["method", "seed"], columns="k", values="pass_at_k", dropna=False)
    wide.columns = [f"pass@{k}" for k in wide.columns]
    scal = runs.groupby(["method", "seed"], dropna=False)[SCALARS].first()
    per_seed = wide.join(scal).reset_index()
    g = per_seed.groupby("method")
    out = g.mean(numeric_only=True).drop(columns="seed").add_suffix(" mean")
    std = g.std(ddof=1, numeric_only=True).drop(columns="seed").fillna(0.0).add_suffix(" std")
    out = out.join(std)
    out["seeds"] = runs.groupby("method")["seed"].nunique()
    return out.loc[order(out.index, reference)]


def minus_base(runs: pd.DataFrame) -> pd.DataFrame:
    """pass@k − base per method × seed × k (DS paper's Pass@K − base)."""
    base = runs[runs.method == "base"].set_index("k")["pass_at_k"]
    rest = runs[runs.method != "base"].copy()
    rest["minus_base"] = rest["pass_at_k"] - rest["k"].map(base)
    return rest


def markdown(table: pd.DataFrame, ks: list[int], n: int) -> str:
    cols = [f"pass@{k}" for k in ks if f"pass@{k} mean" in table.columns]
    cols += ["distinct_correct", "distinct_canonical", "embedding_cosine"]
    head = ["method", "seeds", *cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, row in table.iterrows():
        cells = [method, str(int(row["seeds"])) if method != "base" else "-"]
        for c in cols:
            mean, std = row[f"{c} mean"], row[f"{c} std"]
            cells.append(f"{mean:.3f}" if method == "base" else f"{mean:.3f} ± {std:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    caption = (
        f"Mean ± std over seeds (std with ddof=1) on the test problems; N = {n} samples per problem, "
        "unbiased pass@k. distinct_correct: distinct correct strings per problem; distinct_canonical: "
        "after commutativity/associativity normalisation; embedding_cosine: mean pairwise cosine "
        "(all-MiniLM-L6-v2) of samples, lower = more diverse."
    )
    return "\n".join(lines) + "\n\n" + caption + "\n"


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
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write_to(path)
