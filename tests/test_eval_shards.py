"""Sharded evaluation (#15): keyed samples, Parquet storage, streamed metrics, resumable shards."""

import dataclasses
import json
import tracemalloc

import pyarrow as pa
import pytest

from divrl.eval import store
from divrl.eval.metrics_stream import Metrics
from divrl.eval.evaluate import EvalSpec, evaluate, merge, sample_shard, shard_range

SPEC = EvalSpec(n_samples=8, diversity_samples=4, div_equ_samples=4, batch_size=8, max_new_tokens=8, chunk_problems=2)


def _stable(metrics: dict) -> dict:
    """metrics.json without its timings (wall-clock seconds differ between any two runs)."""
    return {k: v for k, v in metrics.items() if not k.startswith("seconds")}


EMBEDDED = ("cosine", "spearman")  # the embedding metrics: their encoder batches follow the chunks


def _exact_and_embedded(metrics: dict) -> tuple[dict, list[float]]:
    """(every value but the embedding metrics, the embedding metrics' values in order): the
    encoder sees other batches under another sharding, which moves its float sums by ~1e-7."""
    def split(d: dict, floats: list) -> dict:
        out = {}
        for k, v in d.items():
            if any(e in k for e in EMBEDDED) and (v is None or isinstance(v, float)):
                floats.append(v)
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                out[k] = [split(x, floats) for x in v]
            else:
                out[k] = v
        return out
    floats: list = []
    return split(_stable(metrics), floats), floats


def test_shard_ranges_cover_every_problem_once():
    for p, s in ((7, 3), (3, 5), (512, 64), (1, 1)):
        ranges = [shard_range(p, i, s) for i in range(s)]
        assert ranges[0][0] == 0 and ranges[-1][1] == p
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert max(hi - lo for lo, hi in ranges) - min(hi - lo for lo, hi in ranges) <= 1
    with pytest.raises(ValueError, match="shard 3"):
        shard_range(7, 3, 3)


def test_one_shard_and_three_shards_give_identical_metrics(tiny_base, tiny_problems, tmp_path):
    problems = tiny_problems["test"][:7]
    one = evaluate(str(tiny_base), problems, SPEC, tmp_path / "one/samples/0-of-1.parquet", tmp_path / "one/metrics.json")
    # three shard jobs, another batch size and part size: the same samples, the same metrics
    other = dataclasses.replace(SPEC, batch_size=3, chunk_problems=1)
    files = [tmp_path / f"three/samples/{i}-of-3.parquet" for i in range(3)]
    for i in range(3):
        sample_shard(str(tiny_base), problems, other, files[i], i, 3)
    with pytest.raises(ValueError, match="is shard 1 of 3, given as file 1 of 3"):
        merge(problems, SPEC, [files[1], files[0], files[2]], tmp_path / "three/metrics.json")
    with pytest.raises(ValueError, match="is shard 0 of 3, given as file 1 of 2"):
        merge(problems, SPEC, files[:2], tmp_path / "three/metrics.json")
    three = merge(problems, SPEC, files, tmp_path / "three/metrics.json", str(tiny_base))
    (exact_one, emb_one), (exact_three, emb_three) = _exact_and_embedded(one), _exact_and_embedded(three)
    assert json.dumps(exact_one) == json.dumps(exact_three)
    assert len(emb_one) == len(emb_three) > 7 and emb_three == pytest.approx(emb_one, rel=1e-5, abs=1e-7, nan_ok=True)
    saved = json.loads((tmp_path / "three/metrics.json").read_text())
    assert _stable(saved) == json.loads(json.dumps(_stable(three)))
    texts = lambda paths: [t for p in paths for t in pa.concat_tables(store.row_groups(p)).column("text").to_pylist()]  # noqa: E731
    assert texts([tmp_path / "one/samples/0-of-1.parquet"]) == texts([tmp_path / f"three/samples/{i}-of-3.parquet" for i in range(3)])


