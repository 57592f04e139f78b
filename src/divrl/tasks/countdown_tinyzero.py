"""Countdown in TinyZero's answer format: its reward without `eval`.

Task ``countdown_tinyzero`` (the paper configs, TinyZero's prompt). `tinyzero_reward`
(= `countdown.reward(…, answer_format="tinyzero")`) scores a completion as TinyZero's `compute_score`
(Jiayi-Pan/TinyZero, verl/utils/reward_score/countdown.py) scores the prompt
followed by it, with TinyZero's chat ("qwen-instruct") prompt, which is what the
paper config renders:

1. extract_solution: the text after the first "Assistant:" (the chat prompt has
   none, so only one in the completion counts), its last line (split on "\\n"),
   the last `<answer>…</answer>` block on that line, stripped. None: 0.0.
2. validate_equation: the digit runs (`\\d+`, Unicode digits as Python's `re` and
   `int` read them) sorted must equal the sorted numbers; else 0.1. "1.5" is the
   numbers 1 and 5; a run beyond Python's int-string limit fails as TinyZero's
   bare `except` makes it fail.
3. evaluate_equation: only `^[\\d+\\-*/().\\s]+$` characters, else 0.1; then the
   value, any error 0.1; 1.0 when abs(value - target) < 1e-5, else 0.1.

The differences we keep, all in step 3:

* No `eval`. `ast.parse` (the parser `eval` uses) and then Python's own operators on
  the literals' own int/float values, so values, float rounding, ZeroDivisionError
  and OverflowError are those of `eval`.
* ``**`` and ``//`` are refused: an answer whose tree holds a power or a floor
  division scores 0.1 (well-formed, not a solution) where TinyZero scores 1.0 if
  its value hits the target. The prompt allows + - * / only, and `eval` of
  "9**9**9" would hang the reward (TinyZero's too). Every other score is
  TinyZero's: the only other trees these characters can form hold the empty tuple
  "()", Ellipsis "..." or a call "2(3)", and `eval` raises TypeError on every one
  of them (or on the final abs()), which TinyZero maps to 0.1 as we do.
* Nesting beyond about 3,000 levels (thousands of unary signs): Python's parser
  gives up with RecursionError at a depth that depends on the caller's stack, and
  `ast.parse` a few levels before `eval` does at the same stack depth. An answer
  nested in that window can score 1.0 with TinyZero and scores 0.1 here.
* TinyZero's base (non-chat) prompt contains "Assistant:" itself; under it a
  completion's own "Assistant:" would not cut its last line as it does here.

verl decodes the response with its end-of-sequence text (e.g. "<|im_end|>"), our
samplers without; that text follows the last line and changes no answer block.
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
from typing import Optional

from divrl.tasks.answer_tags import last_answer_block
from divrl.tasks.scores import CORRECT, FORMATTED, WRONG

# ----- TinyZero format: the regexes of TinyZero's countdown.py, verbatim
TZ_DIGITS = re.compile(r"\d+")
_TZ_ALLOWED = re.compile(r"^[\d+\-*/().\s]+$")
_TZ_TOLERANCE = 1e-5
# "()" (an empty tuple or a call) and "..." (Ellipsis, or a syntax error) never yield a
# number under `eval`: such answers score 0.1 without parsing, so a 1 MB answer of
# them cannot make `ast.parse` build a tree of a million nodes.
_TZ_NEVER_A_NUMBER = re.compile(r"\(\s*\)|\.\.\.")
KEY_MAX_NUMBERS = 64  # an answer key needs a parse tree; real answers use 3-6 numbers

_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def tinyzero_answer(completion: str) -> Optional[str]:
    """TinyZero's extract_solution on what follows the prompt: the last `<answer>` block
    on the last line after the first "Assistant:", stripped; None when there is none."""
    head, sep, tail = completion.partition("Assistant:")
    line = (tail if sep else head).rpartition("\n")[2]
    block = last_answer_block(line)
    return None if block is None else block.strip()


class Refused(Exception):
    """A tree we do not compute: not made of numbers, unary +/-, + - * / only."""


def _uses_numbers(equation: str, numbers: list[int]) -> bool:
    """TinyZero's validate_equation: the digit runs are exactly the numbers (as multisets)."""
    runs = list(itertools.islice(TZ_DIGITS.finditer(equation), len(numbers) + 1))
    if len(runs) != len(numbers):  # unequal sorted lists, without converting 1 MB of digits
        return False
    try:
        found = sorted(int(m.group()) for m in runs)
    except ValueError:  # a run beyond Python's int-string limit: TinyZero's `except` says False
        return False
    return found == sorted(numbers)


def tz_tree(equation: str) -> ast.expr:
    """The parse tree `eval` would compute; Refused for text it could not or would never make a number of."""
    if not _TZ_ALLOWED.match(equation) or _TZ_NEVER_A_NUMBER.search(equation):
        raise Refused
    try:
        return ast.parse(equation, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:  # eval fails alike
        raise Refused from err


def post_order(tree: ast.expr):
    """(node, children done) pairs, each node twice, children left to right.

    Iterative: a TinyZero answer may nest ~3,000 deep (unary signs), past Python's
    recursion limit. Raises Refused on any node but numbers, unary +/- and + - * /.
    """
    todo = [(tree, False)]
    while todo:
        node, done = todo.pop()
        if done:
            yield node, True
        elif isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise Refused
            yield node, True
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            todo += [(node, True), (node.operand, False)]
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            todo += [(node, True), (node.right, False), (node.left, False)]
        else:  # ** and // (refused), calls, tuples, Ellipsis
            raise Refused


def _tz_value(tree: ast.expr) -> int | float:
    """What `eval` gives for an arithmetic tree: the same operators on the same values."""
    stack: list = []
    for node, _ in post_order(tree):
        if isinstance(node, ast.Constant):
            stack.append(node.value)
        elif isinstance(node, ast.UnaryOp):
            stack.append(_UNARY[type(node.op)](stack.pop()))
        else:
            right = stack.pop()
            stack.append(_BINARY[type(node.op)](stack.pop(), right))
    return stack[0]


def tinyzero_reward(completion: str, numbers: list[int], target: int) -> float:
    equation = tinyzero_answer(completion)
    if equation is None:
        return WRONG
    if not _uses_numbers(equation, numbers):
        return FORMATTED
    try:
        value = _tz_value(tz_tree(equation))
        return CORRECT if abs(value - target) < _TZ_TOLERANCE else FORMATTED
    except (Refused, ArithmeticError, MemoryError):  # ZeroDivisionError, OverflowError: eval's errors
        return FORMATTED
