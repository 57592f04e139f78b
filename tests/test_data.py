import json
import logging

import pytest

from divrl.tasks.countdown import canonical, reward

from divrl.tasks.scores import CORRECT
from divrl.data.countdown_data import multiplicity_stats
from divrl.data.problems import load_problems, write_jsonl


def test_every_stored_solution_is_correct_and_complete(tiny_problems):
    from divrl.tasks.countdown_solver import solutions

    for p in tiny_problems["train"][:200] + tiny_problems["test"]:
        assert p["solutions"] == solutions(p["numbers"], p["target"])
        assert all(reward(s, p["numbers"], p["target"], "bare") == CORRECT for s in p["solutions"])
        assert p["n_canonical"] == len({canonical(s) for s in p["solutions"]})


def test_split_is_by_problem(tiny_problems):
    key = lambda p: (tuple(sorted(p["numbers"])), p["target"])  # noqa: E731
    train = {key(p) for p in tiny_problems["train"]}
    assert not any(key(p) in train for p in tiny_problems["test"])
    assert len(tiny_problems["test"]) == 8


def test_prompts_share_one_width(tiny_problems):
    widths = {len(p["prompt"]) for p in tiny_problems["train"] + tiny_problems["test"]}
    assert len(widths) == 1


def test_multiple_solutions_are_common(tiny_problems):
    stats = multiplicity_stats(tiny_problems["train"])
    assert stats["strings_mean"] > 2


def test_malformed_rows_are_counted_and_logged(tmp_path, caplog, tiny_problems):
    path = tmp_path / "p.jsonl"
    good = tiny_problems["test"][:3]
    write_jsonl(good, path)
    with open(path, "a") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"id": "x", "prompt": "p", "numbers": [1, "2"], "target": 3}) + "\n")
        fh.write(json.dumps({"id": "y", "numbers": [1, 2], "target": 3}) + "\n")
    with caplog.at_level(logging.WARNING):
        rows = load_problems(path)
    assert [r["id"] for r in rows] == [g["id"] for g in good]
    assert "skipped 3 malformed row(s) of 6" in caplog.text
    assert "line 4: invalid JSON" in caplog.text and "missing 'prompt'" in caplog.text


def test_file_without_usable_rows_fails(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("[]\n")
    with pytest.raises(ValueError, match="no usable problem rows"):
        load_problems(path)


@pytest.mark.parametrize("bad,where", [
    ({"filter": {"max_rowz": 3}}, "datasets.filter.max_rowz: unknown key"),
    ({"chat_templat": True}, "datasets.chat_templat: unknown key"),
])
def test_a_hand_written_data_section_with_a_typo_is_refused(tmp_path, bad, where):
    # `divrl data --params` reads datasets through the settings classes: a typo is an error, never dropped
    from divrl.data.prepare import DataPaths, prepare

    source = {"source": str(tmp_path / "none.jsonl"), "format": "countdown_tasks"}
    section = {"task": "countdown", "datasets": {"train": [source], "test": {"t": source}, **bad}}
    paths = DataPaths(train=tmp_path / "train.jsonl", stats=tmp_path / "stats.json", tests={"t": tmp_path / "t.jsonl"})
    with pytest.raises(ValueError, match=where):
        prepare(section, paths)
