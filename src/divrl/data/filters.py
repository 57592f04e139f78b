"""Filter loaded rows the way the papers do, counting every dropped row by reason.

The DS paper trains on the English subset of DAPO-Math-17k after de-duplication (the
original file repeats every problem many times); paper setups also cap prompt length
and data set size. `apply` runs these steps in a fixed order and returns, besides the
kept rows, an ordered count dict {"input", "dropped_<reason>"..., "kept"} in which
input == kept + the sum of the dropped counts -- no row is ever lost silently.

Order (cheap checks first, the seeded subsample last so it draws from clean rows):
  malformed -> duplicate -> non_english -> answer_unparseable -> too_long -> over_max_rows
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterable

from divrl.settings.data import FilterSpec


log = logging.getLogger(__name__)

REASONS = ("malformed", "duplicate", "non_english", "answer_unparseable", "too_long", "over_max_rows")

# CJK ideographs (the ranges open-r1 used to split DAPO-Math-17k into en/cn), plus kana
# and Hangul so Japanese and Korean rows count too.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Below this share of ASCII letters among all letters a question is not English (catches
# Cyrillic, Greek-only, ... text). Math symbols and digits are not letters, so LaTeX-heavy
# English problems are unaffected; a question without letters is kept.
MIN_ASCII_LETTER_SHARE = 0.5


def is_english(text: str) -> bool:
    """No CJK character, and at least MIN_ASCII_LETTER_SHARE of the letters are ASCII."""
    if _CJK.search(text):
        return False
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    return sum(c.isascii() for c in letters) / len(letters) >= MIN_ASCII_LETTER_SHARE


def dedupe_key(question: str) -> str:
    """Whitespace- and case-normalised question text."""
    return " ".join(question.split()).casefold()


def apply(
    rows: Iterable[dict],
    spec: FilterSpec,
    *,
    adapter: Callable[[dict], dict] | None = None,
    answer_ok: Callable[[object], bool] | None = None,
    n_tokens: Callable[[dict], int] | None = None,
) -> tuple[list[dict], dict[str, int]]:
    """Kept rows (input order) and the count of rows dropped per reason.

    `adapter` (a `divrl.data.formats` adapter) maps raw hub rows first; a ValueError
    there counts as malformed. Without it rows must already be in the internal format
    (a non-empty str "question" and an "answer"). `answer_ok(answer)` False -- or an
    exception, e.g. a parser timing out -- counts as answer_unparseable.
    `n_tokens(row)` is the prompt length in tokens (the task renders and tokenises the
    prompt); it is required when spec.max_prompt_tokens is set.
    """
    if spec.max_prompt_tokens is not None and n_tokens is None:
        raise ValueError("filters: max_prompt_tokens is set but no n_tokens callable was given")
    rows = list(rows)
    dropped: dict[str, list[int]] = {reason: [] for reason in REASONS}
    indexed, why = _adapt(rows, adapter, dropped["malformed"])
    if spec.dedupe:
        indexed = _drop_duplicates(indexed, dropped["duplicate"])
    if spec.english_only:
        indexed = _keep(indexed, lambda r: is_english(r["question"]), dropped["non_english"])
    if answer_ok is not None:
        indexed = _keep(indexed, lambda r: _safe(answer_ok, r["answer"]), dropped["answer_unparseable"])
    indexed = _keep(indexed, lambda r: not _too_long(r, spec, n_tokens), dropped["too_long"])
    indexed = _subsample(indexed, spec, dropped["over_max_rows"])
    counts = _count(len(rows), dropped, len(indexed))
    _log(dropped, len(rows), why)
    return [row for _, row in indexed], counts


def _adapt(rows: list[dict], adapter, sink: list[int]) -> tuple[list[tuple[int, dict]], str]:
    """(index, adapted row) pairs, and why the first malformed row was rejected."""
    kept, first_why = [], ""
    for i, raw in enumerate(rows):
        try:
            row = adapter(raw) if adapter is not None else raw
        except ValueError as exc:
            row, why = None, str(exc)
        else:
            why = _why_not_internal(row)
        if why:
            sink.append(i)
            first_why = first_why or why
        else:
            kept.append((i, row))
    return kept, first_why


def _why_not_internal(row: object) -> str | None:
    """Why `row` is not in the internal format, or None when it is."""
    if not isinstance(row, dict):
        return "row is not a dict"
    q = row.get("question")
    if not isinstance(q, str) or not q.strip() or "answer" not in row:
        return "row lacks a non-empty 'question' or an 'answer'"
    return None


def _drop_duplicates(indexed, sink: list[int]):
    seen: set[str] = set()
    kept = []
    for i, row in indexed:
        key = dedupe_key(row["question"])
        if key in seen:
            sink.append(i)
        else:
            seen.add(key)
            kept.append((i, row))
    return kept


def _keep(indexed, predicate: Callable[[dict], bool], sink: list[int]):
    kept = []
    for i, row in indexed:
        (kept.append((i, row)) if predicate(row) else sink.append(i))
    return kept


def _safe(answer_ok: Callable[[object], bool], answer: object) -> bool:
    try:
        return bool(answer_ok(answer))
    except Exception:  # noqa: BLE001 -- a parser that crashes on a gold answer cannot grade it
        return False


def _too_long(row: dict, spec: FilterSpec, n_tokens) -> bool:
    if spec.max_question_chars is not None and len(row["question"]) > spec.max_question_chars:
        return True
    return spec.max_prompt_tokens is not None and n_tokens(row) > spec.max_prompt_tokens


def _subsample(indexed, spec: FilterSpec, sink: list[int]):
    if spec.max_rows is None or len(indexed) <= spec.max_rows:
        return indexed
    rng = random.Random(spec.seed)
    chosen = set(rng.sample(range(len(indexed)), spec.max_rows))
    sink.extend(i for k, (i, _) in enumerate(indexed) if k not in chosen)
    return [pair for k, pair in enumerate(indexed) if k in chosen]


def _count(n_input: int, dropped: dict[str, list[int]], n_kept: int) -> dict[str, int]:
    counts = {"input": n_input}
    counts.update({f"dropped_{reason}": len(idx) for reason, idx in dropped.items()})
    counts["kept"] = n_kept
    return counts


def _log(dropped: dict[str, list[int]], n_input: int, malformed_why: str) -> None:
    for reason, idx in dropped.items():
        if idx:
            detail = f": {malformed_why}" if reason == "malformed" and malformed_why else ""
            # malformed rows are a data problem worth a warning; the rest are chosen filters
            level = logging.WARNING if reason == "malformed" else logging.INFO
            log.log(level, "filter: dropped %d of %d row(s) as %s (e.g. row %d%s)",
                    len(idx), n_input, reason, idx[0], detail)
