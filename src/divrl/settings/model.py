"""The decorator every settings class uses, and reading a section into one."""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from typing import Any

import pydantic
from pydantic import ConfigDict, Field, TypeAdapter

# json_schema_extra marker: the key may be absent and has no default (schema.py drops
# the default and the null it implies; _fill_defaults must not add it)
OPTIONAL = "x-optional"


# What every settings class refuses: unknown keys (a typo is an error, not a default), NaN
# and ±inf (they pass every bound: nan <= 0 is False), and, with `parse` reading values as
# JSON in strict mode, a bool, a string or 10.0 where an int is declared (10.0 reached
# range() as a float); an int is still a float (YAML writes `1` for 1.0).
STRICT = dict(extra="forbid", strict=True, allow_inf_nan=False)


# json_schema_extra markers, properties of a key read wherever they matter (schema.py drops them):
# NEUTRAL: the key changes how a job runs or logs, never what it computes (batch sizes, threads,
# checkpoint and log intervals, engine memory): fingerprints leave it out, so changing it after
# an out-of-memory kill keeps the checkpoints and saved samples. ARGUMENT: the key travels as its
# own command-line option (--threads), outside the section JSON a rule reruns on.
NEUTRAL = "x-neutral"
ARGUMENT = "x-argument"


def settings(cls=None, **config):
    """A frozen pydantic dataclass that validates strictly (STRICT)."""

    def wrap(c):
        return pydantic.dataclasses.dataclass(frozen=True, config=ConfigDict(**STRICT, **config))(c)

    return wrap(cls) if cls is not None else wrap


def default(value: Any, description: str, schema: dict | None = None, **kw):
    """A list or dict default (copied per instance), shown in the schema as given;
    `schema`: more JSON-schema keywords pydantic cannot express (e.g. propertyNames)."""
    return Field(default_factory=lambda: copy.deepcopy(value), description=description,
                 json_schema_extra={"default": value, **(schema or {})}, **kw)


def section(cls, description: str):
    """A nested section: every key of it has its own default, so the section's is {}."""
    return Field(default_factory=cls, description=description, json_schema_extra={"default": {}})


def optional(description: str | None = None, **kw):
    """A key that may be left out and then means "not set" (no default is filled in)."""
    return Field(None, description=description, json_schema_extra={OPTIONAL: True}, **kw)


def parse(cls, values: dict, where: str):
    """`values` as an instance of the settings class `cls`; ValueError naming the key.

    Validated as JSON: in strict mode pydantic takes a JSON object for a dataclass (a Python
    dict it would refuse) and a JSON array for a tuple, and values reach the jobs as JSON anyway.
    """
    try:
        return TypeAdapter(cls).validate_json(json.dumps(values, default=str))
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in (where, *first["loc"]) if p != "")
        if first["type"] == "unexpected_keyword_argument":
            known = ", ".join(f.name for f in dataclasses.fields(_class_at(cls, first["loc"][:-1])))
            raise ValueError(f"{key}: unknown key (known: {known})") from None
        raise ValueError(f"{key}: {first['msg']} (got {first.get('input')!r})") from None


def narrow(spec, cls):
    """The part of `spec` that `cls` (another settings class or a dataclass) has keys for."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in dataclasses.asdict(spec).items() if k in names})


def names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def is_optional(cls, name: str) -> bool:
    """The key may be left out and then means "not set" (`optional`)."""
    extra = cls.__pydantic_fields__[name].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(OPTIONAL))


def filled(spec, given):
    """The plain dict a validated settings instance stands for, as the jobs receive it: the
    values as `given` (an int stays an int where a float is declared, so a section's JSON,
    a job's rerun trigger and its fingerprint are what the config file says), every key not
    given at its default, optional keys not given left out."""
    if dataclasses.is_dataclass(spec) and isinstance(given, dict):
        out = {}
        for f in dataclasses.fields(spec):
            value = getattr(spec, f.name)
            if f.name in given:
                out[f.name] = filled(value, given[f.name])
            elif not (value is None and is_optional(type(spec), f.name)):
                out[f.name] = filled(value, None)
        return out
    if isinstance(spec, pydantic.BaseModel) and isinstance(given, dict):  # a per-test-set eval block
        return {k: given[k] for k in given}
    if isinstance(spec, dict):
        given = given if isinstance(given, dict) else {}
        return {k: filled(v, given.get(k)) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        given = given if isinstance(given, list) and len(given) == len(spec) else [None] * len(spec)
        return [filled(v, g) for v, g in zip(spec, given)]
    if given is not None:
        return given
    if dataclasses.is_dataclass(spec):
        return filled(spec, {})
    return spec


def neutral(default: Any, description: str, *, argument: bool = False, **kw):
    """A key that changes no result (NEUTRAL); `argument`: it is passed as its own option (ARGUMENT)."""
    extra = {NEUTRAL: True, ARGUMENT: argument, **kw.pop("json_schema_extra", {})}
    return Field(default, description=description, json_schema_extra=extra, **kw)


def _marked(cls, marker: str) -> frozenset[str]:
    fields = getattr(cls, "__pydantic_fields__", None) or cls.model_fields
    return frozenset(k for k, f in fields.items() if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get(marker))


def neutral_keys(cls) -> frozenset[str]:
    """The keys of a settings class that change no result (fingerprints leave them out)."""
    return _marked(cls, NEUTRAL)


def argument_keys(cls) -> frozenset[str]:
    """The keys a rule passes as their own option rather than in its section's JSON."""
    return _marked(cls, ARGUMENT)


def _unwrap(kind):
    """Optional[X] and Annotated[X, …] as X."""
    while typing.get_origin(kind) in (typing.Union, typing.Annotated) or type(kind).__name__ == "UnionType":
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    return kind


def _class_at(cls, loc) -> type:
    """The settings class that holds the key at `loc` (a pydantic error's path into `cls`)."""
    kind = cls
    for part in loc:
        kind = _unwrap(kind)
        if typing.get_origin(kind) in (list, tuple, dict):  # an index or a key: the element's type
            kind = typing.get_args(kind)[-1]
        elif dataclasses.is_dataclass(kind) and part in kind.__pydantic_fields__:
            kind = kind.__pydantic_fields__[part].annotation
        else:
            break
    kind = _unwrap(kind)
    return kind if dataclasses.is_dataclass(kind) else cls
