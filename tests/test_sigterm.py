"""scripts/snakemake_signals.py: a SIGTERM (`timeout`, Slurm's time limit, scancel) stops Snakemake
within a bounded time, through Snakemake's Ctrl-C path, and leaves no lock and no process behind.

Issue #23, item 4: 1 TERM in 4 during the report rules hung Snakemake 9.27.1 (its TERM handler waits
on a lock its own main thread holds; docs/troubleshooting.md). The fake Snakemake below has the same
fault (its TERM handler deadlocks) so the wrapper is tested fast and deterministically; the last two
tests run the real Snakemake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# A stand-in for Snakemake 9.27.1: takes a lock file as Snakemake does, starts a job (a grandchild in its
# process group), and deadlocks in its TERM handler on a lock its own main thread holds. argv[1]:
#   honest - SIGINT ends it (exit 130) but, like a killed Snakemake, without removing its lock file
#   stuck  - SIGINT is ignored too: only SIGKILL ends it
#   exit3  - exits 3 by itself after starting, no signal needed
FAKE = textwrap.dedent("""
    import os, signal, subprocess, sys, threading, time
    from pathlib import Path
    mode = sys.argv[1]
    Path("argv").write_text(" ".join(sys.argv[2:]))
    def record(what):
        with open("events", "a") as f:
            f.write(what + "\\n")
    held = threading.Lock()
    held.acquire()
    def on_term(*_):
        record("TERM")
        held.acquire()  # never returns: the main thread holds it
    signal.signal(signal.SIGTERM, on_term)
    if mode == "stuck":
        signal.signal(signal.SIGINT, lambda *_: record("INT"))
    locks = Path(".snakemake/locks")
    locks.mkdir(parents=True, exist_ok=True)
    name = str(len(list(locks.glob("*.input.lock")))) + ".input.lock"
    (locks / name).write_text("some/input\\n")
    job = subprocess.Popen(["sleep", "300"])
    Path("job.pid").write_text(str(job.pid))
    Path("fake.pid").write_text(str(os.getpid()))
    Path("ready").write_text("")
    if mode == "exit3":
        job.kill()
        sys.exit(3)
    try:
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        record("INT")
        sys.exit(130)
