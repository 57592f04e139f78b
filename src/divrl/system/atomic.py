"""Writes that lose nothing: a file appears under its final name complete or not at all.

Every output is written to a temporary name beside it and renamed onto the final name
(os.replace, atomic on one file system) only when the writing succeeded. A failure —
a full disk, a kill between the two — leaves the previous file (or none) and removes
the temporary one, so a rerun never mistakes a 0-byte or half-written file for a result.
A full disk is reported as one line naming the file (torch and pyarrow's own messages
name none).
"""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_name(path: Path) -> Path:
    """`.NAME.PID.tmpSUFFIX` beside `path`: hidden, one per process, the suffix kept (matplotlib
    and pandas choose the format by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def remove_orphans(path: Path) -> list[Path]:
    """Remove temporaries of `path` left by writers that were killed (SIGKILL, OOM, a node lost:
    no `except` ran): `.NAME.PID.tmpSUFFIX` whose PID no longer runs. A live writer's stays."""
    gone = []
    for tmp in path.parent.glob(f".{glob.escape(path.stem)}.*.tmp{glob.escape(path.suffix)}"):
        pid = tmp.name[len(path.stem) + 2 : -len(".tmp" + path.suffix)]
        if pid.isdigit() and not _running(int(pid)):
            tmp.unlink(missing_ok=True)
            gone.append(tmp)
    return gone


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`, on failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path)
    tmp = temp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC) + " (nothing was written)", str(path)) from None
        raise


def write_text(path: str | Path, text: str) -> Path:
    with replacing(path) as tmp:
        tmp.write_text(text)
    return Path(path)
