"""A training stopped by the time-limit warning (SIGURG, as Slurm sends it with
`--signal=URG@N`) checkpoints, exits 75, and the next job resumes: a chain of three jobs
ends with the model of an uninterrupted run and trains every step exactly once.
The same chain through a real Slurm: tests/test_slurm.py."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from safetensors.torch import load_file

from divrl.data.problems import write_jsonl
from divrl.train import slurm_signal, time_limit

STEPS = 60
ROOT = Path(__file__).resolve().parents[1]


def train_cmd(base, problems, out, ck, spg):
    params = json.dumps({"steps": STEPS, "prompts_per_step": 2, "num_generations": 4, "save_steps": 1000,
                         "logging_steps": 1, "steps_per_generation": spg, "device": "cpu"})
    return [sys.executable, "-m", "divrl.cli", "train", "--params", params, "--threads", "1", "--method", "ds",
            "--seed", "3", "--base", str(base), "--problems", str(problems), "--model-out", str(out / "model"),
            "--log-out", str(out / "train_log.json"), "--checkpoints", str(ck)]


def run_until_warned(cmd, errfile, warn_after_step):
    """Run one 'job'; send SIGURG once its progress bar shows `warn_after_step` (None: never)."""
    with open(errfile, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 600
    while warn_after_step is not None and proc.poll() is None and time.time() < deadline:
        done = [int(n) for n in re.findall(rf"(\d+)/{STEPS} \[", errfile.read_text())]
        if done and max(done) >= warn_after_step:
            os.kill(proc.pid, slurm_signal.SIGNAL)
            break
        time.sleep(0.02)
    return proc.wait(timeout=600)


def test_three_jobs_end_where_an_uninterrupted_run_ends(tiny_base, tiny_problems, tmp_path):
    # two micro-steps per generated batch: a stop must wait for an even step (stopping at
    # an odd one, measured, gives another model); the Slurm test covers the default of one
    spg = 2
    problems = tmp_path / "train.jsonl"
    write_jsonl(tiny_problems["train"], problems)
    subprocess.run(train_cmd(tiny_base, problems, tmp_path / "a", tmp_path / "ck_a", spg), check=True,
                   capture_output=True, timeout=600)

    ck, out = tmp_path / "ck_b", tmp_path / "b"
    codes, stops = [], []
    for job, warn_at in enumerate([5, 25, None]):  # the third job runs to the end
        err = tmp_path / f"job{job}.err"
        codes.append(run_until_warned(train_cmd(tiny_base, problems, out, ck, spg), err, warn_at))
        said = re.findall(r"time limit near: checkpoint-(\d+) saved, exiting for the next job to resume", err.read_text())
        stops += [int(n) for n in said]
    assert codes == [slurm_signal.EXIT_CODE, slurm_signal.EXIT_CODE, 0], codes
    assert len(stops) == 2 and 5 <= stops[0] < stops[1] < STEPS, stops
    assert all(s % spg == 0 for s in stops), f"stopped inside a generation batch: {stops}"

    # each job trained the steps after the previous one's checkpoint, up to its own
    spans = [(j["first_step"], j["last_step"], j["ended"]) for j in time_limit.jobs(ck)]
    assert spans == [(0, stops[0], "time limit"), (stops[0], stops[1], "time limit"), (stops[1], STEPS, "finished")]
    log = json.loads((out / "train_log.json").read_text())
    assert log["resumed_from"] == str(ck / f"checkpoint-{stops[1]}")
    steps = [h["step"] for h in log["log_history"] if "loss" in h]
    assert steps == list(range(1, STEPS + 1))

    a, b = load_file(tmp_path / "a/model/model.safetensors"), load_file(out / "model/model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] == b[key]).all(), f"{key} differs after two time-limit stops"


def _step(cb, step, args, max_steps=10):
    state = SimpleNamespace(global_step=step, max_steps=max_steps, is_world_process_zero=True)
    control = SimpleNamespace(should_save=False, should_training_stop=False)
    cb.on_step_end(args, state, control)
    return control


def test_stop_waits_for_a_generation_boundary_and_never_stops_the_last_step(tmp_path):
    args = SimpleNamespace(gradient_accumulation_steps=2, steps_per_generation=4, num_iterations=3)  # every 6 steps
    warned = []
    cb = time_limit.StopBeforeTimeLimit(tmp_path, warned=lambda: bool(warned))
    assert not _step(cb, 3, args).should_save  # no warning yet
    warned.append(True)
    decided = {s: _step(cb, s, args, max_steps=12).should_training_stop for s in range(4, 13)}
    assert [s for s, stop in decided.items() if stop] == [6]  # 7..11 are not boundaries, 12 is the last step
    assert time_limit.at_generation_boundary(6, args) and not time_limit.at_generation_boundary(3, args)


def test_a_warning_with_nothing_left_to_train_changes_nothing(tmp_path):
    cb = time_limit.StopBeforeTimeLimit(tmp_path, warned=lambda: True)
    control = _step(cb, 10, SimpleNamespace(gradient_accumulation_steps=1), max_steps=10)
    assert not control.should_save and not control.should_training_stop


def test_the_handler_only_sets_a_flag(tmp_path, monkeypatch):
    from divrl.train import slurm_signal

    monkeypatch.setattr(slurm_signal, "_warned", False)
    old = signal.getsignal(slurm_signal.SIGNAL)
    try:
        cb = time_limit.StopBeforeTimeLimit(tmp_path)  # listens
        assert not cb.warned()
        os.kill(os.getpid(), slurm_signal.SIGNAL)
        time.sleep(0.01)
        assert cb.warned()
    finally:
        signal.signal(slurm_signal.SIGNAL, old)
    assert slurm_signal.sbatch_option(300) == "--signal=URG@300" and signal.Signals[f"SIG{slurm_signal.SLURM_NAME}"] == slurm_signal.SIGNAL


# ----------------------------------------------------------------- the train rule's Slurm request
def train_rule(root, tmp_path, cluster=None, configfile=None):
    """The train rule as Snakemake parses it for a config (.test's, with `cluster` keys set)."""
    import yaml
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    tmp_path.mkdir(parents=True, exist_ok=True)
    if configfile is None:
        cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
        cfg["results"] = str(tmp_path / "results")
        cfg["cluster"] = cluster or {}
        configfile = tmp_path / "config.yaml"
        configfile.write_text(yaml.safe_dump(cfg))
    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(resource_settings=ResourceSettings(), config_settings=ConfigSettings(configfiles=[configfile]),
                          snakefile=root / "workflow/Snakefile", workdir=tmp_path)
        wf.dag()
        return wf._workflow.get_rule("train")


def test_train_jobs_ask_for_the_warning_and_never_past_the_partition(root, tmp_path):
    rule = train_rule(root, tmp_path, {"train_runtime": 240, "partition_max_runtime": 300, "time_limit_warning": 120,
                                       "train_jobs": 8})
    def ask(name, attempt):
        return rule.resources[name].evaluate(wildcards=None, attempt=attempt).value

    assert [ask("runtime", attempt) for attempt in (1, 2, 3, 8)] == [240, 300, 300, 300]
    assert [ask("mem_mb", attempt) for attempt in (1, 2, 8)] == [6000, 12000, 12000]  # doubled once, not 8×
    assert ask("slurm_extra", 1) == "--signal=URG@120"
    assert rule._restart_times == 7  # the rule's `retries:` (None: Snakemake's --retries): 8 jobs


def test_retries_are_sized_from_the_estimate(root, tmp_path):
    # ds_countdown with 4-h train jobs: the dry run's estimate of a training (divrl.cost.estimate,
    # ~14 h) over the 240 min less the 10-min warning a job trains, plus a spare
    import math

    import yaml

    from divrl.config.load import load_config
    from divrl.cost.estimate import estimate

    cfg = yaml.safe_load((root / "config/paper/ds_countdown.yaml").read_text())
    cfg["results"], cfg["cluster"]["train_runtime"] = str(tmp_path / "results"), 240
    (tmp_path / "countdown.yaml").write_text(yaml.safe_dump(cfg))
    hours = next(r["hours_per_job"] for r in estimate(load_config(cfg)) if r["rule"] == "train")
    jobs = math.ceil(hours * 60 / (240 - 10)) + 1
    assert jobs >= 3 and train_rule(root, tmp_path, configfile=tmp_path / "countdown.yaml")._restart_times == jobs - 1
    # the toy fits in one job: the train rule keeps Snakemake's --retries (the profile's 1)
    assert train_rule(root, tmp_path / "toy")._restart_times is None


def test_a_warning_longer_than_the_job_is_refused(root, tmp_path):
    import yaml

    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["cluster"] = {"train_runtime": 240, "partition_max_runtime": 5, "time_limit_warning": 300}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(tmp_path / "c.yaml")],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert "cluster.time_limit_warning: 300 s is not shorter than a train job's runtime (5 min" in res.stderr


