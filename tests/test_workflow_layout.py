"""The results layout has one owner (divrl.workflow.layout): its patterns are the rules'
wildcards, its paths the same patterns filled in, and the identity it builds for a rule's
`--identity` is what the report reads back."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from divrl.workflow import layout

L = layout.Layout("res")
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(names, st.integers(0, 99), st.integers(0, 999), names, st.integers(0, 9))
def test_a_pattern_filled_in_is_the_path(method, b, seed, bench, shard):
    fill = dict(method=method, base_seed=b, seed=seed, bench=bench, shard=shard, shards=10)
    for pattern, path in [
        (L.eval_dir(), L.eval_dir(method, b, seed, bench)),
        (L.base_eval_dir(), L.base_eval_dir(b, bench)),
        (L.published_dir(), L.published_dir(method, bench)),
        (L.trained_model(), L.trained_model(method, b, seed)),
        (L.checkpoints_dir(), L.checkpoints_dir(method, b, seed)),
        (layout.samples(L.eval_dir()), layout.samples(L.eval_dir(method, b, seed, bench), shard, 10)),
        (L.log("evaluate", layout.run_name(), "{bench}"), L.log("evaluate", layout.run_name(method, b, seed), bench)),
    ]:
        assert pattern.format(**fill) == path
        # each wildcard matches what it is filled with (the rules' constraints)
        for name in re.findall(r"\{(\w+)\}", pattern):
            if name in layout.WILDCARDS:
                assert re.fullmatch(layout.WILDCARDS[name], str(fill[name])), (name, fill[name])


def test_the_layout_the_workflow_writes():
    point = L.eval_dir("ds/gamma_p=0.1", 1, 2, "math500")
    assert layout.metrics(point) == "res/eval/ds/gamma_p=0.1/base1/seed2/math500/metrics.json"
    assert layout.metrics(L.base_eval_dir(0, "countdown")) == "res/eval/base/base0/countdown/metrics.json"
    assert layout.metrics(L.published_dir("qwen", "aime24")) == "res/eval/qwen/seed0/aime24/metrics.json"
    assert layout.shard_files("e", 2) == ["e/samples/0-of-2.parquet", "e/samples/1-of-2.parquet"]
    assert L.problems("validation") == "res/data/validation.jsonl" and L.problems("a") == "res/data/test/a.jsonl"
    assert L.benchmark("report_tables_a") == "res/benchmarks/report_tables_a.tsv"
    # a sweep point's folder: its values as the config writes them
    cfg = {"sweeps": {"ds": {"gamma_p": [0.01, 0.1], "smooth": [True]}}}
    assert layout.sweep_runs(cfg) == {"ds": ["ds/gamma_p=0.01,smooth=true", "ds/gamma_p=0.1,smooth=true"]}
    assert re.fullmatch(layout.WILDCARDS["method"], "ds/gamma_p=0.01,smooth=true")
    assert not re.fullmatch(layout.WILDCARDS["method"], "ds/base0")  # a base segment is never a sweep point


@pytest.mark.parametrize("ident,who", [
    (layout.base_identity(3, "math500", "m"), ("base", "base", None, 3, "math500", {})),
    (layout.run_identity("ds/gamma_p=0.1", 1, 2, "aime24", {"gamma_p": 0.1}, "t/model"),
     ("ds", "ds/gamma_p=0.1", 2, 1, "aime24", {"gamma_p": 0.1})),
    (layout.published_identity("qwen", "amc23", "org/qwen"), ("qwen", "qwen", 0, None, "amc23", {})),
])
def test_what_the_rules_write_the_report_reads(ident, who):
    got = layout.from_dict(ident)
    assert (got.method, got.run, got.seed, got.base_seed, got.test_set, got.params) == who
