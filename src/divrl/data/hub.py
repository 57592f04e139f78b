"""Load a data set's rows with `datasets`, from a hub id or from a pre-staged local copy.

Paper-scale runs read the papers' public data sets (GSM8K, MATH-500, DAPO-Math-17k,
Countdown-Tasks-3to4, Knights & Knaves, ...). Cluster nodes are often offline, so every
source the hub offers can also be given as a local path, and an offline failure becomes
one line that says how to pre-stage the data instead of a retry-laden traceback.

`source` is, in the order tried:
  1. a folder written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk`
     (has `state.json` or `dataset_dict.json`)            -> `load_from_disk`;
  2. any other folder: a copy of the hub repository (README.md with its YAML `configs:`
     block, parquet/jsonl files)                            -> `load_dataset(folder, name)`;
  3. a single .parquet / .jsonl / .json / .csv file         -> the matching packaged builder;
  4. otherwise a hub id such as "openai/gsm8k"              -> `load_dataset(id, name)`
     (served from the local HF cache when offline and already cached).

Rows come back as plain dicts, exactly as the data set stores them; mapping the columns
to divrl's row format is `divrl.data.formats`' job.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import datasets
from datasets.exceptions import DatasetGenerationError, DatasetNotFoundError

from divrl.models.locate import DATA_FILE_BUILDERS, looks_like_data_path

log = logging.getLogger(__name__)


def load_rows(
    source: str,
    *,
    name: str | None = None,
    split: str = "train",
    data_files=None,
    cache_dir: str | None = None,
) -> list[dict]:
    """All rows of one split of `source` (see the module docstring for what it may be).

    `name` is the hub config (e.g. "main" for openai/gsm8k, "en" for
    open-r1/DAPO-Math-17k-Processed); `data_files` is passed on to `load_dataset` for a
    folder or hub id. `cache_dir` is where `datasets` writes its Arrow cache (default:
    HF_DATASETS_CACHE). Raises ValueError with a one-line message naming `source` when
    it cannot be read, is offline and not staged, or lacks `split`.
    """
    path = Path(source).expanduser()
    if path.is_dir():
        if _is_saved_to_disk(path):
            ds = _from_disk(path, split, name)
        else:
            ds = _load_dataset(str(path.resolve()), name, split, data_files, cache_dir, source)
    elif path.is_file():
        ds = _load_file(path, split, data_files, cache_dir)
    elif looks_like_data_path(source):  # a missing path must not reach the hub as an id
        raise ValueError(f"data source {source!r}: no such file or folder")
    else:
        ds = _load_dataset(source, name, split, data_files, cache_dir, source)
    return ds.to_list()


def _is_saved_to_disk(folder: Path) -> bool:
    return (folder / "state.json").is_file() or (folder / "dataset_dict.json").is_file()


def _from_disk(folder: Path, split: str, name: str | None) -> datasets.Dataset:
    if name is not None:
        log.info("%s: a save_to_disk folder holds one config; ignoring name=%r", folder, name)
    loaded = datasets.load_from_disk(str(folder))
    if isinstance(loaded, datasets.DatasetDict):
        return _pick_split(loaded, split, str(folder))
    # A saved single Dataset has no split layer: it *is* the split the user staged.
    return loaded


def _pick_split(dd: datasets.DatasetDict, split: str, source: str) -> datasets.Dataset:
    if split not in dd:
        raise ValueError(f"data source {source!r}: no split {split!r}; available: {', '.join(dd)}")
    return dd[split]


def _load_file(path: Path, split: str, data_files, cache_dir: str | None) -> datasets.Dataset:
    builder = DATA_FILE_BUILDERS.get(path.suffix.lower())
    if builder is None:
        known = ", ".join(sorted(DATA_FILE_BUILDERS))
        raise ValueError(f"data source {str(path)!r}: unsupported file type {path.suffix!r} (use {known})")
    if data_files is not None:
        raise ValueError(f"data source {str(path)!r}: data_files only applies to a folder or hub id")
    if _is_empty(path):  # `datasets` would end in a bare StopIteration from its schema inference
        raise ValueError(f"data source {str(path)!r}: the file is empty (no rows)")
    # The file becomes the requested split, so split="test" works on a staged test file.
    try:
        return datasets.load_dataset(
            builder, data_files={split: str(path)}, split=split, cache_dir=cache_dir
        )
    except DatasetGenerationError as exc:
        raise ValueError(_generation_error(str(path), [path], exc)) from None


def _is_empty(path: Path) -> bool:
    """No bytes, or (a text file under 1 MiB) only whitespace."""
    size = path.stat().st_size
    if size == 0:
        return True
    return path.suffix.lower() != ".parquet" and size < (1 << 20) and not path.read_bytes().strip()


def _load_dataset(
    target: str, name: str | None, split: str, data_files, cache_dir: str | None, source: str
) -> datasets.Dataset:
    try:
        return datasets.load_dataset(
            target, name, split=split, data_files=data_files, cache_dir=cache_dir
        )
    except (ConnectionError, DatasetNotFoundError) as exc:
        raise ValueError(_unreachable(source, exc)) from None
    except DatasetGenerationError as exc:
        folder = Path(target)
        files = sorted(folder.rglob("*.json*")) if folder.is_dir() else []
        raise ValueError(_generation_error(source, files, exc)) from None
    except ValueError as exc:
        raise ValueError(_explain_value_error(target, name, split, source, exc)) from None


def _generation_error(source: str, files: list[Path], exc: Exception) -> str:
    """One line for `datasets`' 80-line DatasetGenerationError, which names neither file nor line.

    The usual cause is a line of a JSON Lines file that is not JSON (a truncated copy, a
    merge marker): find the first one. Otherwise the innermost cause's first line.
    """
    for file in files:
        bad = _first_bad_json_line(file)
        if bad:
            return f"data source {source!r}: {bad}"
    cause = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"data source {source!r}: cannot be read ({type(cause).__name__}: {first})"


def _first_bad_json_line(path: Path) -> str | None:
    """'FILE line N: not JSON (why)' for the first unparseable line of a .jsonl/.json file."""
    if path.suffix.lower() not in (".jsonl", ".json") or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".json":
        try:  # a .json file may hold one document instead of lines
            json.loads(text)
            return None
        except json.JSONDecodeError:
            pass
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                json.loads(line)
            except json.JSONDecodeError as err:
                return f"{path} line {number}: not JSON ({err.msg}: {line.strip()[:40]!r})"
    return None


def _unreachable(source: str, exc: Exception) -> str:
    offline = datasets.config.HF_HUB_OFFLINE
    why = "HF_HUB_OFFLINE is set" if offline else f"hub unreachable or unknown id ({type(exc).__name__})"
    return (
        f"data source {source!r} is not available locally ({why}); pre-stage it on a machine "
        f"with network: `hf download --repo-type dataset {source} --local-dir DIR`, "
        "then point the config's data source at DIR"
    )


def _explain_value_error(
    target: str, name: str | None, split: str, source: str, exc: ValueError
) -> str:
    """One line for the common mistakes; `datasets`' own text otherwise, prefixed by source."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Unknown split" in first:
        try:
            names = datasets.get_dataset_split_names(target, name)
            return f"data source {source!r}: no split {split!r}; available: {', '.join(names)}"
        except Exception as err:  # noqa: BLE001 -- datasets' own message lists the splits too
            log.debug("%s: could not list splits (%s)", source, err)
    return f"data source {source!r}: {first}"