def test_a_killed_shard_resumes_at_its_first_missing_part(tiny_base, tiny_problems, tmp_path, monkeypatch):
    import divrl.eval.evaluate as ev

    problems = tiny_problems["test"][:6]
    whole = sample_shard(str(tiny_base), problems, SPEC, tmp_path / "whole/samples/0-of-1.parquet")
    real, calls = ev.sampler, []

    def dying(model, specs):
        draw = real(model, specs)

        def fn(prompts, keys):
            calls.append(list(keys))
            if len(calls) == 2:
                raise KeyboardInterrupt("preempted")
            return draw(prompts, keys)
        return fn

    monkeypatch.setattr(ev, "sampler", dying)
    out = tmp_path / "resumed/samples/0-of-1.parquet"
    with pytest.raises(KeyboardInterrupt):
        sample_shard(str(tiny_base), problems, SPEC, out)
    assert list(out.parent.glob(".0-of-1.parquet.parts/*.parquet"))  # the finished part waits beside the file
    assert not (tmp_path / "resumed/samples/0-of-1.parquet").exists()  # no half file under the final name
    calls.clear()
    monkeypatch.setattr(ev, "sampler", real)
    monkeypatch.setattr(ev, "sampler", lambda m, s: (lambda p, k: calls.append(list(k)) or real(m, s)(p, k)))
    resumed = sample_shard(str(tiny_base), problems, SPEC, out)
    assert calls == [[str(p["id"]) for p in problems[2:4]], [str(p["id"]) for p in problems[4:6]]]  # part 1 kept
    frame = lambda path: pa.concat_tables(store.row_groups(path)).to_pandas()  # noqa: E731 (NaN == NaN here)
    assert frame(resumed).equals(frame(whole))
    assert not list((tmp_path / "resumed/samples").glob(".*"))  # parts and temporaries cleaned up


def _problem_table(q: int, n: int, length: int) -> pa.Table:
    texts = [f"<think>{'x' * (length - 40)} {q}:{j}</think><answer>{j % 7}+{q}</answer>" for j in range(n)]
    correct = [j % 3 == 0 for j in range(n)]
    answers = [f"{j % 7}+{q}" if ok or j < 16 else None for j, ok in enumerate(correct)]
    return store.table_of(q, f"p{q}", texts, [float(c) for c in correct], correct, answers)


def test_storage_round_trip_keeps_every_column_and_the_provenance(tmp_path):
    tables = [_problem_table(q, 32, 200) for q in range(3)]
    tables[1] = pa.concat_tables([tables[1], store.table_of(1, "p1", ["g"], [0.0], [False], [None], first=store.GREEDY)])
    path = store.write(tmp_path / "s.parquet", tables, {"shard": 0, "model": "m"})
    assert store.meta_of(path) == {"shard": 0, "model": "m"}
    got = list(store.problems([path]))
    assert [(q, pid) for q, pid, _ in got] == [(0, "p0"), (1, "p1"), (2, "p2")]
    for (_, _, cols), table in zip(got, tables):
        assert cols == table.to_pydict()
    assert [p.name for p in tmp_path.iterdir()] == ["s.parquet"]  # written under a temporary name, then renamed
    print(f"bytes per sample (32 × 200-char completions, zstd): {path.stat().st_size / (3 * 32 + 1):.1f}")


def test_metrics_stream_in_memory_bounded_by_one_problem(tmp_path):
    # 60 problems × 2000 samples of ~400 characters: ~48 MB of text; one problem ~0.8 MB
    p, n, length = 60, 2000, 400
    path = store.write(tmp_path / "big.parquet", (_problem_table(q, n, length) for q in range(p)), {})
    spec = EvalSpec(n_samples=n, diversity_samples=8, div_equ_samples=16)
    acc = Metrics(spec, lambda t: [], embed=None)
    tracemalloc.start()
    arrow_peak = 0
    for q, pid, cols in store.problems([path]):
        acc.add({"id": pid}, cols)
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
        del cols
    result = acc.result()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = p * n * length
    assert result["n_problems"] == p and result["mean_at_1"] == pytest.approx(667 / 2000)
    assert peak < 6 * n * length < total / 8, f"peak {peak / 1e6:.1f} MB for {total / 1e6:.0f} MB of samples"
    assert arrow_peak < 6 * n * length, f"arrow held {arrow_peak / 1e6:.1f} MB"


