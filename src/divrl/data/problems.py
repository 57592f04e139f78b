"""Problem files: jsonl rows {"id", "prompt", "task", ...task fields}, read with row checks.

Every data source (the toy generator, hub data sets) writes this one format, so
training and evaluation never care where problems came from. Rows without a "task"
key are Countdown rows (the toy's files before tasks had names).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from divrl.system import textio
from divrl.tasks.registry import Task, get

log = logging.getLogger(__name__)
DEFAULT_TASK = "countdown"


def write_jsonl(rows: list[dict], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")


def task_of(problems: list[dict]) -> Task:
    """The one task all rows share (loaded files are checked for that)."""
    return get(problems[0].get("task", DEFAULT_TASK)) if problems else get(DEFAULT_TASK)


def _why_unusable(row: object) -> str | None:
    if not isinstance(row, dict):
        return "not a JSON object"
    for key in ("id", "prompt"):
        if key not in row:
            return f"missing {key!r}"
    try:
        task = get(row.get("task", DEFAULT_TASK))
    except ValueError as err:
        return str(err)
    missing = [f for f in task.fields if f not in row]
    if missing:
        return f"missing {missing[0]!r} (task {task.name})"
    return task.check_row(row)


def load_problems(path: str | Path) -> list[dict]:
    """Read a problems jsonl; malformed rows are skipped, counted and logged.

    Raises ValueError naming the file (and line) when no usable row remains, rows mix tasks,
    an id repeats (samples and comparisons are keyed by it: a file made by hand is checked
    here as the data step checks its own) or the file is not UTF-8.
    """
    good, bad, first = [], [], {}
    for lineno, line in enumerate(textio.read_text(path).split("\n"), 1):  # not splitlines(): U+2028 is text
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            bad.append((lineno, "invalid JSON"))
            continue
        why = _why_unusable(row)
        if why:
            bad.append((lineno, why))
            continue
        key = str(row["id"])
        if key in first:
            raise ValueError(f"{path}: line {lineno}: problem id {row['id']!r} repeats line {first[key]}; ids must be unique")
        first[key] = lineno
        good.append(row)
    if bad:
        shown = "; ".join(f"line {n}: {why}" for n, why in bad[:5])
        log.warning("%s: skipped %d malformed row(s) of %d (%s)", path, len(bad), len(bad) + len(good), shown)
    if not good:
        raise ValueError(f"{path}: no usable problem rows ({len(bad)} malformed)")
    tasks = sorted({row.get("task", DEFAULT_TASK) for row in good})
    if len(tasks) > 1:
        raise ValueError(f"{path}: rows mix tasks {tasks}; one file holds one task")
    return good
