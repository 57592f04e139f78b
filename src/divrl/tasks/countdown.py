"""Countdown: reach a target with + - * / using each given number exactly once.

Rewards are TinyZero's scale: 1.0 correct, 0.1 a well-formed but wrong answer, 0.0 no
answer. Model text is never passed to `eval`: it is parsed with `ast` and the tree is
computed by walking it, so a completion can never run code. Two answer formats, each
a task of its own in `divrl.tasks.registry` (rows carry the task name, so the format
travels with the data):

``bare`` (task ``countdown``: the embedded toy)
    The completion is the expression itself ("15-4+1"); when it holds `<answer>`
    blocks the last one is the expression. Only integer literals, + - * / and
    parentheses, at most 200 characters; the value is exact (`Fraction`), so correct
    means "uses each number exactly once and equals the target". Unchanged since the
    toy's first run, so its tables stay comparable.

``tinyzero`` (task ``countdown_tinyzero``: the paper configs, TinyZero's prompt)
    TinyZero's `compute_score`, without `eval`: `countdown_tinyzero.py` says how, and
    every difference we keep.

`answer_key` is an answer's canonical form (Div-Equ, distinct answers) from the same
extraction as `reward`; `canonical` is the canonical form of a bare expression (the
solver's strings).
"""

from __future__ import annotations

import ast
import itertools
import re
from fractions import Fraction
from typing import Optional

from divrl.tasks.scores import CORRECT, FORMATTED, WRONG
from divrl.tasks.answer_tags import last_answer_block
from divrl.tasks.countdown_tinyzero import (
    KEY_MAX_NUMBERS, TZ_DIGITS, Refused, post_order, tinyzero_answer, tinyzero_reward, tz_tree,
)

BARE, TINYZERO = "bare", "tinyzero"
ANSWER_FORMATS = (BARE, TINYZERO)

# ----- bare (toy) format
# Only digits, operators, parentheses and spaces may reach the parser: this keeps
# names, attribute access, calls and string literals out before `ast` sees them.
_ALLOWED = re.compile(r"^[0-9+\-*/() \t]+$")
_MAX_LEN = 200  # a Countdown answer is short; longer text is not an equation



class ParseError(ValueError):
    """The completion holds no arithmetic expression we accept."""


def _check_format(answer_format: str) -> None:
    if answer_format not in ANSWER_FORMATS:
        raise ValueError(f"unknown Countdown answer format {answer_format!r}; known: {', '.join(ANSWER_FORMATS)}")


def extract_answer(completion: str, answer_format: str = TINYZERO) -> Optional[str]:
    """The answer text `reward` scores, stripped; None when the format finds none.

    bare: the last `<answer>…</answer>` block, or the whole text when there is none.
    tinyzero: the last block on the last line after the first "Assistant:" (see above).
    """
    _check_format(answer_format)
    if answer_format == BARE:
        block = last_answer_block(completion)
        return (completion if block is None else block).strip()
    return tinyzero_answer(completion)


# ----------------------------------------------------------------- bare format
def parse(expr: str) -> ast.expr:
    """Parse a bare expression over integer literals and + - * /; raise ParseError otherwise."""
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
    """Exact value of a parsed bare tree; ZeroDivisionError on division by zero."""
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


def _bare_reward(completion: str, numbers: list[int], target: int) -> float:
    try:
        tree = parse(extract_answer(completion, BARE))
    except ParseError:
        return WRONG
    if sorted(leaves(tree)) != sorted(numbers):
        return FORMATTED
    try:
        value = evaluate(tree)
    except ZeroDivisionError:
        return FORMATTED
    return CORRECT if value == target else FORMATTED


# ----------------------------------------------------------------- both formats
def reward(completion: str, numbers: list[int], target: int, answer_format: str = TINYZERO) -> float:
    """1.0 correct, 0.1 a well-formed but wrong answer, 0.0 no answer, in `answer_format`.

    tinyzero (default): TinyZero's compute_score, differences in the module docstring.
    bare: the toy's expression, exact arithmetic.
    """
    _check_format(answer_format)
    if answer_format == BARE:
        return _bare_reward(completion, numbers, target)
    return tinyzero_reward(completion, numbers, target)


