"""Math answers in `\\boxed{}`: extraction, equivalence reward and a canonical answer key.

The reward follows the Countdown convention: 1.0 when the last boxed answer is
mathematically equivalent to the gold answer, 0.1 when an answer was given but is not
equivalent, 0.0 when there is none. Equivalence is `math_verify` (parse both sides to
SymPy, then compare numerically, symbolically, as sets, intervals, ...), so `\\frac12`,
`0.5` and `1/2` all match a gold `\\frac{1}{2}`.

SymPy can run for ever on model text, so the answer goes through three gates:
- answers longer than MAX_ANSWER_CHARS, or that `latex_guard.refusal` flags (huge
  powers and factorials, deep nesting), are never parsed: they score 0.1, like any
  answer that cannot be verified, and their canonical key is their plain text;
- every call into `math_verify` runs under a deadline (`divrl.system.deadline`; this
  module is the worker it starts), DEFAULT_TIMEOUT_S unless the caller says otherwise;
  a timeout counts as not equivalent and is logged at debug level;
- verdicts and keys are cached per process (LRU, bounded): a group of G completions
  often repeats an answer, and a repeated bomb must not cost a deadline again. A
  timed-out verdict is cached too (call `clear_cache` to retry with a fresh budget).

The box is found here (`last_boxed`), not by math_verify's own extraction, `parse(text,
[LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=False)])`
(issue #14): in math-verify 0.9.0 that scores differently (score ours vs library;
tests/test_boxed_extraction_library.py pins each case, so an upgrade that closes a gap
is noticed):
- boxes < 70 characters apart with and/or/,/; between (or < 10 apart) are one set answer:
  `\\boxed{1} then, on reflection, \\boxed{2}`, gold 2: 1.0 vs 0.1 (it reads {1, 2});
- its box regex is the literal `\\boxed{`: `\\fbox{7}`, `\\framebox{7}`, `\\boxed {3}`
  1.0 vs 0.0; `\\boxed{1} then \\framebox {8}`, gold 8: 1.0 vs 0.1;
- without a box it takes LaTeX after the word "answer": `the answer is $7$`, gold 7, is
  no answer here (0.0), a right one there (1.0);
- an unclosed last box is read up to the text's last `}`: `\\boxed{\\frac{1}{2}` (cut off
  by the length limit) is no answer here (0.0) but a wrong one there (0.1);
- it extracts and parses in one call, so neither `_as_latex`'s mending nor the guard can
  come first: `\\boxed{-1./3}`, gold -1./3: 1.0 vs 0.1; 60 nested parentheses or 400
  nested braces: 0.1 at once vs 6-20 s inside its parse;
- its `\\boxed{.+}` search is quadratic: 700 KB of `\\boxed{` takes it 47 s, us 0.2 s.
"""

from __future__ import annotations

import atexit
import logging
import re
from functools import lru_cache
from typing import Any, TypeVar

import sympy
from math_verify import parse, verify

from divrl.system import deadline
from divrl.tasks.answer_tags import answer_blocks
from divrl.tasks.latex_guard import refusal
from divrl.tasks.scores import CORRECT, FORMATTED, WRONG

log = logging.getLogger(__name__)

FORMAT = FORMATTED  # the name some callers use for the well-formed-but-wrong reward

MAX_ANSWER_CHARS = 1000  # a real final answer is short; longer text is not parsed at all
DEFAULT_TIMEOUT_S = 1.0  # a normal answer verifies in < 0.1 s; a bomb must not cost more
CACHE_SIZE = 16_384  # (prediction, gold) verdicts and keys kept per process

# \\framebox takes optional [width][position] arguments; bounded, so a run of unclosed
# `\\framebox[` cannot make the search quadratic
_BOX = re.compile(r"\\(?:boxed|fbox|framebox)\s*(?:\[[^\]\n]{0,64}\]\s*){0,2}\{")
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)
_DOLLARS = re.compile(r"^\$+(.*?)(?<!\\)\$+$", re.DOTALL)
# "-1./3", "5.": a number ending in a bare point (Minerva golds) that latex2sympy rejects
_TRAILING_POINT = re.compile(r"(?<![\d.])(\d+)\.(?![\d.])")

T = TypeVar("T")


class _QuietTimeoutNotice(logging.Filter):
    """Drop math_verify's "Timeout is disabled" warning: we disable it on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Timeout is disabled")


for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(_QuietTimeoutNotice())


# ------------------------------------------------------------------- extraction
def _matching_braces(text: str) -> dict[int, int]:
    """Position of each `{` mapped to its matching `}`, in one pass.

    A backslash escapes the next character, so `\\{` and `\\}` (set braces) and `\\\\`
    do not count. The regex visits only backslashes and braces, so this stays linear
    (and fast) on a megabyte of `\\boxed{{{`.
    """
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACE_TOKEN.finditer(text):
        ch = token.group()
        if ch == "{":
            stack.append(token.start())
        elif ch == "}" and stack:
            pairs[stack.pop()] = token.start()
    return pairs


def last_boxed(text: str) -> str | None:
    """Content of the last balanced `\\boxed{…}`, `\\fbox{…}` or `\\framebox[…]{…}`, or None."""
    boxes = list(_BOX.finditer(text))
    if not boxes:  # skip the brace pass on box-free text (a megabyte of `{` costs ~0.3 s)
        return None
    pairs = _matching_braces(text)
    for match in reversed(boxes):
        close = pairs.get(match.end() - 1)
        if close is not None:
            return text[match.end() : close]
    return None


def extract_answer(completion: str) -> str | None:
    """The model's final answer: the last box, looked for in the last `<answer>` block
    when there is one (else in the whole text); without a box, that block's text.

    None when there is no answer, or the answer is empty (`\\boxed{}`).
    """
    blocks = answer_blocks(completion)
    scope = blocks[-1] if blocks else completion
    boxed = last_boxed(scope)
    if boxed is None and blocks:
        boxed = blocks[-1]
    if boxed is None or not boxed.strip():
        return None
    return boxed.strip()


# ------------------------------------------------------------- math_verify calls
# These run under a deadline (`_bounded`), possibly in the worker process, so they take
# and return JSON values.
def _as_latex(answer: str) -> str:
    """Wrap an answer in `\\boxed{}` so math_verify takes all of it.

    Gold answers come bare ("(1,2)", "\\text{(B)}") and math_verify's own extractor
    needs an anchor to find them; a box is the strongest anchor it knows.
    """
    text = answer.strip()
    dollars = _DOLLARS.match(text)
    if dollars:
        text = dollars.group(1).strip()
    text = _TRAILING_POINT.sub(r"\1", text)  # "-1./3" -> "-1/3", "5." -> "5"
    return "\\boxed{" + text + "}"


@lru_cache(maxsize=4096)  # gold answers repeat for every completion of a group
def _parsed(answer: str) -> tuple:
    """math_verify's parse: SymPy values first, then the raw string as a fallback."""
    return tuple(parse(_as_latex(answer), parsing_timeout=None))


