"""`divrl`'s command line: one subcommand per workflow rule, its arguments and help.

Kept apart from `divrl.cli` (what each verb does) so neither file is long; `build` gets
the module with the `cmd_*` functions, which keeps the import one-way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from divrl.report import outputs
from divrl.settings.report import Report

REPORT = Report()  # report option defaults are the config's (one definition: divrl.settings)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("divrl")
    except PackageNotFoundError:  # run from a checkout's src/ without installing
        return "unknown (not installed)"


def build(c) -> argparse.ArgumentParser:
    """The `divrl` parser; `c` is the module holding the cmd_* functions (divrl.cli)."""
    p = argparse.ArgumentParser(
        prog="divrl",
        description="Diversity-aware RL for LLM reasoners. Each subcommand is one step of the "
        "Snakemake workflow (run the whole DAG with `snakemake --cores 2`).",
    )
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: `divrl --debug VERB` must not be reset to False by the verb's parser
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    p.add_argument("--version", action="version", version=f"divrl {_version()}")
    sub = p.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, func, help: str, section: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help, parents=[common])
        sp.set_defaults(func=func)
        if section:
            sp.add_argument("--params", help="config section as JSON (what the workflow passes)")
            sp.add_argument("--config", help="or: a workflow config YAML to read the section from")
            sp.add_argument("--threads", type=int, default=None, help="torch CPU threads")
        return sp

    sp = verb("data", c.cmd_data, "generate the toy Countdown problems, or load and filter the configured data sets; "
              "write the training problems, each test set, the validation split and stats.json")
    output(sp, "--train", required=True, help="training problems to write (train.jsonl; with a difficulty filter the "
           "pool, train_pool.jsonl, that `divrl difficulty` narrows)")
    output(sp, "--test", nargs="+", required=True, type=name_path, metavar="NAME=FILE", help="each test set's file "
           "to write, by its name (a datasets.test key; the toy's one set is named after its task, countdown)")
    output(sp, "--validation", help="validation split to write (needed when validation.problems > 0, refused at 0)")
    output(sp, "--stats", required=True, help="stats.json to write (data-set filter counts, solution multiplicity)")

    sp = verb("difficulty", c.cmd_difficulty, "keep training problems whose base-model pass rate lies in [min_pass, max_pass]")
    sp.add_argument("--model", required=True, help="base model folder or hub id")
    sp.add_argument("--problems", required=True, help="train_pool.jsonl from `divrl data`")
    output(sp, "--out", required=True, help="train.jsonl to write (the kept problems)")
    output(sp, "--stats", required=True, help="difficulty.json to write (pass rates, counts kept and dropped)")

    sp = verb("base", c.cmd_base, "build the tiny base model and pretrain it on uniformly drawn solutions")
    sp.add_argument("--problems", required=True, help="train.jsonl from `divrl data`")
    output(sp, "--out", required=True, metavar="DIR", help="model folder to write (save_pretrained layout)")

    sp = verb("train", c.cmd_train, "RL-train one method × seed with TRL's GRPOTrainer (resumes from checkpoints)")
    sp.add_argument("--method", required=True, help="registry name (see `divrl methods`)")
    sp.add_argument("--method-params", help="hyperparameter overrides as JSON (default: methods.METHOD of --config)")
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--base", required=True, help="base model folder")
    sp.add_argument("--problems", required=True, help="train.jsonl")
    output(sp, "--model-out", required=True, metavar="DIR", help="trained model folder to write (save_pretrained layout)")
    output(sp, "--log-out", required=True, help="train_log.json to write (method, hyperparameters, seed, log history)")
    sp.add_argument("--checkpoints", required=True, help="checkpoint folder (not an output: kept when a job dies)")

    sp = verb("evaluate", c.cmd_evaluate, "sample N completions per test problem; write samples and pass@k/diversity metrics")
    sp.add_argument("--model", required=True, help="model folder or hub id")
    sp.add_argument("--problems", required=True, help="test set (…/test/NAME.jsonl)")
    output(sp, "--samples-out", required=True, help="samples file to write (…/samples/I-of-S.parquet); a killed job's "
           "finished parts wait beside it in a hidden .NAME.parts folder and are reused")
    output(sp, "--metrics-out", help="metrics.json to write (without --shards; with them evaluate-merge writes it)")
    identity(sp)
    sp.add_argument("--shard", type=int, default=0, help="with --shards: which chunk of the problems (0-based)")
    sp.add_argument("--shards", type=int, default=None, help="sample one shard of S only; `divrl evaluate-merge` then writes metrics.json")

    sp = verb("evaluate-merge", c.cmd_evaluate_merge, "metrics.json from the S shard files of `divrl evaluate --shards S`, one problem in memory at a time")
    sp.add_argument("--problems", required=True, help="test set (…/test/NAME.jsonl)")
    sp.add_argument("--samples", nargs="+", required=True, metavar="FILE", help="the S shard files (…/samples/I-of-S.parquet), shard 0 first")
    output(sp, "--metrics-out", required=True, help="metrics.json to write")
    identity(sp)
    sp.add_argument("--model", default=None, help="the model's name for metrics.json (default: the one the shards recorded)")

    report_verbs(verb)

    verb("methods", c.cmd_methods, "list registered methods with their papers and hyperparameters", section=False)
    verb("formats", c.cmd_formats, "list tasks, data-set column formats and prompt templates (for `datasets:`)", section=False)
    sp = verb("validate", c.cmd_validate, "check a workflow config against the schema and the registry", section=False)
    sp.add_argument("config")
    sp = verb("readme", c.cmd_readme, "insert a generated markdown table into README.md", section=False)
    sp.add_argument("--table", default=outputs.files("summary_md", tables="results/tables")[0])
    sp.add_argument("--readme", default="README.md")
    sp.add_argument("--marker", default="results", help="README holds <!-- MARKER:start --> … <!-- MARKER:end -->")
    sp.add_argument("--figures", nargs="*", default=[outputs.BY_KEY[k].stem for k in ("passk", "passk_minus_base")],
                    help="figure names to copy to docs/")
    return p


def output(sp: argparse.ArgumentParser, flag: str, **kw) -> None:
    """An option naming a file (or folder) the verb writes; divrl.cli makes its folder, and
    checks it is writable, before any work (a verb writes exactly the paths its rule names)."""
    action = sp.add_argument(flag, **{"metavar": "FILE", **kw})
    sp.set_defaults(outputs=[*(sp.get_default("outputs") or []), action.dest])


def name_path(text: str) -> tuple[str, str]:
    """NAME=FILE (a test set and the file it goes to)."""
    name, sep, path = text.partition("=")
    if not (sep and name and path):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=FILE")
    return name, path


def identity(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--identity", metavar="JSON", help='JSON of who the run is, written into metrics.json: {"method", "run", "seed", '
                    '"test_set", "params", "model"} (the workflow passes it; the report reads '
                    "only this, never the path: without it the report refuses the file)")


def report_verbs(verb) -> None:
    """The report verbs (divrl.report.verbs): each output file is an option naming its path,
    and a verb writes only the files named (what its rule in workflow/rules/report.smk declares);
    both come from the one table of the report's outputs (divrl.report.outputs)."""
    from divrl.report import verbs as v

    def metrics(sp, what="…/eval/base/baseB/SET/metrics.json and …/eval/METHOD/baseB/seedS/SET/metrics.json of one test set"):
        sp.add_argument("--metrics", nargs="+", required=True, help=what)
        sp.add_argument("--eval-specs", help="JSON {test set: eval section} of the config (the workflow passes it): a "
                        "metrics file sampled otherwise is refused; without it the files of one test set must agree")

    def reference(sp):
        sp.add_argument("--reference", default=REPORT.reference, help="the method every other one is compared with, listed "
                        "first after base (report.reference)")

    def k_show(sp):
        sp.add_argument("--k-show", help="JSON list of k for the tables (report.k_show)")

    def files(sp, rule):
        """The rule's outputs, each an option whose value lands in args.KEY."""
        for out in outputs.of_rule(rule):
            names = " and ".join(Path(f).name for f in out.files())  # one file per format for a figure
            sp.add_argument(out.flag, dest=out.key, nargs="+" if out.figure else None, metavar="FILE",
                            help=f"{out.what}: {names}" if out.what else names)

    sp = verb("report-tables", v.cmd_report_tables, "summary, paper-style tables and bootstrap CIs of one test set", section=False)
    metrics(sp), k_show(sp), reference(sp)
    sp.add_argument("--data-stats", help="data/stats.json (multiplicity table; rows a test set lost)")
    sp.add_argument("--task", default="countdown", help="dra_style column and multiplicity label: the task with one "
                    "test set, the test set's name with several")
    files(sp, "report_tables")

    sp = verb("report-figures", v.cmd_report_figures, "pass@k, pass@k − base, accuracy vs diversity, training curves "
              "and Spearman figures of one test set", section=False)
    metrics(sp), reference(sp)
    sp.add_argument("--label", required=True, help="what the titles name: the test set (or 'Countdown toy')")
    sp.add_argument("--train-logs", nargs="*", help="…/train/METHOD/baseB/seedS/train_log.json (for --curves)")
    files(sp, "report_figures")

    sp = verb("report-compare", v.cmd_report_compare, "calibrated comparisons of one test set: each method against "
              "the reference and base (t-tests over seeds, base models as a random factor), verdicts in words, runs "
              "needed, replication on halves of the seeds and per base model, per-problem gains and losses",
              section=False)
    metrics(sp), k_show(sp), reference(sp)
    sp.add_argument("--alpha", type=float, default=REPORT.alpha, help=f"test level (report.alpha; default {REPORT.alpha})")
    sp.add_argument("--effect", type=float, default=REPORT.effect, help="smallest pass@k difference worth detecting "
                    f"(report.effect; default {REPORT.effect})")
    sp.add_argument("--coupled-seeds", action="store_true", help="the runs were trained with train.coupled_sampling: "
                    "pair seed s of two methods (one base model); never for uncoupled runs")
    files(sp, "report_compare")

    sp = verb("report-benchmarks", v.cmd_report_benchmarks, "pass@1 per test set and their average", section=False)
    metrics(sp, "metrics.json files of every test set")
    reference(sp)
    sp.add_argument("--data-stats", help="data/stats.json (rows a test set lost)")
    sp.add_argument("--not-averaged", nargs="*", help="test sets left out of the average (in_average: false)")
    files(sp, "report_benchmarks")

    sp = verb("report-paper", v.cmd_report_paper, "our numbers against the published ones (the config's paper: section)",
              section=False)
    metrics(sp, "metrics.json files of every run and test set")
    reference(sp)
    sp.add_argument("--paper", required=True, help="JSON of the config's paper: section")
    sp.add_argument("--not-averaged", nargs="*", help="test sets left out of the average (in_average: false)")
    files(sp, "report_paper")

    sp = verb("report", v.cmd_report, "the whole report into one folder, by hand (the workflow runs report-* verbs)",
              section=False)
    metrics(sp, "…/eval/base/baseB/SET/metrics.json and …/eval/METHOD/baseB/seedS/SET/metrics.json")
    sp.add_argument("--out-dir", required=True, help="gets tables/ and figures/, the files the report rules write "
                    "(tables/SET/ and figures/SET/ each with several test sets)")
    k_show(sp), reference(sp)
    sp.add_argument("--train-logs", nargs="*", help="…/train/METHOD/baseB/seedS/train_log.json (training curves)")
    sp.add_argument("--data-stats", help="data/stats.json (solution multiplicity table)")
    sp.add_argument("--task", default="countdown", help="task name, for table labels")
    sp.add_argument("--paper", help="JSON of the config's paper: section (published numbers -> tables/vs_paper.md)")
    sp.add_argument("--not-averaged", nargs="*", help="test sets left out of the benchmark average (in_average: false)")

    sp = verb("sweep-report", v.cmd_sweep_report, "sweep table and figure; the best grid point is chosen on the "
              "validation split", section=False)
    metrics(sp, "metrics.json of the base model and the configured methods (references), every set")
    sp.add_argument("--points", nargs="*", help="metrics.json of the grid points, every set")
    # dest: args.sweeps is the sweeps figure (its output key)
    sp.add_argument("--sweeps", dest="sweep_runs", required=True,
                    help='JSON {method: ["method/p=v,…", …]} (what the workflow passes)')
    sp.add_argument("--select-k", type=int, default=REPORT.select_k, help="choose the point with the best mean validation pass@k")
    files(sp, "sweep_report")
