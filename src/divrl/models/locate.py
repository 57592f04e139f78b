"""Is a model name a local folder (which must exist) or a hub id (resolved by transformers)?"""

from __future__ import annotations

from pathlib import Path


def looks_local(name: str) -> bool:
    """A path rather than a hub id ("org/name"): absolute, relative, or deeper than one slash."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1


def require_model(name: str, what: str, rule: str) -> None:
    """FileNotFoundError (one line) for a missing local model folder; hub ids pass."""
    if looks_local(name) and not Path(name).is_dir():
        raise FileNotFoundError(f"{what} folder {name!r} not found; run the {rule} rule first, or give a hub id")
