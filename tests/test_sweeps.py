"""Sweeps: grid points as their own runs, chosen on the validation split."""

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from divrl.config.load import load_config
from divrl.workflow.layout import point_path, sweep_points



from divrl.system.errors import ConfigError
def snakemake(root, *args):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=root, capture_output=True, text=True, timeout=900)


def plan(stdout: str) -> dict:
    from test_workflow import job_counts

    return job_counts(stdout)


def test_grid_points_expand_in_config_order_with_readable_paths():
    cfg = load_config({"methods": {"grpo": {}}, "validation": {"problems": 5},
                    "sweeps": {"ds": {"gamma_p": [0.01, 0.1], "gamma_n": [0, 0.05]}}})
    points = sweep_points(cfg)["ds"]
    assert [point_path(p) for p in points] == [
        "gamma_p=0.01,gamma_n=0", "gamma_p=0.01,gamma_n=0.05", "gamma_p=0.1,gamma_n=0", "gamma_p=0.1,gamma_n=0.05"]


@pytest.mark.parametrize("bad,where", [
    ({"validation": {"problems": 0}, "sweeps": {"ds": {"gamma_p": [0.1]}}}, "sweeps need a validation split"),
    ({"validation": {"problems": 5}, "sweeps": {"ds": {"gama_p": [0.1]}}}, "sweeps.ds: method 'ds': unknown hyperparameter"),
    ({"validation": {"problems": 5}, "sweeps": {"ds_pos": {"gamma_n": [0.1]}}}, "sweeps.ds_pos: method 'ds_pos': gamma_n is fixed"),
    ({"validation": {"problems": 5}, "sweeps": {"nope": {"x": [1]}}}, "sweeps.nope: unknown method"),
])
def test_bad_sweeps_name_the_key(bad, where):
    with pytest.raises(ConfigError, match=where):
        load_config({"methods": {"grpo": {}}, **bad})


@pytest.mark.slow
def test_sweep_points_run_alone_and_are_chosen_on_validation(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg.update(results=str(tmp_path / "results"), seeds=[0], methods={"grpo": {}, "ds": {}},
               validation={"problems": 6}, sweeps={"ds": {"gamma_p": [0.01, 0.2]}})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    args = ["--cores", "2", "--configfile", str(path)]
    res = snakemake(root, *args)
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "results"
    for point in ("gamma_p=0.01", "gamma_p=0.2"):
        assert (out / f"train/ds/{point}/base0/seed0/train_log.json").exists()
        assert (out / f"eval/ds/{point}/base0/seed0/validation/metrics.json").exists()
    table = pd.read_csv(out / "tables/sweeps.csv")
    assert list(table.point) == ["gamma_p=0.01", "gamma_p=0.2"] and table.chosen.sum() == 1
    k = [c for c in table.columns if c.startswith("val pass@") and not c.endswith("std")][0]
    assert table.loc[table.chosen, k].item() == table[k].max()  # chosen on validation, not test
    assert "(reference)" in (out / "tables/sweeps.md").read_text()
    assert (out / "figures/sweeps.png").stat().st_size > 5000
    import json

    log = json.loads((out / "train/ds/gamma_p=0.2/base0/seed0/train_log.json").read_text())
    assert log["params"]["gamma_p"] == 0.2 and log["method"] == "ds"
    # one more grid value: only that point's jobs and the sweep report
    cfg["sweeps"]["ds"]["gamma_p"].append(0.05)
    path.write_text(yaml.safe_dump(cfg))
    assert plan(snakemake(root, "-n", *args).stdout) == {"train": 1, "evaluate": 2, "sweep_report": 1, "all": 1}


def test_sweep_report_verb_matches_points_by_identity_and_writes_only_its_files(tmp_path):
    """Grid points' metrics carry method "ds" and their hyperparameters; the folder plays no part."""
    import json

    from divrl.cli import main

    def metrics(name, method, seed, test_set, passk, params=None):
        path = tmp_path / "in" / name / "metrics.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"identity": {"method": method, "seed": seed, "test_set": test_set,
                                                 "params": params or {}, "model": "m"},
                                    "n": 4, "k": [1, 2], "pass_at_k": passk}))
        return str(path)

    base, refs, points = [], [], []
    for s in ("validation", "countdown"):
        base.append(metrics(f"base_{s}", "base", None, s, [0.1, 0.2]))
        refs.append(metrics(f"grpo_{s}", "grpo", 0, s, [0.3, 0.4]))
        for g, v in ((0.01, 0.2), (0.2, 0.5)):  # the second point is better on validation
            points.append(metrics(f"p{g}_{s}", "ds", 0, s, [v if s == "validation" else 0.1, 0.6], {"gamma_p": g, "x": 1}))
    sweeps = {"ds": ["ds/gamma_p=0.01", "ds/gamma_p=0.2"]}
    out = tmp_path / "out"
    assert main(["sweep-report", "--metrics", *base, *refs, "--points", *points, "--sweeps", json.dumps(sweeps),
                 "--table-csv", str(out / "s.csv"), "--figure", str(out / "f.png"), str(out / "f.pdf")]) == 0
    table = pd.read_csv(out / "s.csv")
    assert list(table.point) == ["gamma_p=0.01", "gamma_p=0.2"] and list(table.chosen) == [False, True]
    assert sorted(p.name for p in out.iterdir()) == ["f.pdf", "f.png", "s.csv"]
