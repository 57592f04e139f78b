"""Issue #23 (point 8): k lists and problem ids are checked where they are made, not after training.

report.k_show is refused at config validation unless increasing, unique and within every
n_samples (eval's and each test set's own); a report on metrics with fewer samples says in one
line which k it leaves out. A data file whose rows repeat a problem id is refused by `divrl data`
(before, only report_compare refused it, after all training).
"""

import glob
import json
import logging
from pathlib import Path

import pytest

from divrl.config.load import load, load_config


from divrl.system.errors import ConfigError
ROOT = Path(__file__).resolve().parents[1]
TOY = {"methods": {"grpo": {}}}


def one_line(msg: str) -> str:
    assert msg.strip() and "\n" not in msg.strip() and "Traceback" not in msg, msg
    return msg.strip()


def _math_test_sets(**own_eval):
    src = {"source": "org/name", "format": "math"}
    return {"task": "math", "datasets": {"train": [src], "test": {"a": src, "b": {**src, "eval": own_eval}}}}


@pytest.mark.parametrize("bad,message", [
    ({"report": {"k_show": [4, 1, 4]}}, "config: report.k_show: [4, 1, 4] must be increasing without repeats"),
    ({"report": {"k_show": [1, 8, 8]}}, "config: report.k_show: [1, 8, 8] must be increasing without repeats"),
    ({"report": {"k_show": [8, 1]}}, "config: report.k_show: [8, 1] must be increasing without repeats"),
    ({"report": {"k_show": []}}, "config: report.k_show: empty; name at least one k (e.g. [1])"),
    ({"report": {"k_show": [0, 1]}}, "config: report.k_show.0: Input should be greater than or equal to 1 (got 0)"),
    ({"report": {"k_show": [1, 8, 256]}, "eval": {"n_samples": 128}},
     "config: report.k_show: k = 256 exceeds eval.n_samples = 128 (pass@k needs k ≤ n)"),
    ({"report": {"k_show": [1, 8, 32, 128]}, "eval": {"n_samples": 64}},  # the default k_show, a smaller N
     "config: report.k_show: k = 128 exceeds eval.n_samples = 64 (pass@k needs k ≤ n)"),
    ({"report": {"k_show": [1, 16]}, "eval": {"n_samples": 32}, **_math_test_sets(n_samples=8)},
     "config: report.k_show: k = 16 exceeds datasets.test.b.eval.n_samples = 8 (pass@k needs k ≤ n)"),
    # every N counts: test set a reads eval's 8 though b has its own 16
    ({"report": {"k_show": [1, 16]}, "eval": {"n_samples": 8}, **_math_test_sets(n_samples=16)},
     "config: report.k_show: k = 16 exceeds eval.n_samples = 8 (pass@k needs k ≤ n)"),
])
def test_bad_k_show_is_one_line(bad, message):
    with pytest.raises(ConfigError) as err:
        load_config({**TOY, **bad})
    assert one_line(str(err.value)) == message


@pytest.mark.parametrize("good", [
    {"report": {"k_show": [1]}, "eval": {"n_samples": 1}},
    {"report": {"k_show": [1, 4, 8]}, "eval": {"n_samples": 8}},
    {"report": {"k_show": [1, 8]}, "eval": {"n_samples": 32}, **_math_test_sets(n_samples=8)},
    {"report": {"k_show": [1, 8]}, "eval": {"n_samples": 8}, **_math_test_sets(temperature=0.9)},  # no own N
])
def test_good_k_show_passes(good):
    assert load_config({**TOY, **good})["report"]["k_show"] == good["report"]["k_show"]


@pytest.mark.parametrize("path", ["config/config.yaml", "config/all_methods.yaml", "config/paper/dra_grpo.yaml",
                                  "config/paper/ds_countdown.yaml", "config/paper/ds_math.yaml",
                                  "config/paper/r1_zero_div.yaml", *sorted(glob.glob("config/sweeps/*.yaml", root_dir=ROOT))])
def test_shipped_configs_pass_the_k_check(path):
    load(ROOT / path)


def _runs(tmp_path):
    """Two seeds of grpo and the base model, evaluated with N = 4 samples (pass@1, 2, 4)."""
    from divrl.report.collect import load_runs

    paths = []
    for method, seed in (("base", None), ("grpo", 0), ("grpo", 1)):
        path = tmp_path / f"{method}{seed}/countdown/metrics.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({
            "identity": {"params": {}, "model": "m", "test_set": "countdown", "run": method, "method": method, "seed": seed},
            "n": 4, "k": [1, 2, 4], "pass_at_k": [0.2, 0.4, 0.8], "potential_at_k": [0.2, 0.4, 0.8], "mean_at_1": 0.2,
            "distinct_correct": 1.0, "distinct_canonical": 1.0, "embedding_cosine": 0.5, "format_rate": 1.0,
            "div_equ": 0.5, "spearman_share_p_gt_005": 0.5,
            "per_problem": [{"id": f"p{i}", "c": c, "spearman_rho": 0.1, "spearman_p": 0.2} for i, c in enumerate((1, 2, 0, 4))],
        }))
        paths.append(str(path))
    return load_runs(paths)