# ----------------------------------------------------------------- several processes
def _children(pid):
    """Process ids whose parent is `pid` (Linux /proc)."""
    kids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            kids.append(int(status.parent.name))
    return sorted(kids)


@pytest.mark.slow
def test_a_warning_to_one_process_stops_both_at_the_same_step(tiny_base, tiny_problems, tmp_path):
    """Two training processes (accelerate launch, gloo on CPU, as a multi-GPU job): Slurm may
    warn them at different moments; a warning to one alone still stops both after the same
    step, with one complete checkpoint, and the resumed run ends as an uninterrupted one."""
    from test_multiprocess import _free_port, _launch, _train_args

    spec = {"steps": 30, "num_generations": 8, "per_device_batch_size": 4, "save_steps": 1000}
    ref = tmp_path / "ref"
    ref.mkdir()
    res = _launch(["-m", "divrl"], _train_args(ref, tiny_base, tiny_problems, "grpo", spec))
    assert res.returncode == 0, res.stderr[-3000:]

    run = tmp_path / "run"
    run.mkdir()
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ROOT / "config/accelerate/ddp.yaml"),
           "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no", "--main_process_ip", "127.0.0.1",
           "--main_process_port", str(_free_port()), "-m", "divrl", *_train_args(run, tiny_base, tiny_problems, "grpo", spec)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    err = tmp_path / "job0.err"
    with open(err, "w") as f:
        launcher = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=f, env=env, cwd=ROOT)
    deadline, warned = time.time() + 600, None
    while warned is None and launcher.poll() is None and time.time() < deadline:
        done = [int(n) for n in re.findall(r"(\d+)/30 \[", err.read_text())]
        ranks = _children(launcher.pid)
        if done and max(done) >= 3 and len(ranks) == 2:
            warned = ranks[1]
            os.kill(warned, slurm_signal.SIGNAL)  # the second rank only
        time.sleep(0.05)
    assert launcher.wait(timeout=600) != 0 and warned is not None
    said = re.findall(r"time limit near: checkpoint-(\d+) saved", err.read_text())
    assert len(said) == 1, err.read_text()[-3000:]  # rank 0 says it, for both
    stop = int(said[0])
    assert [(j["first_step"], j["last_step"]) for j in time_limit.jobs(run / "ck")] == [(0, stop)]
    assert [p.name for p in (run / "ck").glob("checkpoint-*")] == [f"checkpoint-{stop}"]

    res = _launch(["-m", "divrl"], _train_args(run, tiny_base, tiny_problems, "grpo", spec))
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads((run / "out/train_log.json").read_text())["resumed_from"].endswith(f"checkpoint-{stop}")
    a, b = load_file(ref / "out/model/model.safetensors"), load_file(run / "out/model/model.safetensors")
    assert all((a[k] == b[k]).all() for k in a)
