"""Refuse LaTeX "bombs" before SymPy / math_verify see them.

A policy can write a short answer that SymPy takes minutes on: a power tower
(`9^{9^{9^{9}}}`), a huge power (`10^{1000000000}`), a huge factorial (`99999999!`),
or deep nesting (latex2sympy's parse time grows steeply with depth: 16 nested
`\\frac` take ~1 s, 20 take more than 5 s). Each one used to cost a whole deadline;
64 in a batch stalled a training step for minutes. `refusal` spots them in one cheap
pass over the answer text, and the caller scores a refused answer like any other
answer it cannot verify: well formed but wrong (0.1).

The limits sit far above what a competition answer needs (MATH, AIME and olympiad
golds such as `2^{10}`, `3^{2017}`, `10!`, `\\frac{\\sqrt{3}}{2}` pass), and below where
SymPy gets slow: `2^{100000}` and `100000!` still evaluate in ~0.1 s.

Numbers are only estimated (log10 of the magnitude, from literals, powers and
factorials); anything symbolic (`x^{n}`) is not estimated and not refused for it.
"""

from __future__ import annotations

import math
import re

MAX_NESTING = 12  # brackets of all kinds, nested; real answers rarely pass 5
MAX_EXPONENT = 100_000  # |exponent| of any power
MAX_DIGITS = 100_000  # digits of a power of literals (10^{100000} has 100001)
MAX_FACTORIAL = 100_000  # n of n!

_OPEN, _CLOSE = "{([", "})]"
_NUMBER = re.compile(r"[+-]?(\d*)\.?(\d*)")
_LOG_MAX_EXPONENT = math.log10(MAX_EXPONENT)
_LOG_MAX_FACTORIAL = math.log10(MAX_FACTORIAL)


def refusal(answer: str) -> str | None:
    """Why `answer` is too costly to hand to SymPy (one line), or None when it is fine."""
    depth = _max_depth(answer)
    if depth > MAX_NESTING:
        return f"brackets nested {depth} deep (limit {MAX_NESTING})"
    pairs = _pairs(answer)
    i = 0
    while i < len(answer):
        if answer.startswith("**", i) or answer[i] == "^":
            width = 2 if answer[i] == "*" else 1
            why = _power_refusal(answer, pairs, i, width)
            if why:
                return why
            i += width
            continue
        if answer[i] == "!" and not answer.startswith("!=", i):
            n = _log10(_operand_before(answer, pairs, i))
            if n is not None and n > _LOG_MAX_FACTORIAL:
                return f"factorial of a number above {MAX_FACTORIAL}"
        i += 1
    return None


def _power_refusal(text: str, pairs: dict[int, int], at: int, width: int) -> str | None:
    exponent = _log10(_operand_after(text, pairs, at + width))
    if exponent is None:
        return None
    if exponent > _LOG_MAX_EXPONENT:
        return f"exponent above {MAX_EXPONENT}"
    base = _log10(_operand_before(text, pairs, at))
    if base is not None and base * 10**exponent > MAX_DIGITS:
        return f"a power of more than {MAX_DIGITS} digits"
    return None


# ------------------------------------------------------------------ scanning
def _max_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
    return deepest


def _pairs(text: str) -> dict[int, int]:
    """Matching bracket positions, both ways (closing -> opening and opening -> closing)."""
    pairs: dict[int, int] = {}
    stacks: dict[str, list[int]] = {o: [] for o in _OPEN}
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stacks[ch].append(i)
        elif ch in _CLOSE:
            stack = stacks[_OPEN[_CLOSE.index(ch)]]
            if stack:
                j = stack.pop()
                pairs[i], pairs[j] = j, i
    return pairs


def _operand_after(text: str, pairs: dict[int, int], i: int) -> str:
    """The exponent after a power sign: a bracketed group or a run of digits, with any
    power chained to it (`9**9**9` is 9**(9**9)).

    A run of digits rather than LaTeX's one character: the parsers downstream do not
    all read `10^100` as `10^1 00`, so the guard assumes the larger reading.
    """
    start = i
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] in _OPEN:
        end = pairs.get(i, len(text) - 1) + 1
    else:
        end = i + (i < len(text) and text[i] in "+-")
        while end < len(text) and (text[end].isdigit() or text[end] == "."):
            end += 1
    if text.startswith("**", end) or text.startswith("^", end):
        width = 2 if text[end] == "*" else 1
        return text[start:end] + text[end : end + width] + _operand_after(text, pairs, end + width)
    return text[start:end]


def _operand_before(text: str, pairs: dict[int, int], i: int) -> str:
    """The base before a power sign or `!`: a bracketed group, or a run of digits."""
    j = i
    while j > 0 and text[j - 1] == " ":
        j -= 1
    if j > 0 and text[j - 1] in _CLOSE:
        start = pairs.get(j - 1)
        return "" if start is None else text[start:j]
    k = j
    while k > 0 and (text[k - 1].isdigit() or text[k - 1] == "."):
        k -= 1
    return text[k:j]


def _log10(text: str) -> float | None:
    """log10 of |value| (at least 0) for literals, powers and factorials of literals, else None."""
    text = text.strip()
    while len(text) >= 2 and text[0] in _OPEN and _CLOSE[_OPEN.index(text[0])] == text[-1]:
        inner = text[1:-1]
        if _max_depth_balanced(inner):
            text = inner.strip()
        else:
            break
    if not text:
        return None
    number = _NUMBER.fullmatch(text)
    if number:
        digits = number.group(1).lstrip("0")
        if not digits:
            return 0.0 if number.group(1) or number.group(2) else None
        return len(digits) - 1 + math.log10(float("0." + digits[:15]) * 10)
    pairs = _pairs(text)
    power = _top_level_power(text, pairs)
    if power is not None:
        base, exponent = _log10(text[:power[0]]), _log10(text[power[1] :])
        if base is None or exponent is None:
            return None
        return math.inf if exponent > 300 else base * 10**exponent
    if text.endswith("!"):
        n = _log10(text[:-1])
        return None if n is None else (math.inf if n > 300 else n * 10**n)  # log10(n!) <= n log10 n
    return None


def _max_depth_balanced(text: str) -> bool:
    """Whether brackets in `text` never close below depth 0 (so outer brackets wrapped all of it)."""
    depth = 0
    for ch in text:
        depth += (ch in _OPEN) - (ch in _CLOSE)
        if depth < 0:
            return False
    return True


def _top_level_power(text: str, pairs: dict[int, int]) -> tuple[int, int] | None:
    """(start, end) of the first power sign outside brackets (powers associate to the right)."""
    i = 0
    while i < len(text):
        if text[i] in _OPEN and i in pairs:
            i = pairs[i] + 1
            continue
        if text[i] == "^":
            return i, i + 1
        if text.startswith("**", i):
            return i, i + 2
        i += 1
    return None
