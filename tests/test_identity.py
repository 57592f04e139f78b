"""Which run a metrics file belongs to: its `identity` section, else (old folders) the layout."""

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


@given(names, st.integers(0, 999), names, st.sampled_from(["", "/home/eval/x/"]))
def test_layout_fallback_for_files_without_identity(method, seed, test_set, prefix):
    assert identity.of(f"{prefix}results/eval/{method}/seed{seed}/{test_set}/metrics.json", {}) == identity.Identity(
        method, seed, test_set, method)
    assert identity.from_layout(f"{prefix}r/eval/base/{test_set}/metrics.json") == identity.Identity(
        "base", None, test_set, "base")
    point = identity.from_layout(f"{prefix}r/eval/{method}/g={seed},h=0/seed{seed}/validation/metrics.json")
    assert (point.method, point.run, point.test_set) == (method, f"{method}/g={seed},h=0", "validation")


@given(names, st.integers(0, 999), st.integers(0, 999), names, st.sampled_from(["", "/home/eval/x/"]))
def test_layout_fallback_reads_the_base_model_segment(method, base_seed, seed, test_set, prefix):
    # eval/METHOD/baseB/seedS/SET and eval/base/baseB/SET (the base model as a factor)
    got = identity.from_layout(f"{prefix}r/eval/{method}/base{base_seed}/seed{seed}/{test_set}/metrics.json")
    assert got == identity.Identity(method, seed, test_set, method, base_seed=base_seed)
    point = identity.from_layout(f"{prefix}r/eval/{method}/g=1,h=0/base{base_seed}/seed{seed}/{test_set}/metrics.json")
    assert (point.run, point.base_seed, point.seed) == (f"{method}/g=1,h=0", base_seed, seed)
    base = identity.from_layout(f"{prefix}r/eval/base/base{base_seed}/{test_set}/metrics.json")
    assert base == identity.Identity("base", None, test_set, "base", base_seed=base_seed)
    assert identity.from_layout(f"r/train/{method}/base{base_seed}/seed{seed}/train_log.json").base_seed == base_seed
    # without the segment (files from before, published checkpoints): base unknown
    assert identity.from_layout(f"r/eval/{method}/seed{seed}/{test_set}/metrics.json").base_seed is None


def test_a_base_model_segment_is_never_a_sweep_point_or_a_test_set():
    assert identity.from_layout("r/eval/grpo/base0/seed1/x/metrics.json").run == "grpo"
    assert identity.from_layout("r/eval/base/base0/metrics.json") == identity.Identity("base", None, "base0", "base")


def test_old_layout_without_a_test_set_folder():
    assert identity.from_layout("results/eval/dra_grpo/seed3/metrics.json") == identity.Identity("dra_grpo", 3, "test", "dra_grpo")
    assert identity.from_layout("results/eval/base/metrics.json") == identity.Identity("base", None, "test", "base")
    assert identity.from_layout("r/train/ds/seed1/train_log.json").seed == 1


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


def test_no_identity_and_no_layout_is_an_error(tmp_path):
    path = tmp_path / "elsewhere/metrics.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"n": 1}))
    with pytest.raises(ValueError, match="cannot tell method and seed"):
        identity.of(path)


def test_a_grid_point_is_found_by_its_run_name_or_its_hyperparameters():
    sweeps = {"ds": ["ds/gamma_p=0.01,gamma_n=0", "ds/gamma_p=0.1,gamma_n=0"]}
    by_params = identity.Identity("ds", 0, "validation", "ds", {"gamma_p": 0.1, "gamma_n": 0, "other": True})
    assert grid_point(by_params, sweeps, "f") == "ds/gamma_p=0.1,gamma_n=0"
    by_run = identity.Identity("ds", 0, "validation", "ds/gamma_p=0.01,gamma_n=0")
    assert grid_point(by_run, sweeps, "f") == "ds/gamma_p=0.01,gamma_n=0"
    with pytest.raises(ValueError, match="matches 0 grid points"):
        grid_point(identity.Identity("ds", 0, "v", "ds", {"gamma_p": 0.5, "gamma_n": 0}), sweeps, "f")
