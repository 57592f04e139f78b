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
