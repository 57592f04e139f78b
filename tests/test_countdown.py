
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.tasks.countdown import CORRECT, FORMATTED, WRONG, canonical, extract_answer, prompt, reward
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
        assert reward(text, numbers, target) == CORRECT, text
        assert reward(f"<think>x</think><answer>{text}</answer>", numbers, target) == CORRECT


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
def test_reward_cases(text, expected):
    assert reward(text, [15, 4, 1], 12) == expected


def test_never_evaluates_code(monkeypatch):
    import builtins

    def boom(*a, **k):
        raise AssertionError("eval called")

    monkeypatch.setattr(builtins, "eval", boom)
    assert reward("15-4+1", [15, 4, 1], 12) == CORRECT
    assert reward("__import__('os')", [15, 4, 1], 12) == WRONG


def test_last_answer_block_wins():
    assert extract_answer("<answer>1+1</answer> no <answer>15-4+1</answer>") == "15-4+1"
    assert reward("<answer>1+1</answer><answer>15-4+1</answer>", [15, 4, 1], 12) == CORRECT


def test_canonical_merges_rewrites_but_not_different_solutions():
    assert canonical("2*3+4") == canonical("4+3*2")
    assert canonical("15-(4-1)") == canonical("15-4+1")
    assert canonical("(2+3)*4") != canonical("2+3*4")
    assert canonical("8/(4/2)") == canonical("8/4*2")


def test_prompt_is_fixed_width():
    assert len(prompt([1, 2, 3], 6, width=30)) == 30
    assert prompt([1, 2, 3], 6).startswith("nums 1 2 3 target 6")
