"""The decorator every settings class uses, and reading a section into one."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pydantic
from pydantic import ConfigDict, Field, TypeAdapter

# json_schema_extra marker: the key may be absent and has no default (schema.py drops
# the default and the null it implies; _fill_defaults must not add it)
OPTIONAL = "x-optional"


def settings(cls=None, **config):
    """A frozen pydantic dataclass that refuses unknown keys (a typo is an error, not a default)."""

    def wrap(c):
        return pydantic.dataclasses.dataclass(frozen=True, config=ConfigDict(extra="forbid", **config))(c)

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
    """`values` as an instance of the settings class `cls`; ValueError naming the key."""
    try:
        return TypeAdapter(cls).validate_python(values)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in (where, *first["loc"]))
        if first["type"] == "unexpected_keyword_argument":
            known = ", ".join(f.name for f in dataclasses.fields(cls))
            raise ValueError(f"{key}: unknown key (known: {known})") from None
        raise ValueError(f"{key}: {first['msg']} (got {first.get('input')!r})") from None


def narrow(spec, cls):
    """The part of `spec` that `cls` (another settings class or a dataclass) has keys for."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in dataclasses.asdict(spec).items() if k in names})


def names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
