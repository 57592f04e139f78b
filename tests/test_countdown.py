
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.tasks.countdown import (
    BARE,
    CORRECT,
    FORMATTED,
    TINYZERO,
    WRONG,
    answer_key,
    canonical,
    extract_answer,
    prompt,
    reward,
)
from divrl.tasks.countdown_solver import all_expressions, solutions


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=3, max_size=3), st.randoms(use_true_random=False))
def test_every_solver_solution_is_rewarded(numbers, rnd):
    reachable = all_expressions(numbers)
    integer_targets = [v for v in reachable if v.denominator == 1 and 1 <= v <= 100]
    if not integer_targets:
        return
    target = int(rnd.choice(integer_targets))
    for text in solutions(numbers, target):
        assert reward(text, numbers, target, BARE) == CORRECT, text
        assert reward(f"<think>x</think><answer>{text}</answer>", numbers, target, BARE) == CORRECT
        assert reward(f"x</think>\n<answer>{text}</answer>", numbers, target, TINYZERO) == CORRECT
        assert answer_key(f"<answer>{text}</answer>", TINYZERO) == answer_key(text, BARE) == canonical(text)


def test_known_problem():
    sols = solutions([15, 4, 1], 12)
    assert "15-4+1" in sols and "1+15-4" in sols
    assert len({canonical(s) for s in sols}) == 1  # one solution up to rewrites


@pytest.mark.parametrize(
    "text,expected",
    [
        ("15-4+1", CORRECT),
        ("15-4-1", FORMATTED),  # wrong value
        ("15-4", FORMATTED),  # number unused
        ("15-4+1+1", FORMATTED),  # number reused
        ("15+4+1+(1-1)", FORMATTED),  # extra numbers
        ("15/(4-4)+1", FORMATTED),  # division by zero: well-formed, not a solution
        ("15-4+", WRONG),  # syntax error
        ("", WRONG),
        ("fifteen", WRONG),
        ("15.0-4+1", WRONG),  # floats are not Countdown numbers
        ("15**1-4+1", WRONG),  # power is not an allowed operator
        ("__import__('os').system('true')", WRONG),
        ("(lambda: 12)()", WRONG),
        ("[15,4,1]", WRONG),
        ("1" * 500, WRONG),  # absurdly long text is not an equation
    ],
)
def test_bare_reward_cases(text, expected):
    assert reward(text, [15, 4, 1], 12, BARE) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("15-4+1", WRONG),  # TinyZero needs the tags
        ("<answer>15-4+1</answer>", CORRECT),
        ("</think>\n<answer> (15 - 4) + 1 </answer>", CORRECT),
        ("<answer>15-4+1</answer>\n", WRONG),  # TinyZero reads the last line only
        ("<answer>15-4+1</answer>\nDone.", WRONG),
        ("<answer>15-4+1</answer> Done.", CORRECT),  # same line: the block is found
        ("<answer>15-4+1 = 12</answer>", FORMATTED),  # 12 is one number too many
        ("<answer>15-4+1=</answer>", FORMATTED),  # '=' is not an allowed character
        ("<answer>fifteen minus four plus one</answer>", FORMATTED),
        ("<answer>15.0-4+1</answer>", FORMATTED),  # the digit runs are 15, 0, 4, 1
        ("<answer>1.5*4*1-(-6)+0</answer>", FORMATTED),
        ("<answer>(15-4+1</answer>", FORMATTED),  # syntax error
        ("<answer>15/(4-4)+1</answer>", FORMATTED),  # division by zero
        ("<answer>15**1-4+1</answer>", FORMATTED),  # refused (TinyZero's eval: 1.0)
        ("<answer>15//1-4+1</answer>", FORMATTED),  # refused (TinyZero's eval: 1.0)
        ("<answer>-(4-15)+1</answer>", CORRECT),  # unary minus is Python arithmetic
        ("<answer></answer>", FORMATTED),  # an answer, without the numbers
        ("<answer>15-4+1", WRONG),  # unclosed
        ("<answer>1+1</answer> <answer>15-4+1</answer>", CORRECT),  # the last block
        ("Assistant: <answer>15-4+1</answer>", CORRECT),
        ("<answer>15-4+1</answer> Assistant: ok", WRONG),  # TinyZero splits at 'Assistant:'
    ],
)
def test_tinyzero_reward_cases(text, expected):
    assert reward(text, [15, 4, 1], 12) == reward(text, [15, 4, 1], 12, TINYZERO) == expected


