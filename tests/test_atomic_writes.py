"""Writes that lose nothing (#23): on a full disk an output is not left under its final name
(0-byte or half-written), the temporary file is removed, the previous file survives, and the
error is one line naming the file."""

import errno
import json
from pathlib import Path

import pytest

from divrl.system import atomic

from divrl.eval import store
from divrl.system.errors import one_line


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "metrics.json"
    out.write_text('{"old": 1}')
    monkeypatch.setattr(Path, "write_text", _full_disk)
    with pytest.raises(OSError) as err:
        atomic.write_text(out, json.dumps({"new": 2}))
    monkeypatch.undo()
    assert json.loads(out.read_text()) == {"old": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]
    assert one_line(err.value) == f"{out}: No space left on device (nothing was written)"


def test_a_new_file_is_not_created_by_a_failed_write(tmp_path):
    out = tmp_path / "sub" / "table.csv"
    with pytest.raises(RuntimeError), atomic.replacing(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_the_temp_name_keeps_the_suffix_and_hides(tmp_path):
    tmp = atomic.temp_name(tmp_path / "passk.png")
    assert tmp.name.startswith(".passk.") and tmp.suffix == ".png" and tmp.parent == tmp_path


def test_a_samples_file_on_a_full_disk(tmp_path, monkeypatch):
    table = store.table_of(0, "p0", ["1+2"], [1.0], [True], ["3"])
    out = store.write(tmp_path / "s.parquet", [table], {"x": 1})
    before = out.read_bytes()

    def failing_tables():
        yield table
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        store.write(out, failing_tables(), {"x": 2})
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["s.parquet"]


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    """SIGKILL runs no `except`: its `.NAME.PID.tmp` stayed forever. The next write of that file
    removes temporaries of writers no longer running, and leaves a live writer's alone."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out = tmp_path / "summary.md"
        orphan = tmp_path / f".summary.{dead_pid}.tmp.md"
        busy = tmp_path / f".summary.{live.pid}.tmp.md"
        other = tmp_path / f".summary_old.{dead_pid}.tmp.md"  # another file's: not ours to remove
        for p in (orphan, busy, other):
            p.write_text("half")
        atomic.write_text(out, "new")
        assert out.read_text() == "new"
        assert not orphan.exists() and busy.exists() and other.exists()
    finally:
        live.kill()
