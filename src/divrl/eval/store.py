"""Evaluation samples on disk: one Parquet file per shard, zstd-compressed, columnar.

One row per sample, one row group per problem (so a reader holds one problem at a time):

    problem  int32    position of the problem in the test file
    id       string   the problem's id (dictionary-encoded: written once per row group)
    sample   int32    sample index 0 … N−1; −1 is the greedy decode
    text     string   the completion
    reward   float32  the task's reward
    correct  bool     reward == CORRECT
    answer   string   the task's canonical answer (null: none), filled where a metric
                      reads it: correct samples and the first div_equ_samples
    cosine, spearman_rho, spearman_p   float64   the problem's embedding metrics over
                      its first diversity_samples (same on each of its rows; null: not computed)

The file's key-value metadata holds `divrl` = JSON of the writer's provenance (model,
spec, shard, problem range, fingerprint). Files are written to a temporary name and
renamed, so a killed job never leaves a half file under the final name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from divrl.system.atomic import replacing

log = logging.getLogger(__name__)

SCHEMA = pa.schema([
    ("problem", pa.int32()),
    ("id", pa.string()),
    ("sample", pa.int32()),
    ("text", pa.string()),
    ("reward", pa.float32()),
    ("correct", pa.bool_()),
    ("answer", pa.string()),
    # per-problem embedding statistics, repeated on its rows (run-length encoded to ~0 bytes);
    # the shard job computes them where the GPU is, null: left to the merge
    ("cosine", pa.float64()),
    ("spearman_rho", pa.float64()),
    ("spearman_p", pa.float64()),
])
STATS = ("cosine", "spearman_rho", "spearman_p")
COMPRESSION = "zstd"
GREEDY = -1  # `sample` of the greedy decode


def table_of(problem: int, pid: str, texts: list[str], rewards: list[float], correct: list[bool],
             answers: list[str | None], first: int = 0, stats: tuple | None = None) -> pa.Table:
    """One problem's rows (sample indices first, first+1, …; pass first=GREEDY for the greedy row);
    stats: (cosine, spearman_rho, spearman_p) of the problem, if computed."""
    n = len(texts)
    values = stats or (None, None, None)
    return pa.table({
        "problem": pa.array([problem] * n, pa.int32()),
        "id": pa.array([str(pid)] * n, pa.string()),
        "sample": pa.array(range(first, first + n), pa.int32()),
        "text": pa.array(texts, pa.string()),
        "reward": pa.array(rewards, pa.float32()),
        "correct": pa.array(correct, pa.bool_()),
        "answer": pa.array(answers, pa.string()),
        **{name: pa.array([v] * n, pa.float64()) for name, v in zip(STATS, values)},
    }, schema=SCHEMA)


def write(path: str | Path, tables: Iterable[pa.Table], meta: dict) -> Path:
    """Write tables (one row group each) atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = SCHEMA.with_metadata({"divrl": json.dumps(meta, sort_keys=True)})
    with replacing(path) as tmp, pq.ParquetWriter(tmp, schema, compression=COMPRESSION,
                                                  use_dictionary=["id", "answer"]) as writer:
        for table in tables:
            writer.write_table(table.replace_schema_metadata(schema.metadata), row_group_size=max(1, table.num_rows))
    return path


class DamagedFile(ValueError):
    """A samples file or part that cannot be read (truncated, overwritten, bit rot): `path` names it."""

    def __init__(self, path: str | Path, why: str):
        super().__init__(f"{path}: damaged samples file ({why})")
        self.path = Path(path)


@contextmanager
def _reading(path: str | Path) -> Iterator[None]:
    """pyarrow's errors name no file ("Parquet magic bytes not found in footer"): name it."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DamagedFile(path, str(err).splitlines()[0] if str(err) else type(err).__name__) from None


def meta_of(path: str | Path) -> dict:
    """The `divrl` provenance a file was written with ({} for a foreign file)."""
    with _reading(path):
        raw = pq.read_schema(path).metadata or {}
        return json.loads(raw.get(b"divrl", b"{}"))


def row_groups(path: str | Path) -> Iterator[pa.Table]:
    """Each row group of one file, in order (one problem, or one problem's part)."""
    with _reading(path):
        f = pq.ParquetFile(path)
        for i in range(f.num_row_groups):
            yield f.read_row_group(i)


def readable_meta(path: Path, aside: Path) -> dict | None:
    """A part's provenance if the whole file reads back (every page decompressed), else None
    after setting the file aside as `aside`: a resumed job samples it again instead of failing on it."""
    try:
        with _reading(path):
            pq.read_table(path)
        return meta_of(path)
    except DamagedFile as err:
        set_aside(path, str(err), aside)
        return None


def set_aside(path: Path, why: str, target: Path | None = None) -> Path:
    """Move a damaged file to `target` (default: set_aside/NAME beside it; kept for a look, out of
    every rule's way), with one log line naming it, like a damaged checkpoint (train/checkpoints.py)."""
    first = target or path.parent / "set_aside" / path.name
    first.parent.mkdir(parents=True, exist_ok=True)
    target, i = first, 0
    while target.exists():  # an earlier damaged copy stays
        i += 1
        target = first.with_name(f"{first.name}.{i}")
    path.replace(target)
    log.warning("%s; set aside as %s", why, target)
    return target


def problems(paths: Iterable[str | Path]) -> Iterator[tuple[int, str, dict]]:
    """(problem position, id, columns as lists) per problem, over files in the given order.

    Holds one problem's rows at a time; a problem split over consecutive row groups (a
    resumed shard) is joined back.
    """
    current: list[pa.Table] = []
    for path in paths:
        for table in row_groups(path):
            if current and table.column("problem")[0].as_py() != current[0].column("problem")[0].as_py():
                yield _columns(current)
                current = []
            current.append(table)
    if current:
        yield _columns(current)


def _columns(tables: list[pa.Table]) -> tuple[int, str, dict]:
    cols = pa.concat_tables(tables).to_pydict()
    return cols["problem"][0], cols["id"][0], cols
