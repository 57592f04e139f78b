import json

import numpy as np
import pandas as pd
import pytest

from divrl.report import figures, tables
from divrl.report.collect import label, load_runs


def fake_metrics(path, passk, scal=0.5):
    path.parent.mkdir(parents=True, exist_ok=True)
    ks = [1, 2, 4]
    path.write_text(json.dumps({
        "n": 4, "k": ks, "pass_at_k": passk, "mean_at_1": passk[0], "distinct_correct": scal,
        "distinct_canonical": scal, "embedding_cosine": scal, "format_rate": 1.0,
    }))
    return path


def test_labels_from_paths():
    assert label("results/eval/dra_grpo/seed3/metrics.json") == ("dra_grpo", 3)
    assert label("results/eval/base/metrics.json") == ("base", None)
    with pytest.raises(ValueError, match="cannot tell"):
        label("elsewhere/metrics.json")


def test_summary_mean_std_and_minus_base(tmp_path):
    paths = [
        fake_metrics(tmp_path / "eval/base/metrics.json", [0.2, 0.4, 0.8]),
        fake_metrics(tmp_path / "eval/grpo/seed0/metrics.json", [0.3, 0.4, 0.5], 1.0),
        fake_metrics(tmp_path / "eval/grpo/seed1/metrics.json", [0.5, 0.6, 0.7], 2.0),
    ]
    runs = load_runs(paths)
    table = tables.summary(runs)
    assert list(table.index) == ["base", "grpo"]
    assert table.loc["grpo", "pass@1 mean"] == pytest.approx(0.4)
    assert table.loc["grpo", "pass@1 std"] == pytest.approx(np.std([0.3, 0.5], ddof=1))
    assert table.loc["grpo", "distinct_correct mean"] == pytest.approx(1.5)
    assert table.loc["grpo", "seeds"] == 2
    mb = tables.minus_base(runs)
    got = mb[(mb.seed == 0) & (mb.k == 4)]["minus_base"].item()
    assert got == pytest.approx(0.5 - 0.8)

    tables.write(runs, tmp_path / "tables", [1, 4])
    md = (tmp_path / "tables/summary.md").read_text()
    assert "| grpo | 2 | 0.400 ± 0.141 |" in md
    figures.write(runs, tmp_path / "figures")
    for name in ("passk.png", "passk.pdf", "passk_minus_base.png"):
        assert (tmp_path / "figures" / name).stat().st_size > 1000


def test_colours_are_stable_across_figures():
    a = figures.colours(["base", "grpo", "ds"])
    b = figures.colours(["ds", "grpo", "base"])
    assert a == b and a["base"] == (0, 0, 0)
