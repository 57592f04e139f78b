"""`divrl`'s command line: one subcommand per workflow rule, its arguments and help.

Kept apart from `divrl.cli` (what each verb does) so neither file is long; `build` gets
the module with the `cmd_*` functions, which keeps the import one-way.
"""

from __future__ import annotations

import argparse


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

    sp = verb("data", c.cmd_data, "generate the toy Countdown problems, or load and filter the configured data sets; write train.jsonl and test/BENCH.jsonl")
    sp.add_argument("--out-dir", required=True)

    sp = verb("difficulty", c.cmd_difficulty, "keep training problems whose base-model pass rate lies in [min_pass, max_pass]")
    sp.add_argument("--model", required=True, help="base model folder or hub id")
    sp.add_argument("--problems", required=True, help="train_pool.jsonl from `divrl data`")
    sp.add_argument("--out", required=True, help="train.jsonl to write (difficulty.json beside it)")

    sp = verb("base", c.cmd_base, "build the tiny base model and pretrain it on uniformly drawn solutions")
    sp.add_argument("--problems", required=True, help="train.jsonl from `divrl data`")
    sp.add_argument("--out", required=True, help="model folder (save_pretrained layout)")

    sp = verb("train", c.cmd_train, "RL-train one method × seed with TRL's GRPOTrainer (resumes from checkpoints)")
    sp.add_argument("--method", required=True, help="registry name (see `divrl methods`)")
    sp.add_argument("--method-params", help="hyperparameter overrides as JSON (default: methods.METHOD of --config)")
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--base", required=True, help="base model folder")
    sp.add_argument("--problems", required=True, help="train.jsonl")
    sp.add_argument("--out-dir", required=True, help="gets model/ and train_log.json")
    sp.add_argument("--checkpoints", required=True, help="checkpoint folder (kept when a job dies)")

    sp = verb("evaluate", c.cmd_evaluate, "sample N completions per test problem; write samples and pass@k/diversity metrics")
    sp.add_argument("--model", required=True, help="model folder")
    sp.add_argument("--problems", required=True, help="test.jsonl")
    sp.add_argument("--out-dir", required=True, help="gets samples/I-of-S.parquet and (without --shards) metrics.json")
    sp.add_argument("--shard", type=int, default=0, help="with --shards: which chunk of the problems (0-based)")
    sp.add_argument("--shards", type=int, default=None, help="sample one shard of S only; `divrl evaluate-merge` then writes metrics.json")

    sp = verb("evaluate-merge", c.cmd_evaluate_merge, "metrics.json from the S shard files of `divrl evaluate --shards S`, one problem in memory at a time")
    sp.add_argument("--problems", required=True, help="test.jsonl")
    sp.add_argument("--out-dir", required=True, help="holds samples/I-of-S.parquet; gets metrics.json")
    sp.add_argument("--shards", type=int, required=True, help="S")
    sp.add_argument("--model", default=None, help="the model's name for metrics.json (default: the one the shards recorded)")

    sp = verb("report", c.cmd_report, "tables (csv, markdown) and figures from metrics.json files", section=False)
    sp.add_argument("--metrics", nargs="+", required=True, help="…/eval/base/SET/metrics.json and …/eval/METHOD/seedS/SET/metrics.json")
    sp.add_argument("--out-dir", required=True, help="gets tables/ and figures/")
    sp.add_argument("--k-show", help="JSON list of k for the markdown table")
    sp.add_argument("--train-logs", nargs="*", help="…/train/METHOD/seedS/train_log.json (training curves)")
    sp.add_argument("--data-stats", help="data/stats.json (solution multiplicity table)")
    sp.add_argument("--task", default="countdown", help="task name, for table labels")
    sp.add_argument("--paper", help="JSON of the config's paper: section (published numbers -> tables/vs_paper.md)")
    sp.add_argument("--not-averaged", nargs="*", help="test sets left out of the benchmark average (in_average: false)")
    sp.add_argument("--reference", default="grpo", help="the method every other one is compared with (report.reference)")

    sp = verb("sweep-report", c.cmd_sweep_report, "sweep table and figure; the best grid point is chosen on the validation split", section=False)
    sp.add_argument("--metrics", nargs="+", required=True, help="…/eval/RUN/seedS/SET/metrics.json of grid points and reference methods")
    sp.add_argument("--sweeps", required=True, help='JSON {method: ["method/p=v,…", …]} (what the workflow passes)')
    sp.add_argument("--select-k", type=int, default=1, help="choose the point with the best mean validation pass@k")
    sp.add_argument("--out-dir", required=True, help="gets tables/sweeps.{md,csv} and figures/sweeps.png")

    verb("methods", c.cmd_methods, "list registered methods with their papers and hyperparameters", section=False)
    verb("formats", c.cmd_formats, "list tasks, data-set column formats and prompt templates (for `datasets:`)", section=False)
    sp = verb("validate", c.cmd_validate, "check a workflow config against the schema and the registry", section=False)
    sp.add_argument("config")
    sp = verb("readme", c.cmd_readme, "insert a generated markdown table into README.md", section=False)
    sp.add_argument("--table", default="results/tables/summary.md")
    sp.add_argument("--readme", default="README.md")
    sp.add_argument("--marker", default="results", help="README holds <!-- MARKER:start --> … <!-- MARKER:end -->")
    sp.add_argument("--figures", nargs="*", default=["passk", "passk_minus_base"], help="figure names to copy to docs/")
    return p
