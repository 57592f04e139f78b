"""The difficulty filter: keep training problems by base-model pass rate, every drop counted."""

import json

import pytest

from divrl.eval.evaluate import EvalSpec
from divrl.data.difficulty import DifficultySpec, filter_by_difficulty, pass_rates
from divrl.data.problems import load_problems

SAMPLING = EvalSpec(n_samples=4, batch_size=64, max_new_tokens=8)


def test_rates_split_the_problems_and_counts_add_up(tiny_base, tiny_problems, tmp_path):
    problems = tiny_problems["test"]
    rates = pass_rates(str(tiny_base), problems, 4, SAMPLING)
    assert len(rates) == len(problems) and all(r in (0, 0.25, 0.5, 0.75, 1) for r in rates)
    cut = max(rates)  # keep the hardest ones: at least one problem survives
    stats = filter_by_difficulty(str(tiny_base), problems, DifficultySpec(4, 0.0, cut), SAMPLING, tmp_path / "train.jsonl",
                                 tmp_path / "difficulty.json")
    kept = load_problems(tmp_path / "train.jsonl")
    assert stats["input"] == stats["kept"] + stats["dropped_too_hard"] + stats["dropped_too_easy"] == len(problems)
    assert stats["kept"] == len(kept) == sum(r <= cut for r in rates)  # same seed -> same rates
    assert json.loads((tmp_path / "difficulty.json").read_text())["kept"] == len(kept)
    assert sum(stats["pass_rate_histogram"].values()) == len(problems)


def test_bad_ranges_are_one_line_errors(tiny_base, tiny_problems, tmp_path):
    with pytest.raises(ValueError, match="min_pass 0.9 exceeds max_pass 0.1"):
        filter_by_difficulty(str(tiny_base), tiny_problems["test"], DifficultySpec(4, 0.9, 0.1), SAMPLING, tmp_path / "t.jsonl", tmp_path / "d.json")
    with pytest.raises(ValueError, match=r"no problem has a base pass rate in \[1.0, 1.0\]"):
        filter_by_difficulty(str(tiny_base), tiny_problems["test"], DifficultySpec(4, 1.0, 1.0), SAMPLING, tmp_path / "t.jsonl", tmp_path / "d.json")


def test_the_rule_section_reaches_both_specs(tiny_base, tiny_problems, tmp_path):
    # the difficulty rule sends the eval keys and datasets.difficulty's in one --params section
    from divrl.cli import main
    from divrl.data.problems import write_jsonl

    write_jsonl(tiny_problems["test"], tmp_path / "pool.jsonl")
    section = {"n_samples": 4, "batch_size": 64, "max_new_tokens": 8, "device": "cpu", "dtype": "float32",
               "samples": 4, "min_pass": 0.0, "max_pass": 1.0}
    args = ["difficulty", "--model", str(tiny_base), "--problems", str(tmp_path / "pool.jsonl"), "--out", str(tmp_path / "t.jsonl"),
            "--stats", str(tmp_path / "difficulty.json")]
    assert main([*args[:1], "--params", json.dumps(section), *args[1:]]) == 0
    assert json.loads((tmp_path / "difficulty.json").read_text())["samples"] == 4
    assert main([*args[:1], "--params", json.dumps({**section, "sampels": 4}), *args[1:]]) == 2  # a typo is refused
