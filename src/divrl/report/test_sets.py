"""Which test sets lost rows before evaluation, in words a table caption can carry.

Published tables are over whole benchmarks (MATH-500 is 500 problems). The data step
drops test rows it cannot score (an unparseable gold answer, a malformed row) and counts
each drop in `data/stats.json`; a reader comparing our numbers with a paper's must see
that a benchmark lost rows, so the report says it next to the tables instead of only in
the data log.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from divrl.system import textio
from typing import Optional

log = logging.getLogger(__name__)


def lost_rows(data_stats: Optional[str | Path]) -> dict[str, str]:
    """Test set -> "kept 498 of 500 rows (dropped: unparseable_gold 2)" for every set that lost rows."""
    if not data_stats or not Path(data_stats).is_file():
        return {}
    counts = json.loads(textio.read_text(data_stats)).get("filter", {})
    notes = {}
    for bench, c in counts.items():
        if bench == "train" or not isinstance(c, dict) or "kept" not in c:
            continue
        drops = {k[len("dropped_"):]: v for k, v in c.items() if k.startswith("dropped_") and v}
        if drops:
            why = ", ".join(f"{reason} {n}" for reason, n in drops.items())
            notes[bench] = f"kept {c['kept']} of {c['input']} rows (dropped: {why})"
    return notes


def note_lost_rows(table: Path, notes: dict[str, str], benches: list[str], *, log_it: bool = True) -> None:
    """Append one line per test set that lost rows to a markdown table file (and log it once)."""
    lines = [f"Test set {b}: {notes[b]}; its size differs from the published benchmark's." for b in benches if b in notes]
    for line in lines if log_it else []:
        log.warning("%s", line)
    if lines and table.is_file():
        table.write_text(table.read_text().rstrip("\n") + "\n\n" + "\n".join(lines) + "\n")
