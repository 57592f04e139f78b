"""Typed method hyperparameters (methods/hyperparameters.py): every registered method's
class, its one-line errors, and the documentation generated from it."""

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from divrl import methods
from divrl.methods import hyperparameters as hps

ALL = [*methods.names(), "dra_dapo", "dra_ds", "dra_unlikeliness", "dra_pkpo"]


def fields(name):
    return methods.get(name).hyperparameters.model_fields


def one_line_error(fn, *args) -> str:
    with pytest.raises(ValueError) as err:
        fn(*args)
    msg = str(err.value)
    assert msg and "\n" not in msg, msg
    return msg


@pytest.mark.parametrize("name", ALL)
def test_defaults_round_trip_through_the_class(name):
    m = methods.get(name)
    assert issubclass(m.hyperparameters, BaseModel)
    assert m.params() == m.defaults == m.params(m.defaults)
    assert m.hyperparameters(**m.defaults).model_dump() == m.defaults
    for key, f in fields(name).items():
        assert f.description, f"{name}.{key} has no help text"


@pytest.mark.parametrize("name", ALL)
def test_unknown_key_is_one_line_naming_method_and_key(name):
    msg = one_line_error(methods.get(name).params, {"no_such_key": 1})
    assert f"method {name!r}" in msg and "no_such_key" in msg and "unknown hyperparameter" in msg


def _wrong_values(annotation):
    """Values of another type than `annotation` accepts (strict: no bool for numbers, no 9.0 for int)."""
    if annotation is bool:
        return [1, 0.0, "true"]
    if annotation is int:
        return [9.0, True, "4"]
    if annotation is float:
        return [True, "0.1", None]
    return [1, True, "not_a_choice"]  # a Literal of strings


@pytest.mark.parametrize("name", ALL)
def test_wrong_types_are_refused_in_one_line(name):
    m = methods.get(name)
    for key, f in fields(name).items():
        if hps.is_fixed(m.hyperparameters, key):
            continue
        for bad in _wrong_values(f.annotation):
            msg = one_line_error(m.params, {key: bad})
            assert f"{key}={bad!r}" in msg and repr(name) in msg, msg


@pytest.mark.parametrize("name", ALL)
def test_an_int_is_accepted_where_a_float_is_declared_and_kept_as_given(name):
    m, value = methods.get(name), 1  # inside every float's bounds
    for key, f in fields(name).items():
        if f.annotation is float and not hps.is_fixed(m.hyperparameters, key):
            assert m.params({key: value})[key] == value and type(m.params({key: value})[key]) is int


@settings(max_examples=50, deadline=None)
@given(k=st.floats(1.0, 8.0).filter(float.is_integer))
def test_a_whole_float_is_refused_for_an_int(k):
    assert "should be int" in one_line_error(methods.get("pkpo").params, {"k": k})


@pytest.mark.parametrize("name", ALL)
def test_fixed_hyperparameters_refuse_another_value_and_accept_their_own(name):
    m = methods.get(name)
    for key in fields(name):
        if hps.is_fixed(m.hyperparameters, key):
            default = m.defaults[key]
            assert m.params({key: default})[key] == default
            msg = one_line_error(m.params, {key: default + 0.5})
            assert f"{key} is fixed at {default!r}" in msg and repr(name) in msg


def test_the_ds_ablations_are_the_fixed_ones():
    fixed = {(n, k) for n in methods.names() for k in fields(n) if hps.is_fixed(methods.get(n).hyperparameters, k)}
    assert fixed == {("ds_pos", "gamma_n"), ("ds_neg", "gamma_p")}


def _limit(f, *attrs):
    """(value, exclusive) of the first constraint among attrs (e.g. "ge", "gt"), or (None, False)."""
    for c in f.metadata:
        for attr in attrs:
            if getattr(c, attr, None) is not None:
                return getattr(c, attr), attr in ("gt", "lt")
    return None, False


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(ALL), data=st.data())
def test_values_inside_the_bounds_pass_and_outside_fail(name, data):
    m = methods.get(name)
    for key, f in fields(name).items():
        if f.annotation is not float or hps.is_fixed(m.hyperparameters, key):
            continue
        (lo, lo_open), (hi, hi_open) = _limit(f, "ge", "gt"), _limit(f, "le", "lt")
        inside = data.draw(st.floats(-1e3 if lo is None else lo, 1e3 if hi is None else hi,
                                     exclude_min=lo_open, exclude_max=hi_open, allow_nan=False))
        assert m.params({key: inside})[key] == inside
        if lo is not None:
            below = data.draw(st.floats(lo - 1e3, lo, exclude_max=not lo_open))
            assert f"{key}={below!r} must be {'>' if lo_open else '≥'}" in one_line_error(m.params, {key: below})
        if hi is not None:
            above = data.draw(st.floats(hi, hi + 1e3, exclude_min=not hi_open))
            assert f"{key}={above!r} must be {'<' if hi_open else '≤'}" in one_line_error(m.params, {key: above})
        for bad in (float("nan"), float("inf")):
            assert "not a finite number" in one_line_error(m.params, {key: bad})


def test_dra_composes_the_backbones_class_and_its_own():
    dapo, dra = methods.get("dapo").hyperparameters, methods.get("dra_dapo").hyperparameters
    assert list(dra.model_fields) == [*dapo.model_fields, "adjust_uniform_groups"]
    assert issubclass(dra, dapo)
    assert methods.get("dra_ds").typed({"length_normalized": True}).logp_reduction() == "mean"


# He et al.'s released code ranks by the per-token mean of log π_old; the others' sources sum
MEAN_BY_DEFAULT = {"unlikeliness", "dra_unlikeliness"}


@pytest.mark.parametrize("name", ALL)
def test_logp_reduction_is_declared_by_the_method(name):
    m = methods.get(name)
    assert m.typed().logp_reduction() == ("mean" if name in MEAN_BY_DEFAULT else "sum")
    if "length_normalized" in fields(name):
        assert m.typed({"length_normalized": True}).logp_reduction() == "mean"
        assert m.typed({"length_normalized": False}).logp_reduction() == "sum"


def test_describe_lists_every_method_and_hyperparameter_with_type_default_and_help():
    text, md = methods.describe(), methods.describe_markdown()
    for name in methods.names():
        m = methods.get(name)
        assert f"{name}: {m.summary}" in text and f"### `{name}`" in md
        for key, f in fields(name).items():
            assert f"{key}: {hps.type_name(f.annotation)} = {f.default!r}" in text
            assert f.description in text and f"| `{key}` |" in md
    assert "gamma_n: float = 0.0 (fixed)" in text and "(≥ 0)" in text
    assert "'correct' | 'positive_advantage'" in text and "\\|" in md  # pipes escaped in table cells


def test_type_names_cover_literals():
    assert hps.type_name(typing.Literal["a", "b"]) == "'a' | 'b'" and hps.type_name(int) == "int"
