"""Brute-force Countdown solver: every distinct solution string of a problem.

Knowing all solutions lets the pipeline report solution multiplicity and draw
supervised targets uniformly among them (a diverse base model).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def _wrap(text: str, prec: int, need: int, strict: bool) -> str:
    return f"({text})" if prec < need or (strict and prec == need) else text


def _combine(a: tuple, b: tuple, op: str) -> tuple | None:
    """Combine (value, text, precedence) operands with minimal parentheses."""
    va, ta, pa = a
    vb, tb, pb = b
    if op == "/" and vb == 0:
        return None
    value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else None}[op]
    p = _PREC[op]
    left = _wrap(ta, pa, p, strict=False)
    right = _wrap(tb, pb, p, strict=op in "-/")  # a-(b+c), a/(b*c) keep their parens
    return value, f"{left}{op}{right}", p


def all_expressions(numbers: Iterable[int]) -> dict[Fraction, set[str]]:
    """Every value reachable using each number exactly once, with all distinct texts.

    Recursively combines two of the remaining operands with each operator, so every
    binary tree over every ordering is produced. Texts use minimal parentheses.
    """
    start = [(Fraction(n), str(n), 3) for n in numbers]
    out: dict[Fraction, set[str]] = {}
    seen: set[tuple[str, ...]] = set()

    def rec(items: list[tuple]) -> None:
        key = tuple(sorted(t for _, t, _ in items))
        if key in seen:
            return
        seen.add(key)
        if len(items) == 1:
            value, text, _ = items[0]
            out.setdefault(value, set()).add(text)
            return
        for i in range(len(items)):
            for j in range(len(items)):
                if i == j:
                    continue
                rest = [items[k] for k in range(len(items)) if k not in (i, j)]
                for op in "+-*/":  # (i, j) and (j, i) both run: a+b and b+a are distinct texts
                    combined = _combine(items[i], items[j], op)
                    if combined is not None:
                        rec(rest + [combined])

    rec(start)
    return out


def solutions(numbers: list[int], target: int) -> list[str]:
    """All distinct solution strings (minimal parentheses), sorted."""
    return sorted(all_expressions(numbers).get(Fraction(target), set()))
