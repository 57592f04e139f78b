"""The whole report into one folder, for use by hand (`divrl report --out-dir`) and in tests.

The workflow does not call this: its report rules (workflow/rules/report.smk) each call one
verb of report/verbs.py with every file spelled out. This writes the same files under the
same names the rules declare (both from the table in report/outputs.py): one test set in
tables/ and figures/ directly; several in tables/BENCH/ and figures/BENCH/ each, plus
tables/benchmarks.{md,csv}: pass@1 per test set and their average, the layout of the
DRA-GRPO and R1-zero-Div main tables.
"""

from __future__ import annotations

import logging
from pathlib import Path

from divrl.report import compare, figures, outputs, paper_tables, tables, test_sets, vs_paper
from divrl.report.collect import by_test_set, load_problems, load_runs
from divrl.report.curves import load_logs
from divrl.settings.report import Report

REFERENCE = Report().reference  # the config default (divrl.settings)

log = logging.getLogger(__name__)


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
        folders = out / "tables" / sub, out / "figures" / sub

        def at(key: str) -> Path:
            return _files(key, folders)[0]

        def fig(key: str) -> list[Path]:
            return _files(key, folders)

        runs, problems = load_runs(paths), load_problems(paths)
        has_base = bool((runs.method == "base").any())
        tables.write(runs, ks, reference, runs_csv=at("runs_csv"), summary_csv=at("summary_csv"),
                     summary_md=at("summary_md"), minus_base_csv=at("passk_minus_base_csv") if has_base else None)
        wanted = [o for o in paper_tables.OUTPUTS if data_stats or not o.startswith("multiplicity")]
        paper_tables.write(runs, problems, ks, reference, {o: at(o) for o in wanted}, data_stats,
                           task if sub == "" else name)
        label = "Countdown toy" if name == "countdown" and task == "countdown" else name
        title = figures.title(label, runs)
        figures.passk(runs, fig("passk"), title, reference)
        figures.accuracy_vs_diversity(runs, fig("accuracy_vs_diversity"), title, reference)
        if has_base:
            figures.passk_minus_base(runs, fig("passk_minus_base"), title, reference)
        if logs is not None and len(logs):
            figures.training_curves(logs, fig("training_curves"), label, reference)
        figures.spearman_hist(problems, fig("spearman"), reference)
        if problems.method.nunique() > 1:  # paired comparisons need two runs on the same problems
            usable = tables.usable_ks(ks, int(problems.n.min()), f"{name} compare")
            base = {"gains_losses_csv": at("gains_losses_csv"), "gains_losses_md": at("gains_losses_md"),
                    "pass1_change": fig("pass1_change")} if has_base else {}
            compare.write(problems, usable, reference=reference, compare_csv=at("compare_csv"),
                          compare_md_path=at("compare_md"), power_md=at("power_md"),
                          replication_md=at("replication_md"), **base)
        test_sets.note_lost_rows(at("summary_md"), lost, [name])
    top = out / "tables", out / "figures"  # the files of all test sets together
    if paper and (paper.get("rows") or paper.get("curves")):  # the config's published numbers against ours
        vs_paper.write(metrics, paper, md=_files("vs_paper_md", top)[0], csv=_files("vs_paper_csv", top)[0],
                       figure_paths=_files("vs_paper", top) if paper.get("curves") else (),
                       not_averaged=not_averaged, reference=reference)
    if len(groups) == 1:
        return _files("summary_md", top)[0]
    at1 = {name: (r := load_runs(paths))[r.k == 1] for name, paths in groups.items()}
    table = _files("benchmarks_md", top)[0]
    paper_tables.write_benchmarks(at1, reference, md=table, csv=_files("benchmarks_csv", top)[0],
                                  not_averaged=not_averaged)
    test_sets.note_lost_rows(table, lost, list(groups), log_it=False)
    return table


def _files(key: str, folders: tuple[Path, Path]) -> list[Path]:
    """An output's file(s) (report/outputs.py) below (tables, figures): a table's one, a figure's PNG and PDF."""
    return [Path(p) for p in outputs.files(key, *folders)]
