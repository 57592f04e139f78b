"""A metrics.json says whose it is: `divrl evaluate --identity` writes it, the report reads it."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from divrl.cli import main
from divrl.eval.evaluate import identity_section
from divrl.report import identity
from divrl.report.collect import load_runs
from divrl.data.problems import write_jsonl

SECTION = {"n_samples": 4, "diversity_samples": 4, "div_equ_samples": 4, "batch_size": 64, "max_new_tokens": 8,
           "greedy": False}
names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda s: s != "base")
values = st.floats(0, 1, allow_nan=False) | st.integers(0, 9) | st.booleans()


@given(names, st.integers(0, 10**6), names, st.dictionaries(names, values, max_size=3), st.booleans(),
       st.none() | st.integers(0, 10**6))
def test_what_the_writer_accepts_the_report_reads_back(method, seed, test_set, params, point, base_seed):
    """Writer and reader agree on every key: method, run (a sweep point's folder name), seed, base seed, set, params."""
    run = f"{method}/{'p=1' if point else ''}".rstrip("/")
    written = identity_section({"method": method, "run": run, "seed": seed, "base_seed": base_seed,
                                "test_set": test_set, "params": params}, "some/model")
    assert written["model"] == "some/model" and written["base_seed"] == base_seed
    who = identity.of("not/a/layout.json", {"identity": json.loads(json.dumps(written))})
    assert (who.method, who.run, who.seed, who.base_seed, who.test_set, who.params) == (
        method, run, seed, base_seed, test_set, params)
    base = identity_section({"method": "base", "seed": None, "base_seed": base_seed, "test_set": test_set}, "m")
    assert base["params"] == {} and base["run"] == "base" and identity.from_dict(base).seed is None
    assert identity.from_dict(base).base_seed == base_seed
    # a file written before base_seed existed: unknown base (None), and the writer always writes the key
    assert identity.from_dict({"method": method, "seed": seed, "test_set": test_set}).base_seed is None
    assert identity_section({"method": method, "seed": seed, "test_set": test_set}, "m")["base_seed"] is None


@pytest.mark.parametrize("ident,word", [
    ({"method": "base", "seed": 0, "test_set": "a"}, "base model has no seed"),
    ({"method": "ds", "seed": 0}, "lacks 'test_set'"),
    ({"method": "ds", "seed": 0, "test_set": "a", "params": [1]}, "params must be a dict"),
    ({"method": "ds", "seed": 0, "test_set": "a", "run": 3}, "run must be a str"),
    ({"method": "ds", "seed": 0, "test_set": "a", "base_seed": "0"}, "base_seed must be a non-negative integer or null"),
    ({"method": "ds", "seed": 0, "test_set": "a", "base_seed": True}, "base_seed must be"),
    ("{'method': 'ds'}", "--identity is not JSON"),
])
def test_a_bad_identity_fails_before_any_sampling(tmp_path, ident, word):
    problems = tmp_path / "p.jsonl"
    problems.write_text("")
    argv = ["evaluate", "--params", json.dumps(SECTION), "--model", str(tmp_path / "no_model"), "--problems", str(problems),
            "--samples-out", str(tmp_path / "s.parquet"), "--metrics-out", str(tmp_path / "m.json"), "--identity", ident if isinstance(ident, str) else json.dumps(ident)]
    with pytest.raises(ValueError, match=word):
        main(["--debug", *argv])  # checked before the model is even looked for
    assert not (tmp_path / "s.parquet").exists()


def test_shard_jobs_take_no_metrics_or_identity(tmp_path):
    argv = ["evaluate", "--params", "{}", "--model", "m", "--problems", "p", "--samples-out", str(tmp_path / "s"),
            "--shards", "2", "--shard", "0"]
    assert main([*argv, "--identity", "{}"]) == 2
    assert main([*argv[:-4]]) == 2  # one job needs --metrics-out


def test_evaluate_writes_the_identity_and_the_report_uses_it(tiny_base, tiny_problems, tmp_path):
    """Files outside the workflow's layout: only the identity can tell the runs apart."""
    problems = tmp_path / "test.jsonl"
    write_jsonl(tiny_problems["test"][:3], problems)
    runs = {"base": None, "ds/gamma_p=0.1": 2}
    paths = []
    for run, seed in runs.items():
        ident = {"method": run.split("/")[0], "run": run, "seed": seed, "test_set": "countdown",
                 "params": {} if seed is None else {"gamma_p": 0.1, "gamma_n": 0.05}}
        out = tmp_path / f"anywhere_{len(paths)}"
        argv = ["evaluate", "--params", json.dumps(SECTION), "--model", str(tiny_base), "--problems", str(problems),
                "--samples-out", str(out / "s.parquet"), "--metrics-out", str(out / "m.json"), "--identity", json.dumps(ident)]
        assert main(argv) == 0
        saved = json.loads((out / "m.json").read_text())
        assert saved["identity"] == {**ident, "base_seed": None, "model": str(tiny_base)}
        assert sorted(p.name for p in out.iterdir()) == ["m.json", "s.parquet"]  # the named files, parts cleaned up
        paths.append(out / "m.json")
    who = identity.of(paths[1])
    assert (who.method, who.run, who.seed, who.test_set, who.params) == (
        "ds", "ds/gamma_p=0.1", 2, "countdown", {"gamma_p": 0.1, "gamma_n": 0.05})
    table = load_runs(paths)
    assert set(zip(table.method, table.seed.fillna(-1))) == {("base", -1), ("ds/gamma_p=0.1", 2)}
