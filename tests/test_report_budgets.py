"""One sampling budget per test set (report/budgets.py): a metrics.json sampled with another N
(or temperature, …) than its neighbours or the config is refused in one line naming it."""

import json
import subprocess
import sys

import pytest

from divrl.report import budgets


def metrics_file(path, method="grpo", seed=0, test_set="countdown", n=16, **spec):
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = [1, 5, 0, 16 if n >= 16 else n]
    path.write_text(json.dumps({
        "identity": {"method": method, "seed": seed, "base_seed": 0, "test_set": test_set, "params": {}, "model": "m"},
        "n": n, "k": [1, 2], "pass_at_k": [0.2, 0.3], "spec": {"n_samples": n, "temperature": 1.0, "top_p": 1.0,
                                                               "top_k": 0, "greedy": True, "seed": 1234, **spec},
        "per_problem": [{"id": f"p{i}", "c": min(c, n)} for i, c in enumerate(counts)],
    }))
    return path


def test_mixed_sample_counts_in_one_test_set_are_refused_naming_the_files(tmp_path):
    a = metrics_file(tmp_path / "eval/base/base0/countdown/metrics.json", "base", None)
    b = metrics_file(tmp_path / "eval/grpo/base0/seed0/countdown/metrics.json", n=8)
    with pytest.raises(ValueError) as err:
        budgets.check([a, b])
    text = str(err.value)
    assert "\n" not in text and "mixes sampling budgets" in text
    assert "n_samples=16" in text and "n_samples=8" in text and str(a) in text and str(b) in text


def test_a_file_unlike_the_config_is_named_with_the_key_and_both_values(tmp_path):
    a = metrics_file(tmp_path / "a/metrics.json", temperature=0.6)
    b = metrics_file(tmp_path / "b/metrics.json", seed=1, temperature=0.6)
    with pytest.raises(ValueError, match=r"temperature=0\.6 where the config says temperature=1\.0") as err:
        budgets.check([a, b], {"countdown": {"n_samples": 16, "temperature": 1.0, "batch_size": 7}})
    assert str(a) in str(err.value) and str(b) in str(err.value)  # both named, though they agree with each other


def test_agreeing_files_pass_and_test_sets_may_differ(tmp_path):
    # per-test-set budgets (datasets.test.NAME.eval) are legitimate: only one set's files must agree
    files = [metrics_file(tmp_path / f"{s}/{m}/metrics.json", m, seed, s, n)
             for s, n in (("aime", 64), ("math500", 8)) for m, seed in (("base", None), ("grpo", 0), ("grpo", 1))]
    budgets.check(files)
    budgets.check(files, {"aime": {"n_samples": 64, "temperature": 1.0}, "math500": {"n_samples": 8}})
    with pytest.raises(ValueError, match="test set math500"):
        budgets.check(files, {"math500": {"n_samples": 16}})


def test_keys_that_change_no_number_are_ignored(tmp_path):
    a = metrics_file(tmp_path / "a/metrics.json", batch_size=8, shards=1, device="cpu")
    b = metrics_file(tmp_path / "b/metrics.json", seed=1, batch_size=1024, shards=4, device="cuda")
    budgets.check([a, b], {"countdown": {"n_samples": 16, "batch_size": 3, "shards": 2}})


def test_files_without_a_spec_compare_by_n(tmp_path):
    """Files written before the spec was recorded (and hand-made ones) still have n."""
    a = tmp_path / "a/metrics.json"
    metrics_file(a)
    m = json.loads(a.read_text())
    del m["spec"]
    a.write_text(json.dumps(m))
    b = metrics_file(tmp_path / "b/metrics.json", seed=1, n=32)
    with pytest.raises(ValueError, match="n_samples=16.*n_samples=32"):
        budgets.check([a, b])
    budgets.check([a])


def test_report_verb_refuses_in_one_line(tmp_path):
    a = metrics_file(tmp_path / "eval/base/base0/countdown/metrics.json", "base", None)
    b = metrics_file(tmp_path / "eval/grpo/base0/seed0/countdown/metrics.json")
    specs = json.dumps({"countdown": {"n_samples": 32}})
    res = subprocess.run([sys.executable, "-m", "divrl", "report-tables", "--metrics", str(a), str(b),
                          "--eval-specs", specs, "--summary-md", str(tmp_path / "s.md")],
                         capture_output=True, text=True)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "n_samples=16 where the config says n_samples=32" in lines[0], res.stderr
    assert not (tmp_path / "s.md").exists()
