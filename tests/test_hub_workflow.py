"""The workflow on real data-set loaders: hub-layout fixture folders and a local model folder.

No network: `datasets` reads tests/data/hub/… exactly as it would read a pre-staged hub
repository, and `base.model` points at a save_pretrained folder (the layout
`from_pretrained` reads from the hub cache).
"""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from divrl.data.prepare import DataPaths, prepare
from divrl.data.problems import load_problems

CD = "tests/data/hub/Jiayi-Pan/Countdown-Tasks-3to4"


def countdown_source(**extra):
    return {"source": CD, "split": "train", "format": "countdown_tasks", "template": "tinyzero_countdown", **extra}


def test_prepare_math_from_two_training_sets_counts_every_row(root, tmp_path):
    from divrl.config.load import load_config

    cfg = load_config({
        "task": "math",
        "methods": {"grpo": {}},
        "datasets": {
            "train": [
                {"source": str(root / "tests/data/hub/knoveleng/open-rs"), "format": "math"},
                {"source": str(root / "tests/data/hub/hiyouga/math12k"), "format": "math"},
            ],
            "test": {"math500": {"source": str(root / "tests/data/hub/HuggingFaceH4/MATH-500"), "split": "test", "format": "math"}},
        },
    })
    section = {"task": "math", "data": cfg["data"], "datasets": cfg["datasets"], "base_model": None}
    paths = DataPaths(tmp_path / "train.jsonl", tmp_path / "stats.json", {"math500": tmp_path / "test/math500.jsonl"})
    stats = prepare(section, paths)
    train = load_problems(tmp_path / "train.jsonl")
    test = load_problems(tmp_path / "test/math500.jsonl")
    assert all(r["task"] == "math" and r["answer"] and "\\boxed{}" in r["prompt"] for r in train + test)
    assert len({r["id"] for r in train}) == len(train)
    for split, counts in [*stats["filter"]["train"].items(), ("math500", stats["filter"]["math500"])]:
        dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
        assert counts["input"] == counts["kept"] + dropped, split
    assert len(train) == stats["filter"]["train"]["combined"]["kept"]


@pytest.mark.slow
def test_workflow_on_hub_layout_data_and_a_local_base_model(root, tmp_path, tiny_base):
    cfg = {
        "results": str(tmp_path / "results"),
        "seeds": [0],
        "task": "countdown_tinyzero",  # the hub layout is TinyZero's data: its answer format
        "methods": {"grpo": {}, "ds": {}},
        "validation": {"problems": 0},  # the fixture has a handful of rows: hold none out
        "base": {"model": str(tiny_base)},
        "datasets": {
            "train": [countdown_source()],
            "test": {"first": countdown_source(max_rows=2), "all": countdown_source()},
        },
        "train": {"steps": 2, "prompts_per_step": 2, "num_generations": 4, "save_steps": 1, "logging_steps": 1},
        "eval": {"n_samples": 8, "batch_size": 64, "diversity_samples": 4},
        "report": {"k_show": [1, 8]},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # test sets keep their order in the tables
    res = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(path)],
                         cwd=root, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "results"
    stats = json.loads((out / "data/stats.json").read_text())["filter"]
    assert stats["train"][f"{CD}:train"]["dropped_malformed"] == 2  # the fixture's two broken rows, counted
    assert "malformed" in (out / "logs/data.log").read_text()
    assert not (out / "base").exists()  # a named base model is used as it is
    for bench in ("first", "all"):
        assert (out / f"eval/ds/base0/seed0/{bench}/metrics.json").exists()  # a named base: base seed 0
        assert (out / f"eval/base/base0/{bench}/metrics.json").exists()
        assert (out / f"tables/{bench}/summary.md").exists() and (out / f"tables/{bench}/compare.md").exists()
    table = pd.read_csv(out / "tables/benchmarks.csv", index_col=0)
    assert list(table.columns) == ["first", "all", "avg"] and set(table.index) == {"base", "grpo", "ds"}
