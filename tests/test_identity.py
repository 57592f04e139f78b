"""Which run a metrics file belongs to: its `identity` section, wherever the file lies."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from divrl.report import identity
from divrl.report.sweeps import grid_point

names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda s: s != "base")


@given(names, st.integers(0, 10**6), names, st.dictionaries(names, st.floats(0, 1) | st.integers(0, 9), max_size=3))
def test_identity_section_wins_over_the_path(method, seed, test_set, params):
    """A file moved elsewhere (or laid out as another run) still says what it is."""
    ident = {"method": method, "seed": seed, "test_set": test_set, "params": params, "model": "m"}
    got = identity.of("results/eval/other/base3/seed9/elsewhere/metrics.json", {"identity": ident})
    assert (got.method, got.seed, got.test_set, got.run, got.params) == (method, seed, test_set, method, params)
    assert got.base_seed is None  # a file written before base_seed: unknown, not the path's 3
    base = identity.of("anywhere.json", {"identity": {**ident, "method": "base", "seed": None}})
    assert (base.method, base.seed, base.test_set) == ("base", None, test_set)


@pytest.mark.parametrize("ident,word", [
    ({"method": "ds", "seed": 0}, "lacks 'test_set'"),
    ({"method": "ds", "seed": "0", "test_set": "a"}, "identity.seed has the wrong type"),
    ({"method": "ds", "seed": True, "test_set": "a"}, "identity.seed has the wrong type"),
    ({"method": "base", "seed": 0, "test_set": "a"}, "base model has no seed"),
    ({"method": "ds", "seed": None, "test_set": "a"}, "base model has no seed"),
    (["ds"], "must be an object"),
])
def test_bad_identity_names_the_file_and_key(ident, word):
    with pytest.raises(ValueError, match=word) as err:
        identity.of("x/metrics.json", {"identity": ident})
    assert "x/metrics.json" in str(err.value)


def test_no_identity_is_an_error_even_in_the_layout(tmp_path):
    """The path is never read: a file without its identity is named, with what to do."""
    path = tmp_path / "results/eval/grpo/base0/seed1/countdown/metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"n": 1}))
    with pytest.raises(ValueError, match="no 'identity'.*rerun its evaluate job") as err:
        identity.of(path)
    assert str(path) in str(err.value)


def test_a_grid_point_is_found_by_its_run_name_or_its_hyperparameters():
    sweeps = {"ds": ["ds/gamma_p=0.01,gamma_n=0", "ds/gamma_p=0.1,gamma_n=0"]}
    by_params = identity.Identity("ds", 0, "validation", "ds", {"gamma_p": 0.1, "gamma_n": 0, "other": True})
    assert grid_point(by_params, sweeps, "f") == "ds/gamma_p=0.1,gamma_n=0"
    by_run = identity.Identity("ds", 0, "validation", "ds/gamma_p=0.01,gamma_n=0")
    assert grid_point(by_run, sweeps, "f") == "ds/gamma_p=0.01,gamma_n=0"
    with pytest.raises(ValueError, match="matches 0 grid points"):
        grid_point(identity.Identity("ds", 0, "v", "ds", {"gamma_p": 0.5, "gamma_n": 0}), sweeps, "f")
