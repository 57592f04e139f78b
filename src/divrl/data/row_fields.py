"""Small checks shared by the row adapters (formats.py, formats_puzzles.py): a text
column, a gold answer, a struct field, provenance columns. Each raises ValueError naming
the column, which the filters count as a malformed row."""

from __future__ import annotations

import math


def text_of(row: dict, *keys: str) -> str:
    """The first of `keys` holding a non-blank string, stripped."""
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise ValueError(f"no non-empty text in {' / '.join(map(repr, keys))}")


def gold_answer(value: object, key: str) -> str:
    """A math gold answer as a non-empty string; integral floats lose their '.0'."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{key!r} is {value!r}, not an answer")  # noqa: TRY004 -- the adapter contract
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{key!r} is {value!r}")
        value = int(value) if value.is_integer() else value
    text = str(value).strip()
    if not text:
        raise ValueError(f"{key!r} is empty")
    return text


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} in `text` (braces balanced), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j].strip() or None
    return None


def struct_field(row: dict, struct: str, key: str) -> object:
    """row[struct][key] for a struct column, None when either is missing or not a dict."""
    value = row.get(struct)
    return value.get(key) if isinstance(value, dict) else None


def boxed_gold(row: dict) -> str:
    """Gold from the last \\boxed{} of a `solution` text (layouts without an answer column)."""
    solution = row.get("solution")
    answer = last_boxed(solution) if isinstance(solution, str) else None
    if answer is None:
        raise ValueError("no 'answer' and no \\boxed{} in 'solution'")
    return answer


def provenance(row: dict, *keys: str) -> dict:
    """Provenance columns worth keeping (ids, levels), when present."""
    return {k: row[k] for k in keys if row.get(k) is not None}
