"""A full disk while training (#23 probe 7): before, torch's `RuntimeError: [enforce fail at
inline_container.cc:672] . unexpected pos 704 vs 598` (or `basic_ios::clear: iostream error`)
with no "space" or file anywhere; now one line naming the folder, and the rerun resumes.

The real thing: a small tmpfs (in a private mount namespace, `unshare`, so no root is needed
and nothing outside the test sees it) filled until a checkpoint no longer fits."""

import errno
import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

from divrl.system import disk_full
from divrl.data.problems import write_jsonl

PARAMS = {"steps": 4, "prompts_per_step": 2, "num_generations": 4, "save_steps": 2, "logging_steps": 1, "device": "cpu"}


def in_small_tmpfs(tmp_path, script: str, size_kb: int, timeout=600) -> subprocess.CompletedProcess:
    """Run `script` (bash) with $MNT a fresh tmpfs of size_kb, in its own mount namespace."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user+mount namespaces here: {probe.stderr.decode().strip()}")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    body = f"mount -t tmpfs -o size={size_kb}k tmpfs {mnt} && export MNT={mnt} && {script}"
    return subprocess.run(["unshare", "-rm", "bash", "-c", body], capture_output=True, text=True, timeout=timeout)


def test_torch_on_a_full_file_system_becomes_one_line_naming_the_folder(tmp_path):
    mnt = tmp_path / "mnt"  # (in_small_tmpfs mounts it)
    code = textwrap.dedent(f"""
        import errno, torch
        from divrl.system import disk_full
        try:
            with disk_full.writing_into("{mnt}/ck", "a checkpoint"):
                torch.save({{"w": torch.zeros(500_000)}}, "{mnt}/ck.pt")
        except OSError as err:
            print(err.errno == errno.ENOSPC, err.filename, err.strerror)
    """)
    res = in_small_tmpfs(tmp_path, f"{sys.executable} -c '{code}'", 256)
    assert res.returncode == 0, res.stderr[-2000:]
    ok, folder, why = res.stdout.strip().split(" ", 2)
    assert ok == "True" and folder.endswith("/mnt/ck") and why.startswith("No space left on device while writing a checkpoint")


def test_a_write_error_with_room_left_passes_through_unchanged(tmp_path):
    """torch's lost-write message while the folder has room (a bad NFS mount, say): not a full disk,
    the real error and its traceback stay."""
    with pytest.raises(RuntimeError, match="unexpected pos 704 vs 598"):
        with disk_full.writing_into(tmp_path, "a checkpoint"):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")
    with pytest.raises(KeyError):  # nothing to do with writing
        with disk_full.writing_into(tmp_path, "a checkpoint"):
            raise KeyError("x")


def test_an_oserror_enospc_names_the_folder(tmp_path):
    with pytest.raises(OSError) as err:
        with disk_full.writing_into(tmp_path / "ck", "a checkpoint"):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.filename == str(tmp_path / "ck") and err.value.errno == errno.ENOSPC


def test_training_on_a_full_disk_says_so_in_one_line_and_the_rerun_resumes(tiny_base, tiny_problems, tmp_path):
    problems = tmp_path / "train.jsonl"
    write_jsonl(tiny_problems["train"], problems)
    out = tmp_path / "out"
    train = (f"{sys.executable} -m divrl train --params '{json.dumps(PARAMS)}' --threads 1 --method grpo --seed 0"
             f" --base {tiny_base} --problems {problems} --model-out {out}/model --log-out {out}/train_log.json"
             " --checkpoints $MNT/ck")
    # a checkpoint of the tiny model is ~270 kB (weights, Adam state, RNG): the first (step 2) fits in
    # 400 kB, the second (step 4) does not; then the file system grows (remount) and the job reruns
    script = (f"{train} > {tmp_path}/first.log 2>&1; echo $? > {tmp_path}/first.rc;"
              f" mount -o remount,size=4m $MNT && {train} > {tmp_path}/second.log 2>&1; echo $? > {tmp_path}/second.rc;"
              f" cp $MNT/ck/divrl_finished.json {tmp_path}/ 2>/dev/null; true")
    res = in_small_tmpfs(tmp_path, script, 400)
    assert res.returncode == 0, res.stderr[-2000:]
    first = (tmp_path / "first.log").read_text()
    assert (tmp_path / "first.rc").read_text().strip() == "2", first[-3000:]
    errors = [line for line in first.splitlines() if "error:" in line]  # (a progress bar may close after it)
    assert len(errors) == 1 and errors[0].startswith("divrl train: error: "), errors
    assert "/mnt/ck: No space left on device while writing a checkpoint" in errors[0]
    assert "Traceback" not in first
    second = (tmp_path / "second.log").read_text()
    assert (tmp_path / "second.rc").read_text().strip() == "0", second[-3000:]
    log = json.loads((out / "train_log.json").read_text())
    assert log["resumed_from"].endswith("checkpoint-2") and log["global_step"] == PARAMS["steps"]
    assert [m["from"].rsplit("/", 1)[-1] for m in log["set_aside"]] == ["checkpoint-4"]  # the half-written one