# ------------------------------------------------------------------ workflow: plans and rows
def _dry_run(root, cfg: dict, tmp_path, *extra):
    import subprocess
    import sys

    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "snakemake", "-n", *extra, "--configfile", str(path)]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)


def test_sharded_paper_dry_run_shows_shard_jobs_gpus_runtimes_and_cost(root, tmp_path):
    import yaml

    cfg = yaml.safe_load((root / "config/paper/ds_countdown.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    cfg["eval"]["shards"] = 4
    res = _dry_run(root, cfg, tmp_path, "--profile", "profiles/slurm")
    assert res.returncode == 0, res.stderr[-2000:]
    blocks = [b for b in res.stdout.split("\nrule ")[1:] if b.startswith("evaluate_shard:")]
    assert len(blocks) == 27 * 4  # 9 methods × 3 seeds × 4 shards
    assert all("gpu=1" in b and "runtime=720" in b for b in blocks)
    assert {b.split("samples/")[1].split(".parquet")[0] for b in blocks} == {f"{i}-of-4" for i in range(4)}
    # the cost before submitting, as divrl.cost.estimate computes it (tests/test_estimate.py checks its model)
    from divrl.config.load import load_config
    from divrl.cost.estimate import estimate

    assert "GPU-hours estimate" in res.stderr and "evaluate_shard" in res.stderr
    shard = next(r for r in estimate(load_config(cfg)) if r["rule"] == "evaluate_shard")
    assert f"{shard['jobs']:>5} jobs × {shard['hours_per_job']:8.2f} h" in res.stderr and shard["jobs"] == 27 * 4


def test_published_checkpoint_is_evaluated_without_training_and_is_a_row(root, tiny_base, tiny_problems, tmp_path):
    import pandas as pd
    import yaml

    from divrl.report.build import write
    from divrl.workflow import layout

    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    cfg["evaluate_models"] = {"published": str(tiny_base)}
    res = _dry_run(root, cfg, tmp_path, "--cores", "1", "-p")
    assert res.returncode == 0, res.stderr[-2000:]
    plan = res.stdout
    # a published checkpoint keeps its own folder: no base model of ours, no base segment
    assert "eval/published/seed0/countdown/metrics.json" in plan and f"--model {tiny_base} " in plan
    assert "train/published" not in plan and "eval/published/base" not in plan  # nothing to train
    assert '"base_seed": null, "method": "published"' in plan and "rule evaluate_published:" in plan
    sharded = _dry_run(root, {**cfg, "eval": {**cfg["eval"], "shards": 2}}, tmp_path, "--cores", "1")
    from test_workflow import job_counts

    counts = job_counts(sharded.stdout)
    assert (counts["evaluate_published_shard"], counts["evaluate_published"]) == (2, 1), sharded.stderr[-2000:]
    # the same evaluation code, then a row in every table
    problems = tiny_problems["test"][:4]
    out = tmp_path / "results"
    paths = []
    who = {"base/base0/countdown": layout.base_identity(0, "countdown", "m"),
           "grpo/base0/seed0/countdown": layout.run_identity("grpo", 0, 0, "countdown", {}, "m"),
           "published/seed0/countdown": layout.published_identity("published", "countdown", "m")}
    for run, ident in who.items():
        evaluate(str(tiny_base), problems, SPEC, out / "eval" / run / "samples/0-of-1.parquet",
                 out / "eval" / run / "metrics.json", identity=ident)
        paths.append(str(out / "eval" / run / "metrics.json"))
    write(paths, out, [1, 4, 8])
    summary = pd.read_csv(out / "tables/summary.csv", index_col=0)
    assert set(summary.index) == {"base", "grpo", "published"}
    for table in ("ds_style.md", "dra_style.md", "r1zero_div_style.md"):
        assert "published" in (out / "tables" / table).read_text()
    assert (out / "figures/passk.png").stat().st_size > 5000

