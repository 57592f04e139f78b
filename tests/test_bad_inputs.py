"""Issues #12/#13: inputs that used to end in a traceback (or ran and failed late) are one line.

Config values that validate but cannot run are refused by `snakemake -n` before any job;
`divrl` verbs name the file, key or row and the cause; `--debug` keeps the traceback.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from divrl.config.load import load, load_config


from divrl.system.errors import ConfigError
TOY = {"methods": {"grpo": {}}}


def one_line(msg: str) -> str:
    # Snakemake announces profiles/default (the workflow's own profile) on stderr first
    msg = "\n".join(line for line in msg.splitlines() if not line.startswith("Using workflow specific profile"))
    assert msg.strip() and "\n" not in msg.strip() and "Traceback" not in msg, msg
    return msg.strip()


@pytest.mark.parametrize(
    "bad,where",
    [
        ({"results": ""}, "results: empty"),
        ({"seeds": [0, 1, 0]}, "seeds: seed 0 is listed twice"),
        ({"train": {"steps": 10.0}}, "train.steps: Input should be a valid integer (got 10.0)"),
        ({"seeds": [1.0]}, "seeds.0: Input should be a valid integer (got 1.0)"),
        ({"train": {"lr": float("nan")}}, "train.lr: Input should be a finite number (got nan)"),
        ({"eval": {"temperature": float("inf")}}, "eval.temperature: Input should be a finite number (got inf)"),
        ({"methods": {"ds": {"gamma_p": float("nan")}}}, "methods.ds: method 'ds': gamma_p=nan is not a finite number"),
        ({"sweeps": {"ds": {"gamma_p": [0.1, float("-inf")]}}}, "sweeps.ds: method 'ds': gamma_p=-inf is not a finite number"),
        ({"methods": {"ds": {"gamma_n": -0.05}}}, "methods.ds: gamma_n=-0.05 must be ≥ 0"),
        ({"base": {"model": "./models/none"}}, "base.model: local folder './models/none' does not exist"),
        ({"base": {"model": "/no/such/model"}}, "base.model: local folder '/no/such/model' does not exist"),
        ({"task": "math", "datasets": {"train": [{"source": "/no/train.jsonl", "format": "math"}],
                                       "test": {"t": {"source": "org/name", "format": "math"}}}},
         "datasets.train.0.source: local path '/no/train.jsonl' does not exist"),
        ({"task": "math", "datasets": {"train": [{"source": "org/name", "format": "math"}],
                                       "test": {"t": {"source": "~/no/test.parquet", "format": "math"}}}},
         "datasets.test.t.source: local path '~/no/test.parquet' does not exist"),
        ({"methods": {"grpo": {}, "cispo": {}}, "train": {"loss_type": "grpo"}},
         "train.loss_type: 'grpo' would replace the loss_type 'cispo' that defines method 'cispo'"),
        ({"methods": {"dra_dapo": {}}, "train": {"loss_type": "dr_grpo"}},
         "train.loss_type: 'dr_grpo' would replace the loss_type 'dapo' that defines method 'dra_dapo'"),
    ],
)
def test_configs_that_cannot_run_are_one_line(bad, where):
    with pytest.raises(ConfigError) as err:
        load_config({**TOY, **bad})
    assert where in one_line(str(err.value))


def test_what_still_validates():
    # a global aggregation over methods without a loss of their own (DS math: grpo and ds under dapo)
    load_config({"methods": {"grpo": {}, "ds": {}}, "train": {"loss_type": "dapo"}})
    load_config({"methods": {"cispo": {}}, "train": {"loss_type": "cispo"}})
    load_config({**TOY, "base": {"model": "Qwen/Qwen2.5-Math-1.5B"}, "train": {"lr": 1}})  # hub ids; an int is a number


def test_duplicate_yaml_key_names_file_and_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("methods: {grpo: {}}\ntrain:\n  lr: 0.1\n  steps: 4\n  lr: 0.2\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert f"config: {path} line 5: key 'lr' is given twice" in one_line(str(err.value))


def snakemake_n(root, tmp_path, text: str):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(cfg), "-s", str(root / "workflow/Snakefile"), "-d", str(tmp_path)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize(
    "edit,where",
    [
        (lambda text: text.replace("  steps: 4\n", "  steps: 4\n  steps: 40\n"), "line 26: key 'steps' is given twice"),
        (lambda text: text.replace("  steps: 4\n", "  steps: 4.0\n  lr: .nan\n"), "config: train.steps: Input should be a valid integer (got 4.0)"),
        (lambda text: text.replace("results: .test/results", 'results: ""'), "config: results: empty"),
    ],
)
def test_snakemake_dry_run_refuses_before_any_job(root, tmp_path, edit, where):
    text = (root / ".test/config/config.yaml").read_text()
    res = snakemake_n(root, tmp_path, edit(text))
    assert res.returncode != 0
    assert where in one_line(res.stderr)
    assert "rule " not in res.stdout  # nothing planned


def divrl(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "divrl.cli", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_missing_hub_model_offline_is_one_fast_line(tmp_path):
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps({"id": "a", "task": "countdown", "prompt": "p", "question": "q", "numbers": [1, 2], "target": 3}) + "\n")
    start = time.monotonic()
    res = divrl("evaluate", "--params", "{}", "--model", "x/y", "--problems", str(problems),
                "--samples-out", str(tmp_path / "out/s.parquet"), "--metrics-out", str(tmp_path / "out/metrics.json"),
                env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "cache")})
    assert res.returncode == 2, res.stderr
    assert "model 'x/y' not found: not a local folder and not in the Hugging Face cache (offline)" in one_line(res.stderr)
    assert time.monotonic() - start < 30  # was ~40 s of retries before a 114-line OSError


def test_unwritable_output_folder_names_the_path(tmp_path):
    (tmp_path / "file").write_text("")
    params = json.dumps({"data": {"num_numbers": [3], "max_number": 9, "max_target": 30, "n_test": 8}})
    out = tmp_path / "file" / "out"
    files = ["--train", str(out / "train.jsonl"), "--test", f"countdown={out / 'test.jsonl'}", "--stats", str(out / "stats.json")]
    res = divrl("data", "--params", params, *files)
    assert res.returncode == 2
    assert f"{tmp_path / 'file'}" in one_line(res.stderr) and "Not a directory" in res.stderr
    res = divrl("--debug", "data", "--params", params, *files)
    assert "Traceback" in res.stderr  # --debug keeps it


def test_non_json_line_names_file_and_line(tmp_path):
    from divrl.data.hub import load_rows

    good = json.dumps({"problem": "1+1", "solution": "\\boxed{2}"})
    path = tmp_path / "rows.jsonl"
    path.write_text(f"{good}\n{good}\n{{\"problem\": \"cut off\n{good}\n")
    with pytest.raises(ValueError) as err:
        load_rows(str(path), cache_dir=str(tmp_path / "cache"))
    assert f"{path} line 3: not JSON" in one_line(str(err.value))
    folder = tmp_path / "repo" / "data"
    folder.mkdir(parents=True)
    (folder / "train.jsonl").write_text(path.read_text())
    with pytest.raises(ValueError) as err:
        load_rows(str(tmp_path / "repo"), cache_dir=str(tmp_path / "cache"))
    assert f"{folder / 'train.jsonl'} line 3: not JSON" in one_line(str(err.value))


def test_report_on_incomplete_metrics_names_file_and_key(tmp_path):
    run = tmp_path / "eval" / "grpo" / "seed0" / "countdown" / "metrics.json"
    run.parent.mkdir(parents=True)
    who = {"method": "grpo", "seed": 0, "test_set": "countdown", "params": {}, "model": "m"}
    run.write_text(json.dumps({"identity": who, "n": 4, "pass_at_k": [0.5]}))
    res = divrl("report", "--metrics", str(run), "--out-dir", str(tmp_path / "out"))
    assert res.returncode == 2
    assert f"{run}: no key 'k'" in one_line(res.stderr)
    run.write_text('{"k": [1], "n"')  # truncated
    res = divrl("report", "--metrics", str(run), "--out-dir", str(tmp_path / "out"))
    assert f"{run}: not JSON" in one_line(res.stderr)


def test_errors_module_formats_one_line():
    from divrl.system.errors import one_line as fmt

    assert fmt(PermissionError(13, "Permission denied", "/x/y")) == "/x/y: Permission denied"
    assert fmt(KeyError("k")) == "missing key 'k'"
    assert fmt(OSError("x/y is not a local folder\nmore\nand more")) == "x/y is not a local folder (… more with --debug)"
    assert fmt(json.JSONDecodeError("Expecting value", "{", 1)).startswith("Expecting value")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie is dead, only unreaped
    except FileNotFoundError:
        return True


def _outlives_killed_parent(parent: subprocess.Popen, pid: int) -> bool:
    """SIGKILL `parent`; True if `pid` is still alive 10 s later (then it is killed, not leaked)."""
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = not _gone(pid)
    if alive:
        os.kill(pid, 9)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_divrl_dies_with_its_parent(tmp_path):
    """SIGKILL the parent shell of a `divrl` process (as when Snakemake or a job shell is
    killed): the divrl process must not live on as an orphan writing the job's outputs."""
    # the real entry (main() without argv), then a long sleep standing in for training
    child = "import sys, time; sys.argv = ['divrl', 'methods']; from divrl import cli; cli.main(); time.sleep(60)"
    parent = subprocess.Popen(["bash", "-c", f"{sys.executable} -c \"{child}\" > /dev/null & echo $!; wait"],
                              stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    time.sleep(3)  # past the import and the prctl call
    assert not _gone(pid)
    assert _outlives_killed_parent(parent, pid) is False, "divrl outlived its parent"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_program_started_through_divrl_procs_dies_with_its_parent():
    """What multi-GPU jobs run: `python -m divrl.system.procs accelerate launch …`, here with `sleep`."""
    parent = subprocess.Popen(["bash", "-c", f"{sys.executable} -m divrl.system.procs sleep 60 & echo $!; wait"],
                              stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the exec has happened
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep"):
                break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    assert _outlives_killed_parent(parent, pid) is False, "the exec'd program outlived its parent"


def test_rules_exec_divrl(root, tmp_path):
    """The job's shell becomes divrl (`exec`), so divrl's parent is the job itself."""
    res = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "-s", str(root / "workflow/Snakefile"), "-d", str(tmp_path),
                          "--configfile", str(root / ".test/config/config.yaml")],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    shells = [line.split("Shell command:", 1)[-1].strip() for line in res.stdout.splitlines() if "divrl " in line]
    assert shells and all(line.startswith("exec divrl ") for line in shells), shells[:3]

