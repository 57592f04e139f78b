"""Text inputs a user hands us (#23 probe 8): a Latin-1 byte is named by file, line and column,
and a problems file read by `evaluate` repeats no id. Before: "'utf-8' codec can't decode
byte 0xe9 in position 16", naming neither the file nor the line; repeated ids were caught only
at report_compare, after all training and evaluation."""

import json
import subprocess
import sys

import pytest

from divrl.system import textio
from divrl.data.problems import load_problems


def test_a_bad_byte_is_named_by_line_and_column(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"seeds: [0]\n# caf\xe9 au lait\n")
    with pytest.raises(ValueError, match=r"c\.yaml: line 2, column 6: not UTF-8 text \(byte 0xe9\)"):
        textio.read_text(path)
    path.write_bytes("seeds: [0]  # café\n".encode())
    assert textio.read_text(path).endswith("café\n")


def test_validate_names_the_config_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"seeds: [0]\nmethods: {grpo: {}}\n# \xff\n")
    res = subprocess.run([sys.executable, "-m", "divrl", "validate", str(path)], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"divrl validate: error: {path}: line 3, column 3: not UTF-8 text "
                                               "(byte 0xff); save the file as UTF-8"]


def _row(pid, prompt="Using 1 2 3 make 6"):
    return {"id": pid, "prompt": prompt, "task": "countdown", "numbers": [1, 2, 3], "target": 6}


def test_a_problems_file_in_latin1_is_named(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_bytes(json.dumps(_row("a")).encode() + b"\n" + json.dumps(_row("b", "caf\u00e9"), ensure_ascii=False).encode("latin-1") + b"\n")
    with pytest.raises(ValueError, match=r"test\.jsonl: line 2, column \d+: not UTF-8"):
        load_problems(path)


def test_repeated_ids_in_a_problems_file_are_refused_with_both_lines(tmp_path):
    path = tmp_path / "test.jsonl"
    rows = [_row("a"), _row(7), _row("b"), _row("7")]  # 7 and "7" key the same samples
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match=r"test\.jsonl: line 4: problem id '7' repeats line 2"):
        load_problems(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:3]))
    assert [p["id"] for p in load_problems(path)] == ["a", 7, "b"]


def test_a_toy_completion_limit_at_the_context_is_refused_at_validation(tmp_path):
    """#23 probe 5 (config side): the toy's 64-token context cannot hold a 64-token completion."""
    import yaml

    from divrl.config.load import load

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"seeds": [0], "methods": {"grpo": {}}, "eval": {"max_new_tokens": 64}}))
    with pytest.raises(ValueError, match=r"eval\.max_new_tokens = 64 leaves no room for a prompt .*base\.max_positions = 64"):
        load(path)
    path.write_text(yaml.safe_dump({"seeds": [0], "methods": {"grpo": {}}, "eval": {"max_new_tokens": 48}}))
    load(path)
