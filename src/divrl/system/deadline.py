"""Run a function under a wall-clock deadline, in this process or in a worker child.

SymPy can run for ever on model text, so every call into `math_verify` goes through
here. math_verify's own timeout uses `signal.alarm`, which only works in the main
thread and only in whole seconds, and logs timeouts as warnings; callers disable it
and use this instead:
- main thread: a float `setitimer` alarm whose handler raises `Deadline`, a
  BaseException that library code's `except Exception` cannot swallow;
- any other thread (threaded evaluation), or when someone else's timer is armed: the
  same call in a worker subprocess (`python -m <module>`, whose main loop is `serve`)
  that runs it under the same alarm, and that we kill if it does not answer in time
  (an alarm cannot interrupt a long C-level computation; a kill can).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

WORKER_GRACE_S = 2.0  # worker round trip on top of the alarm before we kill it
WORKER_START_S = 120.0  # first import of SymPy in a fresh worker on a loaded node


class Deadline(BaseException):
    """Raised by our SIGALRM handler. BaseException, so library code that catches
    Exception (math_verify, SymPy) cannot swallow it."""


# A deadline raised inside a gc callback or a __del__ is "unraisable": Python prints it
# and goes on. The handler therefore re-arms a short alarm before raising, so a swallowed
# deadline fires again until one lands in ordinary code; with_alarm disarms it.
REARM_S = 0.05


def _raise_deadline(signum: int, frame: Any) -> None:
    signal.setitimer(signal.ITIMER_REAL, REARM_S)
    raise Deadline


def with_alarm(fn: Callable[..., T], args: tuple, timeout_s: float) -> tuple[bool, T | None]:
    """(True, fn(*args)) or (False, None) if it ran past `timeout_s`. Main thread only."""
    previous = signal.signal(signal.SIGALRM, _raise_deadline)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        return True, fn(*args)
    except Deadline:
        return False, None
    finally:
        # disarm first (also the handler's re-arm), then give the signal back; the re-arm
        # interval is far longer than the few statements between the raise and here
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None means a handler installed outside Python; the default is the best we can do
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def alarm_is_ours() -> bool:
    """Whether this call may use SIGALRM: main thread, and no one else's timer armed."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )


class Worker:
    """A `python -m <module>` child serving one call at a time over pipes.

    A plain subprocess rather than multiprocessing: spawn and forkserver re-import the
    caller's `__main__` (a Snakemake script without a main guard would run again), fork
    can deadlock a process that runs threads, and daemonic processes may not start
    multiprocessing children at all. The child runs each call under its own alarm; we
    wait a little longer and kill it if it has not answered (stuck in C code, or dead).
    `probe` is a cheap (op, args) request that proves a fresh child is up.
    """

    def __init__(self, module: str, probe: tuple[str, list]) -> None:
        self._module, self._probe = module, probe
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""

    def run(self, op: str, args: tuple, timeout_s: float) -> tuple[bool, Any]:
        with self._lock:  # one call in flight, so a wait is never spent in a queue
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            request = {"op": op, "args": list(args), "timeout_s": timeout_s}
            reply = self._ask(request, timeout_s + WORKER_GRACE_S)
            if reply is None:
                self.close()
                return False, None
            if "error" in reply:
                raise RuntimeError(f"worker {self._module}: {reply['error']}")
            return reply["done"], reply["value"]

    def _start(self) -> None:
        self.close()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", self._module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl-C goes to the caller; the child exits on EOF
        )
        op, args = self._probe
        if self._ask({"op": op, "args": args, "timeout_s": WORKER_START_S}, WORKER_START_S) is None:
            self.close()
            raise RuntimeError(f"worker {self._module} did not start")

    def _ask(self, request: dict, wait_s: float) -> dict | None:
        """Send one request; its reply, or None if none came within `wait_s`."""
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError:  # the child died
            return None
        line = self._read_line(time.monotonic() + wait_s)
        try:
            return None if line is None else json.loads(line)
        except ValueError:  # not our reply: the pipe is out of step, so start over
            return None

    def _read_line(self, deadline: float) -> bytes | None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # EOF: the child died
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def close(self) -> None:
        """Stop the child (it is started again on the next call)."""
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is not None:
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


def serve(ops: dict[str, Callable[..., Any]]) -> None:
    """A worker's loop: one JSON request per stdin line, one JSON reply per line."""
    replies, sys.stdout = sys.stdout.buffer, sys.stderr  # a stray print must not reach the pipe
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            done, value = with_alarm(ops[request["op"]], tuple(request["args"]), request["timeout_s"])
            reply = {"done": done, "value": value}
        except Exception as err:  # noqa: BLE001 -- the caller logs it and scores the default
            reply = {"error": f"{type(err).__name__}: {err}"[:500]}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()


def call(ops: dict[str, Callable[..., Any]], worker: Worker, op: str, args: tuple, timeout_s: float) -> tuple[bool, Any]:
    """(done, ops[op](*args)) under the deadline: here when the alarm is ours, else in `worker`."""
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    if alarm_is_ours():
        return with_alarm(ops[op], args, timeout_s)
    return worker.run(op, args, timeout_s)