def test_report_says_which_k_it_leaves_out(tmp_path):
    """A metrics.json evaluated with fewer samples than k_show: one line under the table, not a silent drop."""
    from divrl.report import tables

    runs = _runs(tmp_path)
    md = tables.markdown(tables.summary(runs, "grpo"), [1, 4, 8, 128], 4)
    assert "| pass@1 | pass@4 |" in md and "pass@8" not in md.split("\n\n")[0]
    notes = [line for line in md.splitlines() if line.startswith("Not shown")]
    assert notes == ["Not shown: report.k_show [8, 128]: N = 4 samples per problem (pass@k needs k ≤ N)"]
    assert "Not shown" not in tables.markdown(tables.summary(runs, "grpo"), [1, 4], 4)


def test_compare_names_the_k_it_leaves_out(caplog):
    from divrl.report import tables

    with caplog.at_level(logging.WARNING):
        assert tables.usable_ks([1, 8, 32, 128], 16) == [1, 8]
    assert [r.getMessage() for r in caplog.records] == [
        "report: compare: k_show [32, 128] left out: these metrics have N = 16 samples per problem (pass@k needs k ≤ N)"]
    caplog.clear()
    assert tables.usable_ks([1, 8], 16) == [1, 8] and not caplog.records


# ---------------------------------------------------------------- problem ids at the data step
ROW = {"question": "Simplify: $2+2$", "answer": "$4$", "data_source": "college_math.x"}


def _source(path: Path) -> dict:
    return {"source": str(path), "format": "college_math", "template": "qwen_math_boxed"}


def _write(path: Path, n: int, first: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({**ROW, "question": f"Simplify: ${i}+2$"}) + "\n" for i in range(first, first + n)))
    return path


def test_train_sources_that_repeat_ids_are_refused(tmp_path):
    """Two training files named alike (a/train.jsonl, b/train.jsonl) gave the same ids."""
    from divrl.data.prepare import DataPaths, prepare

    a, b = _write(tmp_path / "a/train.jsonl", 2), _write(tmp_path / "b/train.jsonl", 3, first=10)
    test = _write(tmp_path / "c/test.jsonl", 2)
    section = {"task": "math", "datasets": {"train": [_source(a), _source(b)], "test": {"t": _source(test)}}}
    paths = DataPaths(train=tmp_path / "out/train.jsonl", stats=tmp_path / "out/stats.json", tests={"t": tmp_path / "out/t.jsonl"})
    with pytest.raises(ValueError) as err:
        prepare(section, paths)
    assert one_line(str(err.value)) == (
        f"data: datasets.train -> {paths.train}: problem id 'train.jsonl-train-000000' repeats (rows 1 and 3); ids must be "
        "unique (two sources with the same file name, config and split give the same ids)")
    assert not paths.train.exists()  # refused before anything is written


def test_distinct_sources_still_prepare(tmp_path):
    from divrl.data.prepare import DataPaths, prepare
    from divrl.data.problems import load_problems

    a, b = _write(tmp_path / "a/one.jsonl", 2), _write(tmp_path / "b/two.jsonl", 3, first=10)
    test = _write(tmp_path / "c/test.jsonl", 2)
    section = {"task": "math", "datasets": {"train": [_source(a), _source(b)], "test": {"t": _source(test)}}}
    paths = DataPaths(train=tmp_path / "out/train.jsonl", stats=tmp_path / "out/stats.json", tests={"t": tmp_path / "out/t.jsonl"})
    prepare(section, paths)
    train, tests = load_problems(paths.train), load_problems(paths.tests["t"])
    assert len(train) == 5 and len({r["id"] for r in train}) == 5 and len({r["id"] for r in tests}) == 2


@pytest.mark.parametrize("where", ["datasets.test.t -> t.jsonl", "data (train) -> train.jsonl"])
def test_check_unique_ids_names_the_file_and_first_repeat(where):
    from divrl.data.prepare import check_unique_ids

    rows = [{"id": "p0"}, {"id": "p1"}, {"id": "p2"}, {"id": "p1"}, {"id": "p0"}]
    with pytest.raises(ValueError) as err:
        check_unique_ids(rows, where)
    assert one_line(str(err.value)).startswith(f"data: {where}: problem id 'p1' repeats (rows 2 and 4); ids must be unique")
    check_unique_ids(rows[:3], where)  # unique: nothing raised


def test_toy_data_verb_refuses_repeated_ids(tmp_path, monkeypatch):
    """The toy generator's ids are unique; were they not, `divrl data` stops before writing."""
    from divrl import cli
    from divrl.data import countdown_data

    real = countdown_data.generate

    def twice(spec):
        splits = real(spec)
        splits["test"] = splits["test"] + splits["test"][:1]
        return splits

    monkeypatch.setattr(countdown_data, "generate", twice)
    cfg = load_config({**TOY, "data": {"n_test": 4, "max_problems": 12}, "validation": {"problems": 0}})
    from divrl.settings import sections

    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    argv = ["data", "--params", json.dumps(sections.data_section(cfg)), "--train", str(train),
            "--stats", str(tmp_path / "stats.json"), "--test", f"countdown={test}"]
    args = cli.parser().parse_args(argv)
    with pytest.raises(ValueError) as err:
        cli.cmd_data(args)
    assert one_line(str(err.value)).startswith(f"data: data (test) -> {test}: problem id 'cd")
    assert str(err.value).endswith("repeats (rows 1 and 5); ids must be unique")
    assert not train.exists() and not test.exists()
