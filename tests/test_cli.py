import subprocess
import sys


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
    res = run("evaluate", "--params", "{}", "--model", str(tmp_path / "nope"), "--problems", "x", "--out-dir", str(tmp_path))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert "model" in res.stderr and "not found" in res.stderr and "Traceback" not in res.stderr


def test_unknown_method_is_one_line_error(tmp_path, tiny_base):
    res = run(
        "train", "--params", "{}", "--method", "nope", "--seed", "0", "--base", str(tiny_base),
        "--problems", str(tmp_path / "x.jsonl"), "--out-dir", str(tmp_path), "--checkpoints", str(tmp_path / "ck"),
    )
    assert res.returncode == 2
    assert "unknown method 'nope'" in res.stderr and "Traceback" not in res.stderr


def test_unknown_section_key_is_one_line_error_naming_it(tmp_path):
    # a rule's --params with a key its spec does not know: refused, not silently dropped
    params = '{"task": "countdown", "data": {"n_tset": 5}, "datasets": null, "base_model": null, "validation": 0}'
    res = run("data", "--params", params, "--out-dir", str(tmp_path))
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "data.n_tset: unknown key (known: num_numbers," in res.stderr and "Traceback" not in res.stderr


def test_data_by_hand_reads_the_rule_section(root, tmp_path):
    # --config builds the section the workflow passes (settings.sections), here the toy's data
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data: {max_number: 9, max_target: 30, n_test: 8}\nvalidation: {problems: 4}\n")
    res = run("data", "--config", str(cfg), "--out-dir", str(tmp_path / "data"))
    assert res.returncode == 0, res.stderr
    import json

    stats = json.loads((tmp_path / "data/stats.json").read_text())
    assert stats["spec"]["max_number"] == 9 and stats["multiplicity"]["test"]["n_problems"] == 8
    assert len((tmp_path / "data/validation.jsonl").read_text().splitlines()) == 4


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
