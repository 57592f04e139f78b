#!/usr/bin/env python3
"""Run Snakemake so that a SIGTERM stops it within a bounded time and leaves no lock behind.

    python scripts/snakemake_signals.py [--grace S] [--nudge S] -- snakemake ARGS...

Why (docs/troubleshooting.md has the reproduction): Snakemake 9.27.1's SIGTERM handler,
`JobScheduler.exit_gracefully` (snakemake/scheduling/job_scheduler.py:574), takes `JobScheduler._lock`,
a non-reentrant `threading.Lock` that the main thread itself holds while it post-processes finished
jobs (`schedule()`, line 231). A TERM arriving in that window deadlocks the main thread on itself, job
callbacks (`_proceed`, line 532) queue behind it, every further TERM blocks the same way, and only
SIGKILL ends the process, leaving `.snakemake/locks/` for the next run to trip over. `timeout`, Slurm's
time limit and `scancel` all send SIGTERM. Snakemake's Ctrl-C path takes no lock in a handler: the
KeyboardInterrupt unwinds out of the `with` block and cancels the jobs (local or Slurm).

So this wrapper
- starts Snakemake in its own session, so a TERM sent to our process group (`timeout`, a terminal)
  reaches only us and never Snakemake's TERM handler;
- turns a TERM, INT or HUP sent to us into SIGINT to Snakemake's process group (Snakemake and its
  local jobs, as Ctrl-C in a terminal would), repeated every `--nudge` seconds while it runs: a first
  INT that lands inside Snakemake's asyncio runner only cancels a task (asyncio.Runner's own SIGINT
  handler) and the second raises; the second is also what frees a Snakemake that got Slurm's TERM
  directly and deadlocked;
- SIGKILLs the whole group after `--grace` seconds if it is still there, and kills any job of the
  group that outlived Snakemake;
- removes the lock files that this run created (those that were not in .snakemake/locks/ when it
  started: another run's locks are never touched), which is what `snakemake --unlock` would do;
- exits 128 + the signal's number (143 for TERM, 130 for INT), so callers see an interrupted run.
Without a signal it only passes Snakemake's exit status on.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def say(message: str) -> None:
    print(f"snakemake_signals: {message}", file=sys.stderr, flush=True)


def lock_dir(command: list[str]) -> Path:
    """Snakemake's lock folder for this command line: `.snakemake/locks` under --directory/-d, else here."""
    workdir = "."
    for i, word in enumerate(command):
        if word in ("-d", "--directory") and i + 1 < len(command):
            workdir = command[i + 1]
        elif word.startswith("--directory="):
            workdir = word.split("=", 1)[1]
    return Path(workdir) / ".snakemake" / "locks"


def lock_files(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.iterdir() if p.is_file()}
    except OSError:
        return set()


def group_members(pgid: int) -> list[int]:
    """Live processes of process group `pgid` (Linux /proc; empty where there is none)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the command name (field 2) may hold spaces: fields after its closing ")" are plain
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


class Stop:
    """The first stop signal we received and when we last passed SIGINT on."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.since = 0.0
        self.last_int = float("-inf")

    def request(self, signum: int, _frame=None) -> None:
        # only record: printing here could re-enter a print of the main loop
        if self.signum is None:
            self.signum, self.since = signum, time.monotonic()


def send_to_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def run(command: list[str], grace: float, nudge: float) -> int:
    locks = lock_dir(command)
    before = lock_files(locks)
    stop = Stop()
    # Catching INT also gives Snakemake SIGINT's default action (a caught signal is reset at exec, an
    # ignored one is inherited): bash starts `cmd &` in a script with INT ignored, run.sh's wrapper too.
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop.request)
    child = subprocess.Popen(command, start_new_session=True)
    killed = False
    while True:
        try:
            status = child.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            pass
        if stop.signum is None:
            continue
        now = time.monotonic()
        if stop.last_int == float("-inf"):
            say(f"{signal.Signals(stop.signum).name}: stopping Snakemake by SIGINT (its Ctrl-C path), SIGKILL in {grace:g} s")
        if now - stop.since >= grace:
            say(f"Snakemake still running {grace:g} s after the signal: SIGKILL to its process group")
            send_to_group(child.pid, signal.SIGKILL)
            status, killed = child.wait(), True
            break
        if now - stop.last_int >= nudge:
            send_to_group(child.pid, signal.SIGINT)
            stop.last_int = now
    if stop.signum is None:
        return status if status >= 0 else 128 - status
    leftover = group_members(child.pid)
    if leftover:
        say(f"killing {len(leftover)} job process(es) that outlived Snakemake: {' '.join(map(str, leftover))}")
    send_to_group(child.pid, signal.SIGKILL)
    stale = sorted(lock_files(locks) - before)
    for name in stale:
        (locks / name).unlink(missing_ok=True)
    took = time.monotonic() - stop.since
    how = "killed" if killed else f"exited with status {status}"
    removed = f"; removed its locks {', '.join(str(locks / n) for n in stale)}" if stale else "; no lock left"
    say(f"Snakemake {how} {took:.1f} s after {signal.Signals(stop.signum).name}{removed}")
    return 128 + stop.signum


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grace", type=float, default=float(os.environ.get("DIVRL_STOP_GRACE_S", 60)),
                        help="seconds from the first signal to SIGKILL (env DIVRL_STOP_GRACE_S; default 60)")
    parser.add_argument("--nudge", type=float, default=float(os.environ.get("DIVRL_STOP_NUDGE_S", 5)),
                        help="seconds between SIGINTs while Snakemake runs (env DIVRL_STOP_NUDGE_S; default 5)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- snakemake ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command: give it after --, e.g. -- .venv/bin/snakemake --cores 2")
    if args.grace <= 0 or args.nudge <= 0:
        parser.error(f"--grace {args.grace:g} and --nudge {args.nudge:g} must be > 0 seconds")
    return run(command, args.grace, args.nudge)


if __name__ == "__main__":
    sys.exit(main())
