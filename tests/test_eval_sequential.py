"""Sequential evaluation (#22, eval.sequential = r): every problem gets the first round, then
doubles until it has r correct samples or reaches n_samples; pass@k from the inverse-binomial
estimator (metrics/sequential.py). Checked with a sampler whose correct samples are known: a
problem's samples are a prefix of the fixed-N samples (keyed by index), the stopping rule and
the estimate hold per problem, shards and chunks change no number, the report reads it."""

import dataclasses
import hashlib
import json

import numpy as np
import pytest

import divrl.eval.evaluate as ev
from divrl.eval import rounds, store
from divrl.eval.evaluate import EvalSpec, merge, sample_shard
from divrl.metrics.passk import pass_at_k_many
from divrl.metrics.sequential import pass_at_k_sequential, stop_index

FIXED = EvalSpec(n_samples=256, diversity_samples=4, div_equ_samples=4, batch_size=64, max_new_tokens=8,
                 chunk_problems=3, greedy=True)
SEQ = dataclasses.replace(FIXED, sequential=4, first_round=16)


def rate(pid: str) -> float:
    """A problem's chance of a correct sample: spread from 0 (never solved) to 0.6."""
    return [0.0, 0.002, 0.02, 0.1, 0.3, 0.6][int(hashlib.md5(pid.encode()).hexdigest(), 16) % 6]


def fake_sampler(problems):
    """sampling.sampler's shape: sample j of problem q is correct iff a hash of (q, j) < rate(q)."""
    by_id = {str(p["id"]): p for p in problems}

    def text(pid: str, j: int) -> str:
        u = int(hashlib.sha256(f"{pid}:{j}".encode()).hexdigest()[:8], 16) / 2**32
        return by_id[pid]["solutions"][j % len(by_id[pid]["solutions"])] if u < rate(pid) else f"{j}+x"

    def make(model_dir, specs):
        def fn(prompts, keys, call_specs=specs):
            out = []
            for s in call_specs:
                if s.temperature == 0:
                    out.append([[text(k, 0)] for k in keys])
                else:
                    out.append([[text(k, s.first + j) for j in range(s.n)] for k in keys])
            return out
        return fn
    return make


@pytest.fixture
def problems(tiny_problems):
    return [p for p in tiny_problems["train"] if p.get("solutions")][:24]


def run(spec, problems, tmp_path, monkeypatch, name, shards=1):
    monkeypatch.setattr(ev, "sampler", fake_sampler(problems))
    monkeypatch.setattr(ev, "check_prompts", lambda *args: None)  # no model files to read
    files = [tmp_path / f"{name}/samples/{i}-of-{shards}.parquet" for i in range(shards)]
    for i, f in enumerate(files):
        sample_shard("fake-model", problems, spec, f, i, shards)
    return merge(problems, spec, files, tmp_path / f"{name}/metrics.json", model="fake"), files


def samples_of(files):
    out = {}
    for _, pid, cols in store.problems(files):
        pairs = sorted((j, t, c) for j, t, c in zip(cols["sample"], cols["text"], cols["correct"]) if j >= 0)
        out[pid] = pairs
    return out


def test_round_schedule():
    assert rounds.ends(SEQ) == [16, 32, 64, 128, 256]
    assert rounds.ends(FIXED) == [256]
    assert rounds.ends(dataclasses.replace(SEQ, n_samples=100, first_round=30)) == [30, 60, 100]
    # the prefix the diversity metrics read is always inside the first round
    assert rounds.prefix(dataclasses.replace(SEQ, first_round=2, diversity_samples=8)) == 8


def test_problems_stop_at_r_correct_and_their_samples_are_the_fixed_ones(problems, tmp_path, monkeypatch):
    fixed, fixed_files = run(FIXED, problems, tmp_path, monkeypatch, "fixed")
    seq, seq_files = run(SEQ, problems, tmp_path, monkeypatch, "seq")
    full, part = samples_of(fixed_files), samples_of(seq_files)
    drawn_total = 0
    for p, row in zip(problems, seq["per_problem"]):
        pid = str(p["id"])
        got = part[pid]
        drawn_total += len(got)
        assert got == full[pid][: len(got)]  # keyed: the same samples, a prefix of the fixed ones
        flags = [c for _, _, c in got]
        assert len(got) in rounds.ends(SEQ)
        stopped_early = len(got) < SEQ.n_samples
        assert not stopped_early or sum(flags) >= SEQ.sequential  # stopped only with r correct
        n, c = stop_index(flags, SEQ.sequential, cap=SEQ.n_samples)
        assert (row["n"], row["c"], row["drawn"]) == (n, c, len(got))
    assert seq["samples_drawn"] == drawn_total < FIXED.n_samples * len(problems)
    # pass@k: the mean of the per-problem sequential estimates at every k of the grid
    for k, value in zip(seq["k"], seq["pass_at_k"]):
        want = np.mean([pass_at_k_sequential(r["n"], r["c"], k, SEQ.sequential) for r in seq["per_problem"]])
        assert value == pytest.approx(want, abs=1e-12)
    # problems that never reach r keep every sample: their estimate is the fixed-N one
    capped = [i for i, r in enumerate(seq["per_problem"]) if r["c"] < SEQ.sequential]
    assert capped
    for i in capped:
        assert seq["per_problem"][i]["n"] == SEQ.n_samples and seq["per_problem"][i]["c"] == fixed["per_problem"][i]["c"]
    assert seq["greedy_pass1"] == fixed["greedy_pass1"]
    assert seq["sequential"] == 4 and seq["first_round"] == 16


