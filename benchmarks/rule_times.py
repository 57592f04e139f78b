"""Wall time of every rule from Snakemake's `benchmark:` files, and the total.

    python benchmarks/rule_times.py [results]

Prints one row per job (rule, wildcards, seconds, max RSS) sorted by rule, then the
sum of job times per rule and the DAG's wall time as measured from the first
job's start to the last job's end (jobs overlap with --cores 2, so the sum of job
times is larger than the wall time).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main(results: str = "results") -> None:
    root = Path(results) / "benchmarks"
    files = sorted(root.rglob("*.tsv"))
    if not files:
        sys.exit(f"no benchmark files under {root}; run the workflow first")
    rows = []
    for f in files:
        b = pd.read_csv(f, sep="\t").iloc[-1]
        rel = f.relative_to(root).with_suffix("")
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.name
        rows.append({"rule": rule, "job": rel.as_posix(), "seconds": b["s"], "max_rss_mb": b["max_rss"],
                     "mtime": f.stat().st_mtime})
    df = pd.DataFrame(rows).sort_values(["rule", "job"])
    print(df[["job", "seconds", "max_rss_mb"]].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print()
    per_rule = df.groupby("rule")["seconds"].agg(["count", "sum", "mean"])
    print(per_rule.to_string(float_format=lambda v: f"{v:.1f}"))
    start = (df["mtime"] - df["seconds"]).min()
    print(f"\nsum of job times: {df.seconds.sum():.0f} s; wall time first start → last end: {df.mtime.max() - start:.0f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
