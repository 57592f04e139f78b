"""A full disk said in one line naming the folder, whatever library was writing.

torch reports a full disk as `RuntimeError: [enforce fail at inline_container.cc] unexpected pos
704 vs 598` or `basic_ios::clear: iostream error`, safetensors as `SafetensorError: … No space
left on device (os error 28)`; neither names the file, and the first does not say "space" at
all. `writing_into(folder)` turns such a failure into `OSError(ENOSPC or EDQUOT, …, folder)`
(divrl.system.errors prints it as one line) when the folder really has no room left; any other
failure passes through unchanged, traceback and all.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# messages of writers that lost a write (torch's zip writer, its C++ streams, safetensors, plain OSError)
WRITE_FAILED = re.compile(r"unexpected pos|basic_ios::clear|PytorchStreamWriter failed|file write failed|"
                          r"No space left|Disk quota exceeded|os error (28|122)", re.IGNORECASE)
LOW = 64 << 20  # bytes: a checkpoint of even the toy needs more than this


def room_error(folder: str | Path) -> int | None:
    """ENOSPC/EDQUOT if `folder`'s file system (or the user's quota) has no room left, else None:
    a 1 MiB probe is written and removed (statvfs alone cannot see quotas)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    probe = folder / f".divrl-space-probe.{os.getpid()}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"\0" * (1 << 20))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            return err.errno
        return None
    finally:
        probe.unlink(missing_ok=True)
    stats = os.statvfs(folder)
    return errno.ENOSPC if stats.f_bavail * stats.f_frsize < LOW else None


@contextmanager
def writing_into(folder: str | Path, what: str) -> Iterator[None]:
    """Run a block that writes `what` into `folder`; a write lost to a full disk becomes one OSError."""
    try:
        yield
    except Exception as err:
        code = err.errno if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT) else None
        if code is None and WRITE_FAILED.search(str(err)):
            code = room_error(folder)
        if code is None:
            raise
        raise OSError(code, f"{os.strerror(code)} while writing {what} (free space, then rerun: "
                      "it resumes from the last complete checkpoint)", str(folder)) from None