def test_shards_and_chunks_change_no_number(problems, tmp_path, monkeypatch):
    one, _ = run(SEQ, problems, tmp_path, monkeypatch, "one")
    other = dataclasses.replace(SEQ, chunk_problems=5, batch_size=7)
    three, _ = run(other, problems, tmp_path, monkeypatch, "three", shards=3)
    # (the encoder batches follow the chunks: embedding metrics agree to float precision, the rest bit for bit)
    embedded = ("cosine", "spearman")

    def exact(d):
        return {k: ([exact(x) for x in v] if k == "per_problem" else v) for k, v in d.items()
                if not k.startswith("seconds") and k != "spec" and not any(e in k for e in embedded)}
    assert exact(one) == exact(three)
    assert one["embedding_cosine"] == pytest.approx(three["embedding_cosine"], abs=1e-6)


def test_the_merge_refuses_a_problem_stopped_against_the_rule(problems, tmp_path, monkeypatch):
    _, files = run(SEQ, problems, tmp_path, monkeypatch, "seq")
    # the same samples read with a larger r: some problems stopped too early for it
    with pytest.raises(ValueError, match=r"stopped at \d+ samples with \d+ correct \(eval.sequential = 9 needs more\)"):
        merge(problems, dataclasses.replace(SEQ, sequential=9), files, tmp_path / "m.json")


def test_the_report_reads_sequential_metrics(problems, tmp_path, monkeypatch):
    """compare, bootstrap CIs and the paper scorecard take each problem's N and r from the file."""
    from divrl.report.collect import load_problems
    from divrl.report.compare import align

    seq, _ = run(SEQ, problems, tmp_path, monkeypatch, "seq")
    path = tmp_path / "eval/grpo/base0/seed0/countdown/metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**seq, "identity": {"method": "grpo", "seed": 0, "base_seed": 0,
                                                    "test_set": "countdown", "params": {}, "model": "m"}}))
    table = load_problems([path])
    assert (table["stop_at"] == 4).all() and (table["size"] <= 256).all() and (table["size"] < 256).any()
    _, runs = align(table)
    per = runs["grpo"].pass_at([1, 8, 256])
    assert per.shape == (3, 1, len(problems))
    assert per[:, 0].mean(axis=1) == pytest.approx([seq["pass_at_k"][seq["k"].index(k)] for k in (1, 8, 256)])
    # c/N would be biased upwards for a stopped problem: pass@1 is (r − 1)/(N − 1)
    stopped = [i for i, r in enumerate(seq["per_problem"]) if r["c"] == 4]
    assert stopped
    i = stopped[0]
    n = seq["per_problem"][i]["n"]
    assert runs["grpo"].pass1_change(runs["grpo"])[i] == 0
    assert per[0, 0, i] == pytest.approx(3 / (n - 1))
    assert float(pass_at_k_many(n, [4], 1)[0]) > per[0, 0, i]


def test_each_sample_is_scored_once(problems, tmp_path, monkeypatch):
    """Sequential evaluation decides who stops on the rewards the stored rows reuse: the task's
    checker sees each distinct (problem, completion) once, not once to stop and again to store."""
    from divrl.data.problems import task_of

    calls = []
    real = task_of(problems)

    def counted(completion, **fields):
        calls.append((fields, completion))
        return real.score(completion, **fields)

    task = dataclasses.replace(real, score=counted)
    monkeypatch.setattr(ev, "task_of", lambda rows: task)
    _, files = run(SEQ, problems, tmp_path, monkeypatch, "once")
    seen = [(json.dumps(f, sort_keys=True, default=str), t) for f, t in calls]
    assert seen and len(seen) == len(set(seen))  # none twice
    stored = {t for _, _, cols in store.problems(files) for t in cols["text"]}
    assert {t for _, t in seen} == stored  # every stored sample (and greedy decode) scored
