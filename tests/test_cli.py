import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "divrl.cli", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_every_rule_verb():
    res = run("--help")
    assert res.returncode == 0
    for verb in ("data", "base", "train", "evaluate", "report", "methods"):
        assert verb in res.stdout


def test_methods_lists_registry():
    from divrl import methods

    res = run("methods")
    assert res.returncode == 0
    for name in methods.names():
        assert name in res.stdout


def test_missing_model_is_one_line_error(tmp_path):
    res = run("evaluate", "--params", "{}", "--model", str(tmp_path / "nope"), "--problems", "x",
              "--samples-out", str(tmp_path / "s.parquet"), "--metrics-out", str(tmp_path / "m.json"))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert "model" in res.stderr and "not found" in res.stderr and "Traceback" not in res.stderr


def test_unknown_method_is_one_line_error(tmp_path, tiny_base):
    res = run(
        "train", "--params", "{}", "--method", "nope", "--seed", "0", "--base", str(tiny_base),
        "--problems", str(tmp_path / "x.jsonl"), "--model-out", str(tmp_path / "model"),
        "--log-out", str(tmp_path / "train_log.json"), "--checkpoints", str(tmp_path / "ck"),
    )
    assert res.returncode == 2
    assert "unknown method 'nope'" in res.stderr and "Traceback" not in res.stderr


def test_unknown_section_key_is_one_line_error_naming_it(tmp_path):
    # a rule's --params with a key its spec does not know: refused, not silently dropped
    params = '{"task": "countdown", "data": {"n_tset": 5}, "datasets": null, "base_model": null, "validation": 0}'
    res = run("data", "--params", params, "--train", str(tmp_path / "t.jsonl"), "--test", f"countdown={tmp_path / 'c.jsonl'}",
              "--stats", str(tmp_path / "s.json"))
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "data.n_tset: unknown key (known: num_numbers," in res.stderr and "Traceback" not in res.stderr


def test_data_by_hand_reads_the_rule_section(root, tmp_path):
    # --config builds the section the workflow passes (settings.sections), here the toy's data
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data: {max_number: 9, max_target: 30, n_test: 8}\nvalidation: {problems: 4}\n")
    out = tmp_path / "data"
    files = ["--train", str(out / "tr.jsonl"), "--test", f"countdown={out / 'te.jsonl'}", "--stats", str(out / "st.json")]
    res = run("data", "--config", str(cfg), *files, "--validation", str(out / "va.jsonl"))
    assert res.returncode == 0, res.stderr
    import json

    stats = json.loads((out / "st.json").read_text())
    assert stats["spec"]["max_number"] == 9 and stats["multiplicity"]["test"]["n_problems"] == 8
    assert len((out / "va.jsonl").read_text().splitlines()) == 4
    assert len((out / "te.jsonl").read_text().splitlines()) == 8
    # exactly the files named, nothing decided by the verb
    assert sorted(p.name for p in out.iterdir()) == ["st.json", "te.jsonl", "tr.jsonl", "va.jsonl"]


@pytest.mark.parametrize("change,word", [
    (["--test", "math500=x.jsonl"], "missing: countdown, unknown: math500"),
    (["--test", "countdown=a.jsonl", "countdown=b.jsonl"], "names a test set twice"),
    (["--test", "countdown"], "is not NAME=FILE"),
    (["--validation", None], "give --validation FILE"),
])
def test_data_refuses_paths_that_do_not_match_the_section(tmp_path, change, word):
    """The test sets named must be the configured ones; a held-out split needs its file."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data: {max_number: 9, max_target: 30, n_test: 8}\nvalidation: {problems: 4}\n")
    args = {"--train": str(tmp_path / "t.jsonl"), "--test": [f"countdown={tmp_path / 'c.jsonl'}"],
            "--stats": str(tmp_path / "s.json"), "--validation": str(tmp_path / "v.jsonl")}
    flag, *value = change
    args[flag] = value if flag == "--test" else value[0]
    argv = [w for k, v in args.items() if v is not None for w in [k, *(v if isinstance(v, list) else [v])]]
    res = run("data", "--config", str(cfg), *argv)
    assert res.returncode == 2 and word in res.stderr, res.stderr
    assert not (tmp_path / "t.jsonl").exists()


def test_validate(root):
    res = run("validate", str(root / "config/config.yaml"))
    assert res.returncode == 0 and "ok" in res.stdout


def test_readme_table_is_inserted_between_markers(tmp_path):
    from divrl.cli import main

    (tmp_path / "results/tables").mkdir(parents=True)
    (tmp_path / "results/figures").mkdir(parents=True)
    (tmp_path / "results/tables/summary.md").write_text("| a |\n|---|\n| 1 |\n")
    (tmp_path / "results/figures/passk.png").write_bytes(b"png")
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:start -->\nold\n<!-- results:end -->\nrest\n")
    args = ["readme", "--table", str(tmp_path / "results/tables/summary.md"), "--readme", str(readme), "--figures", "passk"]
    assert main(args) == 0
    assert readme.read_text() == "intro\n<!-- results:start -->\n| a |\n|---|\n| 1 |\n<!-- results:end -->\nrest\n"
    assert (tmp_path / "docs/results_passk.png").read_bytes() == b"png"
    readme.write_text("no markers")
    assert main(args) == 2
