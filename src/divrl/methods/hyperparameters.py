"""Typed method hyperparameters: one pydantic class per method, the single definition of
each hyperparameter's type, default, bounds and help (docs and checks derive from it).

    class DSParams(Hyperparameters):
        gamma_p: float = Field(0.05, ge=0, description="γ_p: …")

A method validates its overrides once per run (`Method.typed`) and every hook reads that
instance (`hp.gamma_p`); the instance also remembers the values as the config gave them
(`resolved()`), which a run's logs and fingerprint record.

Types are strict, as a config file's values should be: an int is accepted where a float
is declared (YAML writes `1` for 1.0), but never a bool, a string or `9.0` for an int
(it would reach range() or comb() as a float). `fixed(...)` marks a hyperparameter that
defines the method (an ablation such as ds_pos's γ_n = 0): it cannot be overridden.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model

_FIXED = "fixed"  # key in a field's json_schema_extra


class Hyperparameters(BaseModel):
    """Base class: no hyperparameters. Subclass it with one Field per hyperparameter."""

    # allow_inf_nan: a NaN γ would pass `ge` checks done by hand and poison every group
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
    # the values as given, defaults filled in (set by `validate`): pydantic turns an int given
    # for a float into a float, and a run's fingerprint must keep what its config wrote
    _given: Optional[dict] = PrivateAttr(default=None)

    def resolved(self) -> dict:
        """Every hyperparameter in declaration order, valued as the config gave it (an int
        stays an int where a float is declared); an instance built directly: its fields."""
        return dict(self._given) if self._given is not None else self.model_dump()

    def logp_reduction(self) -> Literal["sum", "mean"]:
        """How log π_old(y) is formed from token log-probs (for methods that read it)."""
        return "sum"


class LengthNormalized(Hyperparameters):
    """For methods that read log π_old(y): its sum over tokens or its per-token mean.

    A subclass declares `length_normalized: bool = length_normalized_field()` where it wants it
    in its field order (the order of a run's resolved hyperparameters in its logs).
    """

    def logp_reduction(self) -> Literal["sum", "mean"]:
        return "mean" if self.length_normalized else "sum"


def length_normalized_field(default: bool = False) -> Any:
    """The shared field; `default` is the method's source's choice (DS: sum, He et al.'s code: mean)."""
    return Field(default, description="log π_old(y) is the per-token mean instead of the sum of token log-probs")


def fixed(default: Any, description: str, **bounds: Any) -> Any:
    """A Field that defines the method: overriding it with another value is refused."""
    return Field(default, description=description, json_schema_extra={_FIXED: True}, **bounds)


def is_fixed(cls: type[Hyperparameters], key: str) -> bool:
    extra = cls.model_fields[key].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(_FIXED))


def defaults(cls: type[Hyperparameters]) -> dict:
    """Every hyperparameter's default, in declaration order."""
    return {key: f.default for key, f in cls.model_fields.items()}


def compose(name: str, base: type[Hyperparameters], extra: type[Hyperparameters]) -> type[Hyperparameters]:
    """The backbone's class (fields, then its methods such as logp_reduction) plus `extra`'s fields."""
    clash = sorted(set(base.model_fields) & set(extra.model_fields))
    if clash:
        raise ValueError(f"{name}: hyperparameter(s) {clash} defined twice")
    fields = {key: (f.annotation, f) for key, f in extra.model_fields.items()}
    return create_model(name, __base__=base, **fields)


def validate(cls: type[Hyperparameters], method: str, overrides: dict) -> Hyperparameters:
    """Defaults updated by `overrides`, validated by `cls` into its instance; errors are one-line ValueErrors.

    The instance's `resolved()` returns the values as given (an int stays an int where a
    float is declared), so a run's resolved hyperparameters, its fingerprint and its JSON
    are what the config says.
    """
    unknown = sorted(set(overrides) - set(cls.model_fields))
    if unknown:
        known = ", ".join(sorted(cls.model_fields)) or "none"
        raise ValueError(f"method {method!r}: unknown hyperparameter(s) {unknown}; known: {known}")
    full = defaults(cls)
    for key, value in overrides.items():
        if is_fixed(cls, key) and value != full[key]:
            raise ValueError(f"method {method!r}: {key} is fixed at {full[key]!r} (it defines the method)")
    try:
        hp = cls.model_validate(overrides)
    except ValidationError as err:
        raise ValueError(_one_line(cls, method, err.errors()[0], overrides)) from None
    hp._given = {**full, **overrides}
    return hp


def _one_line(cls: type[Hyperparameters], method: str, error: dict, overrides: dict) -> str:
    key = error["loc"][0]
    value, field = overrides[key], cls.model_fields[key]
    kind = error["type"]
    if kind == "literal_error":
        return f"method {method!r}: {key}={value!r} is not one of {list(get_args(field.annotation))}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        # starts with key=value: the config layer prefixes "methods.<name>: " (tests/test_bad_inputs.py)
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        limit = next(iter(error["ctx"].values()))
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit  # "≥ 0", not "≥ 0.0"
        return f"{key}={value!r} must be {sign} {limit} (method {method!r})"
    if kind == "finite_number":
        return f"method {method!r}: {key}={value!r} is not a finite number"
    return f"method {method!r}: {key}={value!r} should be {type_name(field.annotation)} like its default {field.default!r}"


def type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " | ".join(repr(a) for a in get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))


def bounds(field: Any) -> str:
    """'≥ 0', '1 ≤ · ≤ 4', or '' from a field's ge/gt/le/lt constraints."""
    lo = hi = ""
    for c in field.metadata:
        for attr, sign, low in (("ge", "≥", True), ("gt", ">", True), ("le", "≤", False), ("lt", "<", False)):
            v = getattr(c, attr, None)
            if v is not None and not (isinstance(v, float) and math.isinf(v)):
                if low:
                    lo = f"{sign} {v}"
                else:
                    hi = f"{sign} {v}"
    return " and ".join(part for part in (lo, hi) if part)
