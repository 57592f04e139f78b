"""The whole report from metrics files: per test set tables and figures, then a cross-set table.

One test set (the toy) writes tables/ and figures/ directly; several write
tables/BENCH/ and figures/BENCH/ each, plus tables/benchmarks.md: pass@1 per test set
and their average, the layout of the DRA-GRPO and R1-zero-Div main tables.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from divrl.report import compare, figures, paper_tables, tables, test_sets, vs_paper
from divrl.report.collect import bench, load_problems, load_runs
from divrl.report.curves import load_logs

log = logging.getLogger(__name__)


def write(metrics: list[str], out_dir: str | Path, ks: list[int], train_logs: list[str] | None = None,
          data_stats: str | None = None, task: str = "countdown", paper: dict | None = None,
          not_averaged: list[str] = (), reference: str = "grpo") -> Path:
    """Write everything; returns the summary.md a person should read first."""
    by_bench: dict[str, list[str]] = defaultdict(list)
    for path in metrics:
        by_bench[bench(path)].append(path)
    out = Path(out_dir)
    logs = load_logs(train_logs) if train_logs else None
    at1 = {}
    lost = test_sets.lost_rows(data_stats)
    for name, paths in by_bench.items():
        sub = "" if len(by_bench) == 1 else name
        runs, problems = load_runs(paths), load_problems(paths)
        table = tables.write(runs, out / "tables" / sub, ks)
        paper_tables.write(runs, problems, out / "tables" / sub, ks, data_stats, task if sub == "" else name)
        label = "Countdown toy" if name == "countdown" and task == "countdown" else name
        figures.write(runs, out / "figures" / sub, logs, problems, label)
        if problems.method.nunique() > 1:  # paired comparisons need two runs on the same problems
            usable = [k for k in ks if k <= problems.n.min()] or [1]  # k_show may exceed this run's N
            found = compare.write(problems, out / "tables" / sub, out / "figures" / sub, usable, reference=reference)
            for line in found.get("significant", []):
                log.info("significant: %s", line)
        test_sets.note_lost_rows(out / "tables" / sub / "summary.md", lost, [name])
        at1[name] = runs[runs.k == 1]
        log.info("report %s: %d methods (incl. base) -> %s", name, len(table), out / "tables" / sub)
    if paper:  # the config's published numbers against ours: tables/vs_paper.md
        vs_paper.write(metrics, paper, out, not_averaged)
    if len(by_bench) == 1:
        return out / "tables" / "summary.md"
    table = paper_tables.write_benchmarks(at1, out / "tables", not_averaged)
    test_sets.note_lost_rows(table, lost, list(by_bench), log_it=False)
    return table
