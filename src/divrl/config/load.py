"""Load and validate a workflow config once; errors are one line naming the key.

Every key is defined once, in divrl.settings (pydantic classes): `load_config` parses a
config into the typed `Config` (types, bounds, unknown keys, NaN all refused by the
classes themselves, settings.model.STRICT), then runs the checks that span keys (a
method's hyperparameters against the group size, the batch against the processes, data
sets against the known formats, …). The Snakefile loads it once (common.smk) before any
job; a `divrl` verb run by hand with `--config` loads it once. The JSON schema in
workflow/schemas/ is generated from the same classes for the catalog and `--lint`; it
validates nothing here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from divrl.system.errors import ConfigError
from divrl.config.checks import check_runnable, read_yaml
from divrl.settings.model import filled, parse
from divrl.settings.run import Config
from divrl.settings.sections import TEST_ONLY_KEYS
from divrl.settings.train import check_batch
from divrl.workflow.layout import WILDCARDS, point_path, point_run, sweep_points


class Loaded(dict):
    """A validated config: the plain dict the rules' sections are built from (values as the
    file gives them, defaults filled in), with the typed `Config` as `.typed` and each run's
    validated hyperparameters as `.hyperparameters` (run name: a method, or a sweep point's
    METHOD/P=V,… -> its method's typed instance; `.resolved()` is the dict a job receives)."""

    typed: Config
    hyperparameters: dict


def load_config(config: dict) -> Loaded:
    """The config validated once: parsed into `Config`, then the cross-key checks; raises ConfigError."""
    if isinstance(config, Loaded):
        return config  # already validated (a verb handed the workflow's config)
    try:
        typed = parse(Config, dict(config), "config")
    except ValueError as err:
        raise ConfigError(_message(str(err))) from None
    cfg = Loaded(filled(typed, dict(config)))
    cfg.typed = typed
    cfg.hyperparameters = {name: _check_method(cfg, f"methods.{name}", name, params) for name, params in cfg["methods"].items()}
    _check_datasets(cfg)
    _check_batch(cfg)
    _check_sweeps(cfg)
    check_runnable(cfg)
    d = cfg["data"]
    if d["min_number"] > d["max_number"]:
        raise ConfigError(f"config: data.min_number ({d['min_number']}) exceeds data.max_number ({d['max_number']})")
    if d["min_target"] > d["max_target"]:
        raise ConfigError(f"config: data.min_target ({d['min_target']}) exceeds data.max_target ({d['max_target']})")
    return cfg


def _message(err: str) -> str:
    """settings.model.parse's "config.KEY: why (got V)" as "config: KEY: why (got V)"."""
    where, _, why = err.partition(": ")
    where = where.removeprefix("config.") if where != "config" else "(top level)"
    if "unknown key" in why:
        why = f"{why.split(' (known')[0]} (every key: config/README.md)"
    return f"config: {where}: {why}"


def _check_method(cfg: dict, where: str, name: str, params: dict):
    """A method's name and hyperparameters, by the method itself (the one place they are
    checked, for `methods` and for every sweep point): its typed instance."""
    from divrl import methods  # late: importing torch is not needed to read YAML

    try:
        return methods.get(name).validate(params, cfg["train"]["num_generations"])
    except ValueError as err:
        raise ConfigError(f"config: {where}: {err}") from None


def _check_sweeps(cfg: dict) -> None:
    if not cfg["sweeps"]:
        return
    if cfg["validation"]["problems"] < 1:
        raise ConfigError("config: sweeps need a validation split to choose on: set validation.problems (e.g. 100)")
    for method, points in sweep_points(cfg).items():
        for point in points:
            hp = _check_method(cfg, f"sweeps.{method}", method, {**cfg["methods"].get(method, {}), **point})
            cfg.hyperparameters[point_run(method, point)] = hp
            if not re.fullmatch(r"[A-Za-z0-9_.=,+\-]+", point_path(point)):
                raise ConfigError(f"config: sweeps.{method}: values must be numbers, booleans or plain words ({point})")


def _check_batch(cfg: dict) -> None:
    """The per-device batch adds up over the processes the cluster section launches
    (settings.train.check_batch); a vLLM model fits the GPUs an evaluation job gets."""
    procs = cfg["cluster"]["train_gpus"] if cfg["device"] == "cuda" else 1
    try:
        check_batch(cfg.typed.train, procs)
    except ValueError as err:
        raise ConfigError(f"config: {err}") from None
    e = cfg["eval"]
    if e["backend"] == "vllm" and cfg["device"] == "cuda" and e["tensor_parallel_size"] > cfg["cluster"]["eval_gpus"]:
        raise ConfigError(
            f"config: eval.tensor_parallel_size: {e['tensor_parallel_size']} GPUs per model but an evaluation job "
            f"gets cluster.eval_gpus = {cfg['cluster']['eval_gpus']}"
        )


def _check_datasets(cfg: dict) -> None:
    """Names the schema cannot know: data formats, templates, test-set names, and pairings."""
    ds = cfg["datasets"]
    if not ds:
        if cfg["task"] != "countdown":
            raise ConfigError(f"config: task: the generated toy data are Countdown; task {cfg['task']!r} needs a datasets: block")
        return
    from divrl.data import formats, templates

    sources = [(f"datasets.train.{i}", s) for i, s in enumerate(ds["train"])]
    for where, src in sources:
        for key in TEST_ONLY_KEYS:
            if key in src:
                raise ConfigError(f"config: {where}.{key}: only test sets take {key!r} (it sets how a benchmark is evaluated)")
    sources += [(f"datasets.test.{name}", s) for name, s in ds["test"].items()]
    for where, src in sources:
        if src["format"] not in formats.names():
            raise ConfigError(f"config: {where}.format: unknown format {src['format']!r}; known: {', '.join(formats.names())}")
        if src["template"] not in templates.names():
            raise ConfigError(f"config: {where}.template: unknown template {src['template']!r}; known: {', '.join(templates.names())}")
    for name in ds["test"]:
        if name == "validation":
            raise ConfigError("config: datasets.test.validation: the name is reserved for the validation split")
        if not re.fullmatch(WILDCARDS["bench"], name):
            raise ConfigError(f"config: datasets.test.{name}: test-set names may hold letters, digits and _ only (they become folder names)")
    diff = ds["difficulty"]
    if diff["min_pass"] > diff["max_pass"]:
        raise ConfigError(f"config: datasets.difficulty.min_pass ({diff['min_pass']}) exceeds max_pass ({diff['max_pass']})")
    if (ds["chat_template"] or ds["filter"]["max_prompt_tokens"]) and not cfg["base"]["model"]:
        raise ConfigError("config: datasets.chat_template / filter.max_prompt_tokens need base.model (its tokenizer)")


def load(path: str | Path) -> dict:
    try:
        raw = read_yaml(path) or {}
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {path}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config: {path} is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config: {path} must hold a mapping at the top level")
    return load_config(raw)