""")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(path: Path, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"ended before {path.name} appeared"
        assert time.monotonic() < deadline, f"no {path.name} after {seconds:g} s"
        time.sleep(0.02)


def start(root: Path, cwd: Path, mode: str, *options: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    (cwd / "fake_snakemake.py").write_text(FAKE)
    cmd = [*prefix, sys.executable, str(root / "scripts/snakemake_signals.py"), *options, "--",
           sys.executable, "fake_snakemake.py", mode]
    proc = subprocess.Popen(cmd, cwd=cwd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for(cwd / "ready", proc, seconds=30)
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str, float]:
    t0 = time.monotonic()
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, err, time.monotonic() - t0


def events(cwd: Path) -> list[str]:
    path = cwd / "events"
    return path.read_text().split() if path.exists() else []


@pytest.fixture(autouse=True)
def no_stray_process(tmp_path):
    """Whatever a test asserts, the fake and its `sleep 300` job do not outlive it."""
    yield
    for name in ("fake.pid", "job.pid"):
        pid_file = tmp_path / name
        if pid_file.exists() and alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_the_fake_hangs_on_term_without_the_wrapper(tmp_path):
    """The fake reproduces the fault the wrapper works around: TERM alone never ends it."""
    (tmp_path / "fake_snakemake.py").write_text(FAKE)
    proc = subprocess.Popen([sys.executable, "fake_snakemake.py", "honest"], cwd=tmp_path)
    wait_for(tmp_path / "ready", proc, seconds=30)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)  # "a second TERM ignored"
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=2)
    proc.kill()
    proc.wait()
    assert events(tmp_path) == ["TERM", "TERM"]  # the second handler runs nested and blocks the same way
    assert (tmp_path / ".snakemake/locks/0.input.lock").exists()  # SIGKILL leaves the lock


def test_term_becomes_sigint_and_the_run_ends_unlocked(root, tmp_path):
    proc = start(root, tmp_path, "honest", "--grace", "30", "--nudge", "5")
    job = int((tmp_path / "job.pid").read_text())
    proc.send_signal(signal.SIGTERM)
    status, err, took = finish(proc, timeout=20)
    assert status == 128 + signal.SIGTERM, err
    assert events(tmp_path) == ["INT"]  # Snakemake's TERM handler never ran; one INT was enough
    assert took < 15, err  # well before the 30 s grace: the INT ended it, not a SIGKILL (~1 s idle)
    assert not (tmp_path / ".snakemake/locks/0.input.lock").exists(), err
    assert "removed its locks" in err and "0.input.lock" in err
    assert not alive(job)  # the job got the INT too (its process group), or was killed after


def test_a_child_that_ignores_sigint_is_killed_after_the_grace(root, tmp_path):
    proc = start(root, tmp_path, "stuck", "--grace", "2", "--nudge", "0.5")
    job = int((tmp_path / "job.pid").read_text())
    proc.send_signal(signal.SIGTERM)
    status, err, took = finish(proc, timeout=20)
    assert status == 128 + signal.SIGTERM, err
    assert 1.9 < took < 15, err  # killed at the 2 s grace, not before
    assert set(events(tmp_path)) == {"INT"} and len(events(tmp_path)) >= 3  # nudged every 0.5 s
    assert "SIGKILL" in err and "killed" in err
    assert not (tmp_path / ".snakemake/locks/0.input.lock").exists()
    assert not alive(job)


def test_another_runs_lock_is_kept(root, tmp_path):
    locks = tmp_path / ".snakemake/locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("another run's input\n")
    proc = start(root, tmp_path, "honest", "--grace", "30")
    assert (locks / "1.input.lock").exists()  # the fake's own lock
    proc.send_signal(signal.SIGTERM)
    status, err, _ = finish(proc, timeout=20)
    assert status == 128 + signal.SIGTERM, err
    assert sorted(p.name for p in locks.iterdir()) == ["0.input.lock"]


def test_a_term_to_the_whole_process_group_reaches_only_the_wrapper(root, tmp_path):
    """`timeout` signals its whole process group (so does a terminal's Ctrl-C): Snakemake, in a
    session of its own, sees only the wrapper's SIGINT."""
    proc = start(root, tmp_path, "honest", "--grace", "30", prefix=("timeout", "-s", "TERM", "3"))
    status, err, _ = finish(proc, timeout=30)
    assert status == 124, err  # timeout's own status for "timed out"
    assert events(tmp_path) == ["INT"]
    assert not (tmp_path / ".snakemake/locks/0.input.lock").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_int_and_hup_stop_it_the_same_way(root, tmp_path, signum):
    proc = start(root, tmp_path, "honest", "--grace", "30")
    proc.send_signal(signum)
    status, err, _ = finish(proc, timeout=20)
    assert status == 128 + signum, err
    assert events(tmp_path) == ["INT"]


def test_without_a_signal_the_status_passes_through_and_locks_stay(root, tmp_path):
    proc = start(root, tmp_path, "exit3")
    status, err, _ = finish(proc, timeout=20)
    assert status == 3 and err == ""
    assert events(tmp_path) == []
    assert (tmp_path / ".snakemake/locks/0.input.lock").exists()  # not ours to judge: no stop was asked


def test_run_sh_passes_a_term_on_to_the_wrapper(root, tmp_path):
    """scripts/run.sh runs Snakemake through the wrapper and forwards a TERM sent to run.sh alone."""
    text = (root / "scripts/run.sh").read_text()
    assert "scripts/snakemake_signals.py" in text
    # run.sh's signal-forwarding lines, around the fake instead of install.sh + Snakemake
    body = text[text.index("# --- run ---"):text.index("# --- end run ---")]
    body = body.replace('.venv/bin/snakemake --cores "${CORES:-2}" "$@"', f"{sys.executable} fake_snakemake.py honest")
    body = body.replace(".venv/bin/python scripts/", f"{sys.executable} {root}/scripts/")
    (tmp_path / "fake_snakemake.py").write_text(FAKE)
    script = tmp_path / "run.sh"
    script.write_text("set -euo pipefail\n" + body + 'echo "after: $status"\n')
    proc = subprocess.Popen(["bash", str(script)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    wait_for(tmp_path / "ready", proc, seconds=30)
    proc.send_signal(signal.SIGTERM)  # to bash alone, not to its group
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "after:" not in out  # an interrupted run does not go on to the timing table
    assert events(tmp_path) == ["INT"]
    assert not (tmp_path / ".snakemake/locks/0.input.lock").exists()


def test_the_slurm_head_job_is_the_wrapper_and_gets_its_term_early(root, tmp_path):
    """scripts/slurm_head.sh as sbatch runs it: from a copy, in the submit folder; Slurm's early TERM
    (--signal=B:TERM@N goes to the batch shell only) reaches the wrapper, which the shell exec'd."""
    text = (root / "scripts/slurm_head.sh").read_text()
    sbatch = dict(line.split(None, 1)[1].split("=", 1) for line in text.splitlines() if line.startswith("#SBATCH "))
    kind, _, seconds = sbatch["--signal"].partition("@")
    assert kind == "B:TERM" and int(seconds) >= 2 * 60  # the wrapper's 60 s grace, and time to spare
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/snakemake_signals.py").write_text((root / "scripts/snakemake_signals.py").read_text())
    (tmp_path / ".venv/bin").mkdir(parents=True)
    (tmp_path / ".venv/bin/python").symlink_to(sys.executable)
    fake = tmp_path / ".venv/bin/snakemake"
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} fake_snakemake.py honest "$@"\n')
    fake.chmod(0o755)
    (tmp_path / "fake_snakemake.py").write_text(FAKE)
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "slurm_script").write_text(text)
    env = {**os.environ, "SLURM_SUBMIT_DIR": str(tmp_path)}
    proc = subprocess.Popen(["bash", str(spool / "slurm_script"), "--configfile", "my.yaml"], cwd=spool, env=env,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for(tmp_path / "ready", proc, seconds=30)
    assert (tmp_path / "argv").read_text() == "--profile profiles/slurm --configfile my.yaml"
    proc.send_signal(signal.SIGTERM)  # to the batch shell alone
    status, err, _ = finish(proc, timeout=20)
    assert status == 128 + signal.SIGTERM, err
    assert events(tmp_path) == ["INT"]
    assert not (tmp_path / ".snakemake/locks/0.input.lock").exists()


# ---- the real Snakemake ----------------------------------------------------------------------------

# One job whose post-processing (3,000 outputs) keeps Snakemake's main thread inside
# JobScheduler._lock for ~2 s: a TERM sent once its first metadata records appear lands in the
# deadlock window every time.
SNAKEFILE = textwrap.dedent("""
    N = int(config.get("n", 3000))
    rule all:
        input: "b/done"
    rule many:
        output: [f"a/{i}.txt" for i in range(N)]
        shell: "mkdir -p a && cd a && seq 0 $(({N}-1)) | sed 's/$/.txt/' | xargs touch && touch ../job_end"
    rule b:
        input: rules.many.output
        output: "b/done"
        shell: "sleep {config[sleep]}; mkdir -p b; touch {output}"
""")


def only_child(pid: int) -> int:
    [child] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(child)


def session_members(session: int) -> list[int]:
    """Live processes of a session: Snakemake runs in one of its own, with its local jobs."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_real_snakemake_deadlocked_by_term_is_freed_and_unlocked(root, tmp_path):
    """Before: Snakemake 9.27.1 given a TERM while it post-processes a job hangs (its handler waits on
    the lock its main thread holds). After: the wrapper's SIGINTs free it; no lock, no process is left,
    and the rerun completes."""
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--config", "sleep=30"]
    log = tmp_path / "run.log"  # a file, not a pipe: Snakemake prints every one of the 3,000 outputs
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(root / "scripts/snakemake_signals.py"), "--grace", "60",
                                 "--nudge", "2", "--", *snakemake], cwd=tmp_path, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    real = None
    try:
        wait_for(tmp_path / "job_end", proc, seconds=120)
        # Snakemake writes one metadata record per output while it post-processes the job, inside
        # JobScheduler._lock: the first records mean the main thread is in the window
        metadata = tmp_path / ".snakemake/metadata"
        deadline = time.monotonic() + 60
        while not (metadata.is_dir() and len(os.listdir(metadata)) >= 50):
            assert time.monotonic() < deadline and proc.poll() is None, "no post-processing seen"
            time.sleep(0.005)
        real = only_child(proc.pid)
        # as Slurm does at a time limit: TERM to Snakemake itself ...
        os.kill(real, signal.SIGTERM)
        time.sleep(8)
        assert alive(real), "Snakemake ended by itself: the TERM missed the deadlock window"
        # ... and to the head job's script
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if real and session_members(real):  # Snakemake has a session of its own
            os.killpg(real, signal.SIGKILL)
    out = log.read_text()
    assert proc.returncode == 128 + signal.SIGTERM, out[-3000:]
    assert "Terminating processes on user request" in out  # Snakemake's KeyboardInterrupt path
    assert not list((tmp_path / ".snakemake/locks").glob("*")), out[-3000:]
    assert not session_members(real)
    rerun = subprocess.run([*snakemake[:-1], "sleep=0", "--rerun-incomplete"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (tmp_path / "b/done").exists()


def test_real_snakemake_stopped_mid_job_leaves_no_lock_and_reruns(root, tmp_path):
    """The everyday case, fast: a TERM while a job runs ends Snakemake at once (the job gets the INT),
    the lock is gone and the next run completes."""
    (tmp_path / "Snakefile").write_text(textwrap.dedent("""
        rule all:
            input: "out.txt"
        rule slow:
            output: "out.txt"
            shell: "touch started; sleep {config[sleep]}; echo done > {output}"
    """))
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--config"]
    proc = subprocess.Popen([sys.executable, str(root / "scripts/snakemake_signals.py"), "--", *snakemake,
                             "sleep=300"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    real = None
    try:
        wait_for(tmp_path / "started", proc, seconds=120)
        real = only_child(proc.pid)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if real and session_members(real):
            os.killpg(real, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, out[-3000:]
    assert time.monotonic() - t0 < 15, out[-3000:]
    assert not list((tmp_path / ".snakemake/locks").glob("*")), out[-3000:]
    assert not session_members(real)  # the `sleep 300` job included
    rerun = subprocess.run([*snakemake, "sleep=0"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (tmp_path / "out.txt").read_text() == "done\n"
