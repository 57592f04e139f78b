"""Load, fill and validate a workflow config; errors are one line naming the key.

Every key is defined once, in divrl.settings; the schema checked here
(workflow/schemas/config.schema.yaml, linked into the package) is generated from it
(`python -m divrl.settings.schema`) and gives every key a type, a description and a
default. Validation happens before any job runs: in the Snakefile (common.smk) and
again in each `divrl` command.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import yaml

from divrl.system.errors import ConfigError
from divrl.settings.checks import check_finite, check_runnable, read_yaml
from divrl.settings.model import parse
from divrl.settings.sections import TEST_ONLY_KEYS
from divrl.settings.train import Train, check_batch

SCHEMA_PATH = Path(__file__).parents[1] / "config.schema.yaml"


def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _resolve(sub: dict, root: dict) -> dict:
    ref = sub.get("$ref", "")
    return root["$defs"][ref.rsplit("/", 1)[-1]] if ref.startswith("#/$defs/") else sub


def _fill_defaults(node: dict, sch: dict, root: dict | None = None) -> dict:
    """Recursively add schema defaults for missing keys (objects, $defs and maps of objects)."""
    root = root or sch
    for key, sub in sch.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if isinstance(node.get(key), dict):
            _fill_defaults(node[key], sub, root)
        elif isinstance(node.get(key), list) and isinstance(sub.get("items"), dict):
            items = _resolve(sub["items"], root)
            for item in node[key]:
                if isinstance(item, dict):
                    _fill_defaults(item, items, root)
    values = sch.get("additionalProperties")
    if isinstance(values, dict):
        values = _resolve(values, root)
        for key in set(node) - set(sch.get("properties", {})):
            if isinstance(node[key], dict):
                _fill_defaults(node[key], values, root)
    return node


def _is_int(checker, instance) -> bool:
    """Only real ints: Draft 2020-12 counts 10.0 as an integer, and `steps: 10.0` then
    reached range() inside the job as a float (a TypeError minutes later)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int),
)


def _where(err: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in err.absolute_path) or "(top level)"


def validate(config: dict) -> dict:
    """Defaults filled in, schema and registry checked; raises ConfigError."""
    cfg = _fill_defaults(copy.deepcopy(dict(config)), schema())
    check_finite(cfg)  # first: NaN passes every bound (nan <= 0 is False), so the schema lets it through
    errors = sorted(_Validator(schema()).iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        if err.validator == "additionalProperties":
            raise ConfigError(f"config: {_where(err)}: {err.message} (every key: config/README.md)")
        if err.validator == "minLength" and list(err.absolute_path)[-1:] == ["source"] and len(err.absolute_path) > 1:
            # a data set without `source` (its default is '') and without `url`
            where = ".".join(str(p) for p in list(err.absolute_path)[:-1])
            raise ConfigError(f"config: {where}: give `source` (a hub id or local path) or `url` with `sha256`")
        raise ConfigError(f"config: {_where(err)}: {err.message}")
    for name, params in cfg["methods"].items():
        _check_method(cfg, f"methods.{name}", name, params)
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


def sweep_points(cfg: dict) -> dict[str, list[dict]]:
    """method -> its grid points (dicts of swept hyperparameters), in the config's order."""
    import itertools

    out = {}
    for method, grid in cfg["sweeps"].items():
        names = list(grid)
        out[method] = [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]
    return out


def point_path(point: dict) -> str:
    """A grid point as a readable folder name: gamma_p=0.05,gamma_n=0."""
    return ",".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in point.items())


def _check_method(cfg: dict, where: str, name: str, params: dict) -> None:
    """A method's name and hyperparameters, by the method itself (the one place they are
    checked, for `methods` and for every sweep point)."""
    from divrl import methods  # late: importing torch is not needed to read YAML

    try:
        methods.get(name).validate(params, cfg["train"]["num_generations"])
    except ValueError as err:
        raise ConfigError(f"config: {where}: {err}") from None


def _check_sweeps(cfg: dict) -> None:
    if not cfg["sweeps"]:
        return
    if cfg["validation"]["problems"] < 1:
        raise ConfigError("config: sweeps need a validation split to choose on: set validation.problems (e.g. 100)")
    for method, points in sweep_points(cfg).items():
        for point in points:
            _check_method(cfg, f"sweeps.{method}", method, {**cfg["methods"].get(method, {}), **point})
            if not re.fullmatch(r"[A-Za-z0-9_.=,+\-]+", point_path(point)):
                raise ConfigError(f"config: sweeps.{method}: values must be numbers, booleans or plain words ({point})")


def _check_batch(cfg: dict) -> None:
    """The per-device batch adds up over the processes the cluster section launches
    (settings.train.check_batch); a vLLM model fits the GPUs an evaluation job gets."""
    procs = cfg["cluster"]["train_gpus"] if cfg["device"] == "cuda" else 1
    try:
        check_batch(parse(Train, cfg["train"], "train"), procs)
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
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
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
    return validate(raw)
