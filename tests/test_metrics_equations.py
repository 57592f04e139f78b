"""What counts as an equation for Div-Equ (metrics/equations.py), and that finding them is linear."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from divrl.metrics.equations import countdown_equations, split_math, text_equations
from divrl.tasks.registry import get as get_task


@pytest.mark.parametrize(
    "text,want",
    [
        ("Let $x$ be the price. Then $x = 3 + 4$.", ["x=3+4"]),  # $x$ holds no "=": not an equation
        ("$$ y &= 2 \\\\ z = 5. $$", ["y=2", "z=5"]),  # rows of a display, & and trailing "." dropped
        ("\\[a=b\\] and \\(c = d\\)", ["a=b", "c=d"]),
        ("\\begin{align*} p &= q \\quad \\\\ r \\le s \\end{align*}", ["p=q"]),  # inequality: not one
        ("\\[\\begin{aligned} u &= v \\\\ w&=t \\end{aligned}\\]", ["u=v", "w=t"]),
        ("so 3 * 5 = 15 apples\nthe answer is 15", ["so3*5=15apples"]),  # a plain line: the whole line
        ("He pays $5 * 3 = $15.", ["Hepays$5*3=$15"]),  # prices are not math ($ before a space / digit)
        ("costs \\$5, so $x=5$", ["x=5"]),  # escaped dollar is literal
        ("we get $x = 1$.\nso $x=1$ again", ["x=1", "x=1"]),  # repeats are kept (A is a multiset)
        ("unclosed \\[ x = 1", ["unclosed\\[x=1"]),  # an opener without closer is text
        ("no maths at all", []),
    ],
)
def test_text_equations_hand_examples(text, want):
    assert text_equations(text) == want


@pytest.mark.parametrize(
    "text,want",
    [
        ("15-4+1", ["15-4+1"]),  # the toy's bare expression: one equation
        ("15 - 4 + 1", ["15-4+1"]),
        ("<think>15 - 4 = 11, then 11 + 1 = 12 (try 3+4)</think><answer>(15 - 4) + 1</answer>",
         ["15-4=11", "11+1=12", "3+4", "(15-4)+1"]),
        ("the numbers 3, 5 and 7", []),  # no operator between two numbers
        ("-5", []),
        ("junk", []),
    ],
)
def test_countdown_equations_hand_examples(text, want):
    assert countdown_equations(text) == want


def test_tasks_pick_their_extractor():
    assert get_task("countdown").equations_of("15-4+1") == ["15-4+1"]
    assert get_task("math").equations_of("$x = 2$") == ["x=2"]
    assert get_task("knights_knaves").equations_of("Zoey is a knight") == []


def test_whitespace_is_normalised_before_comparing():
    assert text_equations("$x  =\t3+ 4$") == text_equations("$x=3+4$") == text_equations("x = 3 + 4")


@given(st.text(alphabet="$\\[]()x=1 \n{}begin", max_size=200))
def test_math_segments_and_outside_cover_the_text(text):
    segments, outside = split_math(text)
    # nothing is invented: every segment is a piece of the text, and so is every outside line
    assert all(s in text for s in segments)
    assert all(e.count("=") >= 1 for e in text_equations(text))


@pytest.mark.parametrize(
    "text",
    [
        "\\[" * 500_000,  # openers without a closer (the quadratic case of a naive search)
        "$a " * 350_000,
        "\\begin{align}" * 80_000,
        "x = 1\n" * 170_000,
        "$$" + "\\begin{" * 150_000 + "=$$",
        "(1+" * 350_000,
    ],
)
def test_extraction_is_linear_on_a_megabyte(text):
    assert len(text) >= 1_000_000
    t0 = time.perf_counter()
    text_equations(text)
    countdown_equations(text)
    assert time.perf_counter() - t0 < 5  # linear: well under a second; quadratic: minutes