def _equivalent(pred: str, gold: str) -> bool:
    return verify(list(_parsed(gold)), list(_parsed(pred)), timeout_seconds=None)


def _answer_key(answer: str) -> str:
    """str of the parsed SymPy value with floats made exact (0.5 -> 1/2), else the text."""
    for value in _parsed(answer):
        if isinstance(value, str):
            continue
        if isinstance(value, sympy.Eq) and value.lhs.is_Symbol:
            value = value.rhs  # "x=72" answers 72, as math_verify's verify also reads it
        return str(_exact(value))
    return _plain(answer)


def _exact(value: Any) -> Any:
    """Replace Float atoms by the Rational of their decimal text, so 0.75 and 3/4 agree."""
    try:
        floats = value.atoms(sympy.Float)
        return value.xreplace({f: sympy.Rational(str(f)) for f in floats}) if floats else value
    except Exception:  # noqa: BLE001 -- matrices, sets of odd objects: keep the value as parsed
        return value


def _is_parseable(answer: str) -> bool:
    return any(not isinstance(value, str) for value in _parsed(answer))


def _plain(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------- deadlines
_WORKER = deadline.Worker(__name__, ("parseable", ["1"]))
atexit.register(_WORKER.close)
_OPS = {"equivalent": _equivalent, "key": _answer_key, "parseable": _is_parseable}


def _bounded(op: str, args: tuple, timeout_s: float, default: T) -> T:
    """_OPS[op](*args) under a deadline; `default` when it times out or fails."""
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    try:
        done, value = deadline.call(_OPS, _WORKER, op, args, timeout_s)
    except Exception:
        log.debug("math_verify %s%r failed", op, args, exc_info=True)
        return default
    if not done:
        log.debug("math_verify %s timed out after %.1f s on %r", op, timeout_s, [a[:80] for a in args])
        return default
    return value


def _unparseable(answer: str) -> bool:
    """Too long, or a bomb (`latex_guard`): never handed to math_verify."""
    if len(answer) > MAX_ANSWER_CHARS:
        return True
    why = refusal(answer)
    if why:
        log.debug("answer %r refused: %s", answer[:80], why)
    return why is not None


@lru_cache(maxsize=CACHE_SIZE)
def _verdict(pred: str, gold: str, timeout_s: float) -> bool:
    if _unparseable(pred) or _unparseable(gold):
        return False
    return _bounded("equivalent", (pred, gold), timeout_s, False)


@lru_cache(maxsize=CACHE_SIZE)
def _key(pred: str, timeout_s: float) -> str:
    if _unparseable(pred):
        return _plain(pred)
    return _bounded("key", (pred,), timeout_s, _plain(pred))


def clear_cache() -> None:
    """Forget cached verdicts and keys (e.g. to re-check after a timeout on a loaded node)."""
    _verdict.cache_clear()
    _key.cache_clear()


# ------------------------------------------------------------------ public API
def verified(completion: str, answer: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool | None:
    """True / False whether the final answer equals `answer` per math_verify; None when
    the completion gives no answer. Refused, unparseable and timed-out answers are False."""
    pred = extract_answer(completion)
    if pred is None:
        return None
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    return _verdict(pred, answer, float(timeout_s))


def reward(completion: str, answer: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> float:
    """1.0 if the final boxed answer equals `answer` per math_verify, 0.1 if some
    other answer was given (or it was refused, or checking it ran past `timeout_s`),
    0.0 if none."""
    ok = verified(completion, answer, timeout_s=timeout_s)
    return WRONG if ok is None else CORRECT if ok else FORMATTED


def is_correct(completion: str, answer: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    return bool(verified(completion, answer, timeout_s=timeout_s))


def canonical(completion: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> str | None:
    """A key equal for equivalent final answers (`\\frac{1}{2}`, `0.5`, `1/2` -> "1/2")
    where math_verify parses them; the whitespace-normalised text otherwise; None when
    there is no answer. Used to count distinct answers (solution multiplicity)."""
    pred = extract_answer(completion)
    if pred is None:
        return None
    return _key(pred, float(timeout_s))


def gold_parseable(answer: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Whether math_verify turns a gold answer into a SymPy value (else it could only
    ever match by exact string, so the data filter drops the row). A gold the guard
    refuses could never verify, so it is dropped too."""
    if not answer.strip() or _unparseable(answer):
        return False
    return _bounded("parseable", (answer,), timeout_s, False)


if __name__ == "__main__":
    deadline.serve(_OPS)
