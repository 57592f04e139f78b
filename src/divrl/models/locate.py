"""Is a model or data-set name a local path (which must exist) or a hub id (resolved by transformers or `datasets`)?"""

from __future__ import annotations

import os
from pathlib import Path


def looks_local(name: str) -> bool:
    """A path rather than a hub id ("org/name"): absolute, relative, or deeper than one slash."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1


# Single data files `datasets` reads with a packaged builder (.json covers JSON Lines too).
DATA_FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}


def looks_like_data_path(source: str) -> bool:
    """A data source that is a path, never a hub id ("name" or "org/name"): looks_local, or
    a data-file suffix ("gsm8k.jsonl" is a missing file, not a repository)."""
    return looks_local(source) or Path(source).suffix.lower() in DATA_FILE_BUILDERS


def _offline() -> bool:
    """HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE, read as huggingface_hub reads them."""
    return any(os.environ.get(var, "").upper() in {"1", "ON", "YES", "TRUE"} for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def in_hf_cache(repo_id: str) -> bool:
    """The hub model has a config.json in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id ("a/b/c", spaces, …): certainly not cached
        return False


def require_model(name: str, what: str, rule: str) -> None:
    """FileNotFoundError (one line) for a missing local model folder, or an uncached hub id offline.

    Offline, transformers took ~40 s and a 114-line OSError to say a hub id is not cached;
    the cache is a file-system look-up. Online, an uncached id is left to transformers (it downloads).
    """
    if Path(name).expanduser().is_dir():
        return
    if looks_local(name):
        raise FileNotFoundError(f"{what} folder {name!r} not found; run the {rule} rule first, or give a hub id")
    if _offline() and not in_hf_cache(name):
        raise FileNotFoundError(f"{what} {name!r} not found: not a local folder and not in the Hugging Face cache (offline)")
