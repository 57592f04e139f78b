"""The whole report into one folder, for use by hand (`divrl report --out-dir`) and in tests.

The workflow does not call this: its report rules (workflow/rules/report.smk) each call one
verb of report/verbs.py with every file spelled out. This writes the same files under the
same names the rules declare: one test set in tables/ and figures/ directly; several in
tables/BENCH/ and figures/BENCH/ each, plus tables/benchmarks.{md,csv}: pass@1 per test set
and their average, the layout of the DRA-GRPO and R1-zero-Div main tables.
"""

from __future__ import annotations

import logging
from pathlib import Path

from divrl.report import compare, figures, paper_tables, tables, test_sets, vs_paper
from divrl.report.collect import by_test_set, load_problems, load_runs
from divrl.report.curves import load_logs
from divrl.settings.report import Report

REFERENCE = Report().reference  # the config default (divrl.settings)

log = logging.getLogger(__name__)


def _figure(folder: Path, name: str) -> list[Path]:
    return [folder / f"{name}.png", folder / f"{name}.pdf"]


def write(metrics: list[str], out_dir: str | Path, ks: list[int], train_logs: list[str] | None = None,
          data_stats: str | None = None, task: str = "countdown", paper: dict | None = None,
          not_averaged: list[str] = (), reference: str = REFERENCE) -> Path:
    """Write everything; returns the summary.md (or benchmarks.md) a person should read first."""
    groups = by_test_set(metrics)
    out = Path(out_dir)
    logs = load_logs(train_logs) if train_logs else None
    lost = test_sets.lost_rows(data_stats)
    for name, paths in groups.items():
        sub = "" if len(groups) == 1 else name
        t, f = out / "tables" / sub, out / "figures" / sub
        runs, problems = load_runs(paths), load_problems(paths)
        has_base = bool((runs.method == "base").any())
        tables.write(runs, ks, reference, runs_csv=t / "runs.csv", summary_csv=t / "summary.csv",
                     summary_md=t / "summary.md", minus_base_csv=t / "passk_minus_base.csv" if has_base else None)
        wanted = [o for o in paper_tables.OUTPUTS if data_stats or not o.startswith("multiplicity")]
        paper_tables.write(runs, problems, ks, reference, {o: t / _file(o) for o in wanted}, data_stats,
                           task if sub == "" else name)
        label = "Countdown toy" if name == "countdown" and task == "countdown" else name
        title = figures.title(label, runs)
        figures.passk(runs, _figure(f, "passk"), title, reference)
        figures.accuracy_vs_diversity(runs, _figure(f, "accuracy_vs_diversity"), title, reference)
        if has_base:
            figures.passk_minus_base(runs, _figure(f, "passk_minus_base"), title, reference)
        if logs is not None and len(logs):
            figures.training_curves(logs, _figure(f, "training_curves"), label, reference)
        figures.spearman_hist(problems, _figure(f, "spearman"), reference)
        if problems.method.nunique() > 1:  # paired comparisons need two runs on the same problems
            usable = tables.usable_ks(ks, int(problems.n.min()), f"{name} compare")
            base = {"gains_losses_csv": t / "gains_losses.csv", "gains_losses_md": t / "gains_losses.md",
                    "pass1_change": _figure(f, "pass1_change")} if has_base else {}
            compare.write(problems, usable, reference=reference, compare_csv=t / "compare.csv",
                          compare_md_path=t / "compare.md", power_md=t / "power.md",
                          replication_md=t / "replication.md", **base)
        test_sets.note_lost_rows(t / "summary.md", lost, [name])
    if paper and (paper.get("rows") or paper.get("curves")):  # the config's published numbers against ours
        vs_paper.write(metrics, paper, md=out / "tables/vs_paper.md", csv=out / "tables/vs_paper.csv",
                       figure_paths=_figure(out / "figures", "vs_paper") if paper.get("curves") else (),
                       not_averaged=not_averaged, reference=reference)
    if len(groups) == 1:
        return out / "tables" / "summary.md"
    at1 = {name: (r := load_runs(paths))[r.k == 1] for name, paths in groups.items()}
    table = out / "tables" / "benchmarks.md"
    paper_tables.write_benchmarks(at1, reference, md=table, csv=out / "tables/benchmarks.csv",
                                  not_averaged=not_averaged)
    test_sets.note_lost_rows(table, lost, list(groups), log_it=False)
    return table


def _file(output: str) -> str:
    """paper_tables output key -> file name: ds_style_md -> ds_style.md, bootstrap_ci -> bootstrap_ci.csv."""
    if output == "bootstrap_ci":
        return "bootstrap_ci.csv"
    stem, ext = output.rsplit("_", 1)
    return f"{stem}.{ext}"
