"""A training job killed with SIGKILL resumes from its last checkpoint and ends where
an uninterrupted run with the same seed ends (model, optimizer, scheduler, RNG and
data order are all restored by TRL's checkpoints)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file

from divrl.data.problems import write_jsonl

PARAMS = json.dumps({"steps": 8, "prompts_per_step": 2, "num_generations": 4, "save_steps": 2, "logging_steps": 1,
                     "device": "cpu"})


def train_cmd(base, problems, out, ck):
    return [sys.executable, "-m", "divrl.cli", "train", "--params", PARAMS, "--threads", "1", "--method", "ds",
            "--seed", "3", "--base", str(base), "--problems", str(problems), "--model-out", str(out / "model"), "--log-out", str(out / "train_log.json"),
            "--checkpoints", str(ck)]


def test_sigkill_then_resume_matches_uninterrupted_run(tiny_base, tiny_problems, tmp_path):
    problems = tmp_path / "train.jsonl"
    write_jsonl(tiny_problems["train"], problems)

    subprocess.run(train_cmd(tiny_base, problems, tmp_path / "a", tmp_path / "ck_a"), check=True, capture_output=True, timeout=600)

    ck = tmp_path / "ck_b"
    proc = subprocess.Popen(train_cmd(tiny_base, problems, tmp_path / "b", ck), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not (ck / "checkpoint-4" / "trainer_state.json").exists():
        assert proc.poll() is None, "training finished before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "b" / "train_log.json").exists()
    assert (ck / "checkpoint-4" / "trainer_state.json").exists()  # killed after a complete checkpoint

    res = subprocess.run(train_cmd(tiny_base, problems, tmp_path / "b", ck), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    log = json.loads((tmp_path / "b" / "train_log.json").read_text())
    assert log["resumed_from"] and Path(log["resumed_from"]).name.startswith("checkpoint-")

    a = load_file(tmp_path / "a/model/model.safetensors")
    b = load_file(tmp_path / "b/model/model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] == b[key]).all(), f"{key} differs after resume"


def test_a_run_resumed_after_its_first_epoch_keeps_the_data_order(tiny_base, tiny_problems, tmp_path):
    """6 problems, 2 a step: an epoch is 3 steps, so checkpoint-4 lies in epoch 1. transformers 5
    resumes with set_epoch and no replay, TRL's sampler had no set_epoch: the resumed run shuffled
    epoch 1 like epoch 0 and ended elsewhere (found by the 3-job Slurm chain; resumable_sampler.py)."""
    import shutil

    problems = tmp_path / "train.jsonl"
    write_jsonl(tiny_problems["train"][:6], problems)
    params = json.dumps({"steps": 8, "prompts_per_step": 2, "num_generations": 4, "save_steps": 4, "logging_steps": 1,
                         "device": "cpu"})

    def cmd(name):
        out, ck = tmp_path / name, tmp_path / f"ck_{name}"
        return [sys.executable, "-m", "divrl.cli", "train", "--params", params, "--threads", "1", "--method", "grpo",
                "--seed", "0", "--base", str(tiny_base), "--problems", str(problems), "--model-out", str(out / "model"),
                "--log-out", str(out / "train_log.json"), "--checkpoints", str(ck)]

    subprocess.run(cmd("a"), check=True, capture_output=True, timeout=600)
    (tmp_path / "ck_b").mkdir()
    shutil.copytree(tmp_path / "ck_a/checkpoint-4", tmp_path / "ck_b/checkpoint-4")
    res = subprocess.run(cmd("b"), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    log = json.loads((tmp_path / "b/train_log.json").read_text())
    assert Path(log["resumed_from"]).name == "checkpoint-4" and log["global_step"] == 8
    a, b = load_file(tmp_path / "a/model/model.safetensors"), load_file(tmp_path / "b/model/model.safetensors")
    assert all((a[k] == b[k]).all() for k in a), "the run resumed in epoch 1 ended elsewhere"
