"""The equations a response states, for R1-zero-Div's Div-Equ (arXiv 2505.23433).

The paper counts "unique / all equations in the k samples of a question" without saying
what an equation is, so we define it here, per task kind, and compare equations as
strings after normalising whitespace (no algebraic equivalence: "x=1+2" and "x=2+1" are
two equations, as two differently written equations are in the paper's count).

`text_equations` (math, and any task without its own extractor). Math segments are
  `$$…$$`, `$…$`, `\\[…\\]`, `\\(…\\)` and the display environments in `_ENVS`
  (`\\begin{align*}…\\end{align*}` etc.). A segment is cut into rows at `\\\\`; every
  row that contains "=" is one equation. The text left after cutting out the segments
  is split into lines; every line that contains "=" is one equation (the whole line:
  "so 3*5 = 15 apples" and "3*5 = 15" are different equations). Inequalities (\\le,
  <) and rows without "=" are not equations.
  `$` follows pandoc's rule so that prices are not math: an opening `$` is not followed
  by a space, a closing `$` is not preceded by one nor followed by a digit; `\\$` is a
  literal dollar. An opener without its closer is ordinary text.
`countdown_equations`: every maximal run of digits, + - * / × ÷ ( ) = and spaces (no
  newline) holding at least two numbers and one operator: "(15-4)+1", "15 - 4 = 11".
  The toy's bare expression "15-4+1" is one equation; "3, 5 and 7" is none.

Normal form (the comparison key): all whitespace removed, and in math also the
alignment `&`, the spacing commands \\, \\; \\: \\! \\quad \\qquad and \\begin/\\end
markers; trailing ". , ;" dropped. So "x &= 3 + 4 ." and "x=3+4" are one equation.

Linear time: one left-to-right scan; a closer that is missing is remembered as missing,
so an opener without a closer never triggers a second scan to the end (a 1 MB response
of unclosed `\\[` takes one pass, not a quadratic number).
"""

from __future__ import annotations

import functools
import re

_ENVS = "equation|align|gather|multline|eqnarray|flalign|displaymath|math"
# openers, longest first: `$$` before `$`; an escaped `\$` is a literal dollar
_OPEN = re.compile(rf"(?<!\\)\$\$|(?<!\\)\$(?=[^\s$])|\\\[|\\\(|\\begin\{{(?:{_ENVS})\*?\}}")
_DOLLAR_CLOSE = re.compile(r"(?<![\s\\])\$(?!\d)")
_DOUBLE_CLOSE = re.compile(r"(?<!\\)\$\$")
_SPACING = re.compile(r"\\(?:q?quad(?![A-Za-z])|[,;:! ])|\\(?:begin|end)\{[^}]{0,40}\}|&")  # bounded: linear
_SPACE = re.compile(r"\s+")
_ROW = re.compile(r"\\\\")
_COUNTDOWN_RUN = re.compile(r"[0-9+\-*/×÷()= \t]+")
_NUMBER = re.compile(r"\d+")
_OPERATOR = re.compile(r"[+\-*/×÷]")


def _key(text: str) -> str:
    return _SPACE.sub("", text).rstrip(".,;")


@functools.lru_cache(maxsize=64)
def _closer(opener: str) -> re.Pattern[str]:
    if opener == "$$":
        return _DOUBLE_CLOSE
    if opener == "$":
        return _DOLLAR_CLOSE
    if opener.startswith("\\begin"):
        return re.compile(re.escape("\\end" + opener[len("\\begin"):]))
    return re.compile(re.escape({"\\[": "\\]", "\\(": "\\)"}[opener]))


def split_math(text: str) -> tuple[list[str], str]:
    """(math segment bodies, the text outside them, segments replaced by a space)."""
    segments: list[str] = []
    outside: list[str] = []
    missing: set[str] = set()  # closers known to be absent from here to the end
    pos = 0
    while True:
        m = _OPEN.search(text, pos)
        if m is None:
            break
        opener = m.group()
        close = None if opener in missing else _closer(opener).search(text, m.end())
        if close is None:
            missing.add(opener)  # a later search from further right cannot find it either
            outside.append(text[pos : m.end()])
            pos = m.end()
            continue
        outside.append(text[pos : m.start()] + " ")
        segments.append(text[m.end() : close.start()])
        pos = close.end()
    outside.append(text[pos:])
    return segments, "".join(outside)


def text_equations(text: str) -> list[str]:
    """Equations of a free-text (math) response, normalised, in order of appearance."""
    segments, outside = split_math(text)
    found = []
    for seg in segments:
        for row in _ROW.split(seg):
            if "=" in row:
                found.append(_key(_SPACING.sub("", row)))
    found += [_key(line) for line in outside.splitlines() if "=" in line]
    return found


def _balanced(key: str) -> str:
    """Drop the unmatched parentheses a run picks up at its ends: "(try 3+4)" gives "3+4"."""
    key = key.lstrip(")").rstrip("(")  # never matched at these ends
    extra = key.count("(") - key.count(")")
    if extra > 0:
        drop = len(key) - len(key.lstrip("("))
        key = key[min(drop, extra):]
    elif extra < 0:
        drop = len(key) - len(key.rstrip(")"))
        key = key[: len(key) - min(drop, -extra)]
    return key


def countdown_equations(text: str) -> list[str]:
    """Arithmetic expressions and equations of a Countdown response, normalised."""
    found = []
    for m in _COUNTDOWN_RUN.finditer(text):
        run = m.group()
        if len(_NUMBER.findall(run)) >= 2 and _OPERATOR.search(run):
            found.append(_balanced(_key(run)))
    return found