def is_correct(completion: str, numbers: list[int], target: int, answer_format: str = TINYZERO) -> bool:
    return reward(completion, numbers, target, answer_format) == CORRECT


# ----------------------------------------------------------------- canonical form
def canonical(expr: str) -> str:
    """A form of a bare expression that is equal for rewrites by commutativity and associativity.

    Sums are flattened to a sorted multiset of signed terms and products to a sorted
    multiset of factors with exponent ±1, so "1+15-4", "15-4+1" and "15-(4-1)"
    share one canonical form, while "2*3+4" and "2+3*4" do not. Used to count genuinely
    different solutions (solution multiplicity). Raises ParseError.
    """
    return _canon(parse(extract_answer(expr, BARE)))


def answer_key(completion: str, answer_format: str = TINYZERO) -> Optional[str]:
    """The canonical form of the answer `reward` reads, or None when there is no arithmetic answer.

    tinyzero: any answer of numbers, unary +/-, + - * / and parentheses that Python
    parses, whatever numbers it uses (as the bare key does); up to 64 numbers.
    """
    _check_format(answer_format)
    if answer_format == BARE:
        try:
            return canonical(completion)
        except ParseError:
            return None
    equation = tinyzero_answer(completion)
    if equation is None:
        return None
    if len(list(itertools.islice(TZ_DIGITS.finditer(equation), KEY_MAX_NUMBERS + 1))) > KEY_MAX_NUMBERS:
        return None  # bounds the parse: a 1 MB sum would cost seconds
    try:
        return _canon(tz_tree(equation))
    except Refused:
        return None


def _canon(tree: ast.expr) -> str:
    """Canonical string of an arithmetic tree, bottom-up without recursion.

    Each node becomes a leaf text or a (family, [(sign, text)]) chain; a chain is only
    written out where a node of another family (or the root) takes it as an operand, so
    a long chain is flattened in linear time. Unary minus joins the sum family with its
    terms' signs flipped; unary plus is the identity (bare trees have neither).
    """
    done: dict[int, tuple[str, object]] = {}  # id(node) -> ("L", text) or ("S"/"P", items)
    for node, _ in post_order(tree):
        if isinstance(node, ast.Constant):
            done[id(node)] = ("L", str(node.value))
        elif isinstance(node, ast.UnaryOp):
            inner = done.pop(id(node.operand))
            if type(node.op) is ast.UAdd:
                done[id(node)] = inner
            else:
                done[id(node)] = ("S", [(-s, t) for s, t in _items(inner, "S")])
        else:
            op = type(node.op)
            family = "S" if op in (ast.Add, ast.Sub) else "P"
            items = _items(done.pop(id(node.left)), family)
            right = _items(done.pop(id(node.right)), family)
            items += [(-s, t) for s, t in right] if op in (ast.Sub, ast.Div) else right
            done[id(node)] = (family, items)
    return _text(done[id(tree)])


def _items(entry: tuple[str, object], family: str) -> list[tuple[int, str]]:
    """A node's operands as seen from a `family` chain: its own items, or itself as one."""
    kind, value = entry
    return value if kind == family else [(1, _text(entry))]  # type: ignore[return-value]


def _text(entry: tuple[str, object]) -> str:
    kind, value = entry
    if kind == "L":
        return value  # type: ignore[return-value]
    marks = ("+", "-") if kind == "S" else ("*", "/")
    return kind + "(" + ",".join(sorted((marks[0] if s > 0 else marks[1]) + t for s, t in value)) + ")"  # type: ignore[union-attr]


def prompt(numbers: list[int], target: int, width: int = 0) -> str:
    """The toy prompt, left-padded with spaces to `width` characters.

    The model answers with a bare expression and then EOS. Equal-width prompts mean
    no pad tokens inside prompts, so token positions are the same in SFT, in TRL's
    training forward and in generation (none of which need position_ids then).
    """
    return ("nums " + " ".join(map(str, numbers)) + f" target {target} =").rjust(width)
