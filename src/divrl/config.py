"""Load, fill and validate a workflow config; errors are one line naming the key.

The schema (workflow/schemas/config.schema.yaml, linked into the package) gives
every key a type, a description and a default. Validation happens before any job
runs: in the Snakefile (common.smk) and again in each `divrl` command.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


class ConfigError(ValueError):
    """A config that cannot run; the message names the key."""


def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _fill_defaults(node: dict, sch: dict) -> dict:
    """Recursively add schema defaults for missing keys (objects only)."""
    for key, sub in sch.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if isinstance(node.get(key), dict) and sub.get("type") == "object":
            _fill_defaults(node[key], sub)
    return node


def _where(err: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in err.absolute_path) or "(top level)"


def validate(config: dict) -> dict:
    """Defaults filled in, schema and registry checked; raises ConfigError."""
    from divrl import methods  # late: importing torch is not needed to read YAML

    cfg = _fill_defaults(copy.deepcopy(dict(config)), schema())
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        if err.validator == "additionalProperties":
            raise ConfigError(f"config: {_where(err)}: {err.message} (see workflow/schemas/config.schema.yaml)")
        raise ConfigError(f"config: {_where(err)}: {err.message}")
    for name, params in cfg["methods"].items():
        try:
            methods.get(name).validate(params, cfg["train"]["num_generations"])
        except ValueError as err:
            raise ConfigError(f"config: methods.{name}: {err}") from None
    d = cfg["data"]
    if d["min_number"] > d["max_number"]:
        raise ConfigError(f"config: data.min_number ({d['min_number']}) exceeds data.max_number ({d['max_number']})")
    if d["min_target"] > d["max_target"]:
        raise ConfigError(f"config: data.min_target ({d['min_target']}) exceeds data.max_target ({d['max_target']})")
    return cfg


def load(path: str | Path) -> dict:
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {path}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config: {path} is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config: {path} must hold a mapping at the top level")
    return validate(raw)
