"""Countdown: reach a target with + - * / using each given number exactly once.

The reward follows TinyZero (Pan et al.): 1.0 for a correct equation, 0.1 for a
well-formed but wrong one, 0.0 otherwise. Model text is parsed with `ast` and
evaluated by walking the tree with exact `Fraction` arithmetic: no `eval`, so a
completion can never run code.

The toy completion is a bare expression ("15-4+1"); paper-style completions wrap
it in `<answer>…</answer>` and we then score the *last* such block.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction

CORRECT, FORMATTED, WRONG = 1.0, 0.1, 0.0

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
# Only digits, operators, parentheses and spaces may reach the parser: this keeps
# names, attribute access, calls and string literals out before `ast` sees them.
_ALLOWED = re.compile(r"^[0-9+\-*/() \t]+$")
_MAX_LEN = 200  # a Countdown answer is short; longer text is not an equation


class ParseError(ValueError):
    """The completion holds no arithmetic expression we accept."""


def extract_answer(completion: str) -> str:
    """The last `<answer>…</answer>` block, or the whole text when there is none."""
    blocks = _ANSWER.findall(completion)
    return (blocks[-1] if blocks else completion).strip()


def parse(expr: str) -> ast.expr:
    """Parse an arithmetic expression over integer literals; raise ParseError otherwise."""
    if not expr or len(expr) > _MAX_LEN or not _ALLOWED.match(expr):
        raise ParseError(f"not an arithmetic expression: {expr[:40]!r}")
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError as err:
        raise ParseError(f"syntax error in {expr[:40]!r}") from err
    for node in ast.walk(tree):
        if not isinstance(
            node,
            (ast.BinOp, ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div),
        ):
            raise ParseError(f"unsupported syntax {type(node).__name__} in {expr[:40]!r}")
        if isinstance(node, ast.Constant) and type(node.value) is not int:
            raise ParseError(f"non-integer literal in {expr[:40]!r}")
    return tree


def leaves(tree: ast.expr) -> list[int]:
    """The integer literals of an expression, left to right."""
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]


def evaluate(tree: ast.expr) -> Fraction:
    """Exact value of a parsed tree; ZeroDivisionError on division by zero."""
    if isinstance(tree, ast.Constant):
        return Fraction(tree.value)
    left, right = evaluate(tree.left), evaluate(tree.right)
    op = type(tree.op)
    if op is ast.Add:
        return left + right
    if op is ast.Sub:
        return left - right
    if op is ast.Mult:
        return left * right
    return left / right  # Fraction raises ZeroDivisionError itself


def reward(completion: str, numbers: list[int], target: int) -> float:
    """TinyZero Countdown reward: 1.0 correct, 0.1 well-formed but wrong, 0.0 otherwise.

    Correct means: the expression uses every number in `numbers` exactly once (as a
    multiset), only + - * / and parentheses, and its exact value equals `target`.
    """
    try:
        tree = parse(extract_answer(completion))
    except ParseError:
        return WRONG
    if sorted(leaves(tree)) != sorted(numbers):
        return FORMATTED
    try:
        value = evaluate(tree)
    except ZeroDivisionError:
        return FORMATTED
    return CORRECT if value == target else FORMATTED


def is_correct(completion: str, numbers: list[int], target: int) -> bool:
    return reward(completion, numbers, target) == CORRECT


# ----------------------------------------------------------------- canonical form
def canonical(expr: str) -> str:
    """A form that is equal for rewrites by commutativity and associativity.

    Sums are flattened to a sorted multiset of signed terms and products to a sorted
    multiset of factors with exponent ±1, so "1+15-4", "15-4+1" and "15-(4-1)"
    share one canonical form, while "2*3+4" and "2+3*4" do not. Used to count genuinely different solutions (solution multiplicity).
    """
    return _canon(parse(extract_answer(expr)))


def _canon(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    op = type(node.op)
    if op in (ast.Add, ast.Sub):
        terms = _collect(node, (ast.Add, ast.Sub), ast.Sub, +1)
        return "S(" + ",".join(sorted(("+" if s > 0 else "-") + _canon(t) for s, t in terms)) + ")"
    factors = _collect(node, (ast.Mult, ast.Div), ast.Div, +1)
    return "P(" + ",".join(sorted(("*" if s > 0 else "/") + _canon(t) for s, t in factors)) + ")"


def _collect(node: ast.expr, family: tuple, inverse: type, sign: int) -> list[tuple[int, ast.expr]]:
    """Flatten a chain of one operator family into (sign, operand) pairs."""
    if isinstance(node, ast.BinOp) and type(node.op) in family:
        right_sign = -sign if type(node.op) is inverse else sign
        return _collect(node.left, family, inverse, sign) + _collect(node.right, family, inverse, right_sign)
    return [(sign, node)]


def prompt(numbers: list[int], target: int, width: int = 0) -> str:
    """The toy prompt, left-padded with spaces to `width` characters.

    The model answers with a bare expression and then EOS. Equal-width prompts mean
    no pad tokens inside prompts, so token positions are the same in SFT, in TRL's
    training forward and in generation (none of which need position_ids then).
    """
    return ("nums " + " ".join(map(str, numbers)) + f" target {target} =").rjust(width)
