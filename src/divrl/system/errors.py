"""Errors a user can fix, printed as one line; everything else keeps its traceback.

`divrl VERB` prints `divrl VERB: error: …` and exits 2 for a wrong config, a missing or
unreadable file, an unwritable folder, a malformed data row; `--debug` re-raises so the
traceback is there when it is needed. Bugs (TypeError, RuntimeError, …) always show theirs.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path


class ConfigError(ValueError):
    """A config that cannot run; the message names the key."""


# json.JSONDecodeError is a ValueError; FileNotFoundError, PermissionError, IsADirectoryError
# and the OSError transformers raises for a model it cannot find are OSErrors.
ONE_LINE = (ValueError, KeyError, OSError)


def one_line(err: BaseException) -> str:
    """The message of `err` in one line that names the file or key it is about."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        # "[Errno 13] Permission denied: '/x'" -> "/x: Permission denied" (the path first, as in ls)
        return f"{err.filename}: {err.strerror}"
    if isinstance(err, KeyError):
        return f"missing key {err.args[0]!r}" if err.args else "missing key"
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    # transformers' OSError for an unknown model is a paragraph; its first line names the model
    return lines[0] + (" (… more with --debug)" if len(lines) > 1 else "")


def report(err: BaseException, verb: str, debug: bool) -> int:
    """Exit status for `err`: 2 after one line on stderr, or re-raise (bug, or --debug)."""
    if debug or not isinstance(err, ONE_LINE):
        raise err
    print(f"divrl {verb}: error: {one_line(err)}", file=sys.stderr)
    return 2


def check_writable(args) -> None:
    """A verb's output folders, before any work: an unwritable one failed only when the
    work was done (after training, say), in a traceback. Creating them early is harmless:
    Snakemake creates its outputs' folders before a job starts anyway."""
    folders = [getattr(args, "out_dir", None), getattr(args, "checkpoints", None)]
    folders += [Path(path).parent for path in output_paths(args)]
    for folder in dict.fromkeys(f for f in folders if f):  # each once, in order
        Path(folder).mkdir(parents=True, exist_ok=True)  # OSError naming the folder
        if not os.access(folder, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied (output folder)", str(folder))


def output_paths(args) -> list[str]:
    """The files a verb writes: the options divrl.cli_args.output marks (NAME=FILE pairs give FILE)."""
    paths = []
    for dest in getattr(args, "outputs", None) or ():
        value = getattr(args, dest, None)
        for item in value if isinstance(value, list) else [value]:
            if item:
                paths.append(str(item[1] if isinstance(item, tuple) else item))
    return paths
