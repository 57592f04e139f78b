"""`divrl <verb>`: one subcommand per workflow rule, plus helpers.

Rules call these with explicit paths and the config section as JSON (`--params`),
so a rule reruns when, and only when, its own part of the config changes. By hand,
pass `--config config/config.yaml` instead and the section is read from there.
Errors print one line (`divrl VERB: error: …`) and exit 2; `--debug` shows tracebacks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from divrl import cli_args
from divrl.system.errors import check_writable
from divrl.system.errors import report as report_error
from divrl.models.locate import require_model
from divrl.system.procs import die_with_parent
from divrl.settings.model import parse

log = logging.getLogger("divrl")


def _config(args) -> dict | None:
    """The config file given by hand (--config), loaded and validated once per command (a verb
    reads its section and the method's hyperparameters from it); None under the workflow."""
    if args.params:
        return None
    if args.config:
        if getattr(args, "_loaded", None) is None:
            from divrl.config.load import load

            args._loaded = load(args.config)
        return args._loaded
    raise ValueError("give the config section as --params JSON or a config file as --config FILE")


def _section(args, build) -> dict:
    """--params JSON (from a rule), or the same section built from --config by settings.sections."""
    cfg = _config(args)
    return json.loads(args.params) if cfg is None else build(cfg)


def _threads(n: int | None) -> None:
    if n:
        import torch

        torch.set_num_threads(n)


# ----------------------------------------------------------------- verbs
def cmd_data(args) -> None:
    from divrl.settings import sections
    from divrl.data.prepare import DataPaths, bench_names, data_section
    from divrl.data.problems import write_jsonl

    section = data_section(_section(args, sections.data_section))  # typed, validated once
    n_val = section.validation
    tests = dict(args.test)
    if len(tests) != len(args.test):
        raise ValueError("data: --test names a test set twice")
    paths = DataPaths(Path(args.train), Path(args.stats), tests, Path(args.validation) if args.validation else None)
    if section.datasets:
        from divrl.data.prepare import prepare

        stats = prepare(section, paths, n_val)
        paths.stats.write_text(json.dumps(stats, indent=1))
        return
    from divrl.data.countdown_data import generate, multiplicity_stats
    from divrl.data.prepare import check_unique_ids, hold_out

    paths.check(bench_names(section), n_val)
    spec = section.data
    splits = generate(spec)
    check_unique_ids(splits["train"], f"data (train) -> {paths.train}", why="")
    check_unique_ids(splits["test"], f"data (test) -> {paths.tests[section.task]}", why="")
    splits["train"], validation = hold_out(splits["train"], n_val)
    if validation:
        write_jsonl(validation, paths.validation)
    write_jsonl(splits["train"], paths.train)
    write_jsonl(splits["test"], paths.tests[section.task])  # the toy's one test set, named after its task
    stats = {name: multiplicity_stats(rows) for name, rows in splits.items()}
    paths.stats.write_text(json.dumps({"spec": dataclasses.asdict(spec), "multiplicity": stats}, indent=1))
    t = stats["train"]
    log.info(
        "%d train / %d test problems; distinct solution strings per problem %.2f (canonical %.2f, %.0f%% with ≥2)",
        t["n_problems"], stats["test"]["n_problems"], t["strings_mean"], t["canonical_mean"],
        100 * t["share_canonical_ge2"],
    )


def cmd_difficulty(args) -> None:
    from divrl.data.difficulty import DifficultySpec, filter_by_difficulty
    from divrl.eval.evaluate import EvalSpec
    from divrl.settings import sections
    from divrl.data.problems import load_problems

    require_model(args.model, "base model", "base")
    _threads(args.threads)
    # one section: the eval keys (how to sample) and datasets.difficulty's (what to keep)
    own, sampling = sections.split_difficulty(_section(args, sections.difficulty_section))
    filter_by_difficulty(args.model, load_problems(args.problems), parse(DifficultySpec, own, "datasets.difficulty"),
                         parse(EvalSpec, sampling, "eval"), args.out, args.stats)


def cmd_base(args) -> None:
    from divrl.models.tiny import pretrain
    from divrl.settings.base_model import TinySpec
    from divrl.settings.base_model import BaseSpec
    from divrl.settings.model import narrow
    from divrl.settings.sections import base_section
    from divrl.data.problems import load_problems

    # by hand (--config): the first of base.seeds; the workflow's base rule passes each seed's section
    spec = parse(BaseSpec, _section(args, base_section), "base")
    _threads(args.threads)
    info = pretrain(load_problems(args.problems), narrow(spec, TinySpec), args.out, spec.device)
    log.info("base model saved to %s (%.0fs, final loss %.3f)", args.out, info["seconds"], info["history"][-1]["loss"])


def cmd_train(args) -> None:
    from divrl.train import slurm_signal

    slurm_signal.listen()  # first: Slurm's time-limit warning may come while torch loads
    from divrl import methods
    from divrl.settings.sections import section
    from divrl.models.context import check_problems
    from divrl.data.problems import load_problems
    from divrl.train.run import train

    from divrl.settings.train import TrainSpec
    if args.method_params:
        method_params = json.loads(args.method_params)
    elif args.config:  # by hand: the method's hyperparameters from the same config file
        method_params = _config(args)["methods"].get(args.method, {})
    else:
        method_params = {}
    # name and hyperparameters first (cheapest to get wrong), validated here once: the run gets this instance
    hyperparameters = methods.get(args.method).typed(method_params)
    require_model(args.base, "base model", "base")
    spec = parse(TrainSpec, _section(args, lambda cfg: section(cfg, "train")), "train")
    _threads(args.threads)
    problems = load_problems(args.problems)
    # prompt + completion must fit the base model's context, checked before any weight loads
    check_problems(args.base, problems, spec.max_completion_length, f"train {args.problems}",
                   completion_key="train.max_completion_length",
                   hint="; drop such rows at the data step with datasets.filter.max_prompt_tokens (counted in stats.json)")
    info = train(
        args.method, hyperparameters, args.seed, spec, args.base,
        problems, args.model_out, args.log_out, args.checkpoints,
    )
    log.info("trained %s seed %d in %.0fs -> %s", args.method, args.seed, info["seconds"], args.model_out)


def _eval_spec(args):
    from divrl.eval.evaluate import EvalSpec
    from divrl.settings.sections import eval_section

    return parse(EvalSpec, _section(args, eval_section), "eval")


def _identity(args, model: str | None) -> dict | None:
    """--identity as a dict, checked before any work, even before the model is looked for
    (None: not given, by hand)."""
    if not args.identity:
        return None
    from divrl.eval.evaluate import identity_section

    try:
        ident = json.loads(args.identity)
    except json.JSONDecodeError as err:
        raise ValueError(f"{args.verb}: --identity is not JSON ({err.msg}, column {err.colno})") from None
    identity_section(ident, model or "")  # the check only: merge fills in the model it evaluated
    return ident


def cmd_evaluate(args) -> None:
    from divrl.eval.evaluate import evaluate, sample_shard
    from divrl.data.problems import load_problems

    if args.shards is None and not args.metrics_out:
        raise ValueError("evaluate: give --metrics-out (or --shards S: one shard's samples, metrics by evaluate-merge)")
    if args.shards is not None and (args.metrics_out or args.identity):
        raise ValueError("evaluate: with --shards a job writes its samples only; --metrics-out and --identity go to evaluate-merge")
    ident = _identity(args, args.model)
    require_model(args.model, "model", "train (or base)")
    _threads(args.threads)
    spec = _eval_spec(args)
    if args.shards is None:  # one job: every problem, then metrics.json
        evaluate(args.model, load_problems(args.problems), spec, args.samples_out, args.metrics_out, ident)
        return
    sample_shard(args.model, load_problems(args.problems), spec, args.samples_out, args.shard, args.shards)


def cmd_evaluate_merge(args) -> None:
    from divrl.eval.evaluate import merge
    from divrl.data.problems import load_problems

    ident = _identity(args, args.model)
    _threads(args.threads)
    merge(load_problems(args.problems), _eval_spec(args), args.samples, args.metrics_out, args.model, ident)


def cmd_methods(args) -> None:
    from divrl import methods

    # generated from each method's hyperparameter class (the same text as config/README.md)
    print(methods.describe(), end="")


def cmd_formats(args) -> None:
    from divrl.data import formats, templates
    from divrl.tasks import registry

    print("tasks (config `task:`):     " + ", ".join(registry.names()))
    print("formats (datasets …format): " + ", ".join(formats.names()))
    print("templates (…template):      " + ", ".join(templates.names()))


def cmd_validate(args) -> None:
    from divrl.config.load import load

    cfg = load(args.config)
    bases = len(cfg["base"]["seeds"])
    print(f"{args.config}: ok ({len(cfg['methods'])} methods × {len(cfg['seeds'])} seeds"
          + (f" × {bases} base models)" if bases > 1 else ")"))


def cmd_readme(args) -> None:
    from divrl.report.readme import insert

    insert(args.table, args.readme, args.marker, args.figures)


# ----------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    return cli_args.build(sys.modules[__name__])


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process of its own (script, `python -m divrl`), not a call from Python
        die_with_parent()
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        check_writable(args)  # each output's folder, made and checked before any work
        args.func(args)
    except BrokenPipeError:  # `divrl methods | head`
        return 0
    except Exception as err:  # one readable line instead of a traceback (divrl.system.errors)
        return report_error(err, args.verb, args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