def test_tinyzero_decimals_are_numbers_as_tinyzero_reads_them():
    # 2*.5 = 1 uses the digit runs 2 and 5: TinyZero counts it as using [2, 5]
    assert reward("<answer>2*.5</answer>", [2, 5], 1) == CORRECT
    assert reward("<answer>2*.5</answer>", [2, 5], 1, BARE) == WRONG


def test_tinyzero_tolerance_is_tinyzeros():
    # 5 + 1/100/100/100 is 5.000001: within TinyZero's 1e-5 of 5, not exactly 5
    assert reward("<answer>5+1/100/100/100</answer>", [5, 1, 100, 100, 100], 5) == CORRECT
    assert reward("5+1/100/100/100", [5, 1, 100, 100, 100], 5, BARE) == FORMATTED


def test_unknown_answer_format_is_an_error():
    with pytest.raises(ValueError, match="unknown Countdown answer format 'boxed'"):
        reward("1", [1], 1, "boxed")


def test_never_evaluates_code(monkeypatch):
    import builtins

    def boom(*a, **k):
        raise AssertionError("eval called")

    monkeypatch.setattr(builtins, "eval", boom)
    assert reward("15-4+1", [15, 4, 1], 12, BARE) == CORRECT
    assert reward("__import__('os')", [15, 4, 1], 12, BARE) == WRONG
    assert reward("<answer>15-4+1</answer>", [15, 4, 1], 12) == CORRECT
    assert reward("<answer>(15)(4)(1)</answer>", [15, 4, 1], 12) == FORMATTED


def test_last_answer_block_wins():
    for fmt in (BARE, TINYZERO):
        assert extract_answer("<answer>1+1</answer> no <answer>15-4+1</answer>", fmt) == "15-4+1"
        assert reward("<answer>1+1</answer><answer>15-4+1</answer>", [15, 4, 1], 12, fmt) == CORRECT
    assert extract_answer("no tags", BARE) == "no tags"
    assert extract_answer("no tags", TINYZERO) is None


def test_answer_key_reads_what_the_reward_reads():
    # TinyZero reads the last line only: an answer followed by a line has no key there
    assert answer_key("<answer>15-4+1</answer>\nok", TINYZERO) is None
    assert answer_key("<answer>15-4+1</answer>\nok", BARE) == canonical("15-4+1")
    assert answer_key("<answer> (4 - 15) * -1 + 1 </answer>", TINYZERO) is not None
    assert answer_key("<answer>- -15-4+1</answer>", TINYZERO) == canonical("15-4+1")
    assert answer_key("<answer>2**3</answer>", TINYZERO) is None  # not an answer we accept
    assert answer_key("<answer>1+()</answer>", TINYZERO) is None
    assert answer_key("junk", BARE) is None


def test_canonical_merges_rewrites_but_not_different_solutions():
    assert canonical("2*3+4") == canonical("4+3*2")
    assert canonical("15-(4-1)") == canonical("15-4+1")
    assert canonical("(2+3)*4") != canonical("2+3*4")
    assert canonical("8/(4/2)") == canonical("8/4*2")


def test_prompt_is_fixed_width():
    assert len(prompt([1, 2, 3], 6, width=30)) == 30
    assert prompt([1, 2, 3], 6).startswith("nums 1 2 3 target 6")
