"""The report verbs: each writes exactly the files named on its command line.

One verb per report rule (workflow/rules/report.smk): the rule declares every file and
passes each as an option (`--summary-md results/tables/summary.md`), so a file the rule
does not declare is never written and a deleted one is rebuilt. `divrl report` alone
writes the whole report into a folder for use by hand (report/build.py).
"""

from __future__ import annotations

import json
from pathlib import Path

# What report-tables can make besides the summary (the paper-style tables, the bootstrap CIs)
from divrl.report.outputs import PAPER_TABLE_OUTPUTS
from divrl.settings.report import Report


def _ks(args) -> list[int]:
    return json.loads(args.k_show) if args.k_show else list(Report().k_show)  # the config default


def _checked(args, more=()) -> None:
    """One sampling budget per test set, and the config's where the workflow passes it (budgets.py)."""
    from divrl.report import budgets

    budgets.check([*args.metrics, *more], json.loads(args.eval_specs) if args.eval_specs else None)


def _one_test_set(paths: list[str]) -> str:
    """The test set all metrics files share (a per-test-set verb gets one set)."""
    from divrl.report.collect import by_test_set

    sets = list(by_test_set(paths))
    if len(sets) != 1:
        raise ValueError(f"report: expected the metrics of one test set, got {len(sets)}: {', '.join(sets)}")
    return sets[0]


def cmd_report_tables(args) -> None:
    from divrl.report import paper_tables, tables, test_sets
    from divrl.report.collect import load_problems, load_runs

    _checked(args)
    name = _one_test_set(args.metrics)
    runs, problems = load_runs(args.metrics), load_problems(args.metrics)
    tables.write(runs, _ks(args), args.reference, runs_csv=args.runs_csv, summary_csv=args.summary_csv,
                 summary_md=args.summary_md, minus_base_csv=args.passk_minus_base_csv)
    paths = {key: getattr(args, key) for key in PAPER_TABLE_OUTPUTS if getattr(args, key)}
    paper_tables.write(runs, problems, _ks(args), args.reference, paths, args.data_stats, args.task)
    if args.summary_md:
        test_sets.note_lost_rows(Path(args.summary_md), test_sets.lost_rows(args.data_stats), [name])
        print(Path(args.summary_md).read_text())


def cmd_report_figures(args) -> None:
    from divrl.report import figures
    from divrl.report.collect import load_problems, load_runs
    from divrl.report.curves import load_logs

    _checked(args)
    _one_test_set(args.metrics)
    runs = load_runs(args.metrics)
    title, ref = figures.title(args.label, runs), args.reference
    if args.passk:
        figures.passk(runs, args.passk, title, ref)
    if args.accuracy_vs_diversity:
        figures.accuracy_vs_diversity(runs, args.accuracy_vs_diversity, title, ref)
    if args.passk_minus_base:
        figures.passk_minus_base(runs, args.passk_minus_base, title, ref)
    if args.training_curves:
        figures.training_curves(load_logs(args.train_logs or []), args.training_curves, args.label, ref)
    if args.spearman:
        figures.spearman_hist(load_problems(args.metrics), args.spearman, ref)


def cmd_report_compare(args) -> None:
    from divrl.report import compare, tables
    from divrl.report.collect import load_problems

    _checked(args)
    _one_test_set(args.metrics)
    problems = load_problems(args.metrics)
    usable = tables.usable_ks(_ks(args), int(problems.n.min()))  # k_show may exceed this run's N: said in one line
    found = compare.write(problems, usable, reference=args.reference, compare_csv=args.compare_csv,
                          compare_md_path=args.compare_md, power_md=args.power_md,
                          gains_losses_csv=args.gains_losses_csv, gains_losses_md=args.gains_losses_md,
                          pass1_change=args.pass1_change or (), replication_md=args.replication_md,
                          alpha=args.alpha, effect=args.effect, paired_seeds=args.coupled_seeds)
    for line in found["significant"]:
        print(f"significant: {line}")


def cmd_report_benchmarks(args) -> None:
    from divrl.report import paper_tables, test_sets
    from divrl.report.collect import by_test_set, load_runs

    _checked(args)
    groups = by_test_set(args.metrics)
    at1 = {name: (r := load_runs(paths))[r.k == 1] for name, paths in groups.items()}
    md = args.benchmarks_md
    paper_tables.write_benchmarks(at1, args.reference, md=md, csv=args.benchmarks_csv, not_averaged=args.not_averaged or [])
    if md:
        test_sets.note_lost_rows(Path(md), test_sets.lost_rows(args.data_stats), list(groups), log_it=False)
        print(Path(md).read_text())


def cmd_report_paper(args) -> None:
    from divrl.report import vs_paper

    _checked(args)
    text = vs_paper.write(args.metrics, json.loads(args.paper), md=args.vs_paper_md, csv=args.vs_paper_csv,
                          figure_paths=args.vs_paper or (), not_averaged=args.not_averaged or [],
                          reference=args.reference)
    print(text or "report: the paper section has no rows or curves; nothing written")


def cmd_sweep_report(args) -> None:
    from divrl.report import sweeps

    _checked(args, args.points or [])
    print(sweeps.write(args.metrics, json.loads(args.sweep_runs), args.select_k, points=args.points or [],
                       table_md=args.sweeps_md, table_csv=args.sweeps_csv, figure_paths=args.sweeps or ()))


def cmd_report(args) -> None:
    from divrl.report.build import write

    _checked(args)
    paper = json.loads(args.paper) if args.paper else None
    summary = write(args.metrics, args.out_dir, _ks(args), args.train_logs, args.data_stats, args.task, paper,
                    not_averaged=args.not_averaged or [], reference=args.reference)
    print(summary.read_text())
