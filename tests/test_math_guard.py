"""LaTeX bombs are refused before SymPy sees them, real answers are not, repeated
answers hit the verdict cache, and megabytes of hostile text are scanned in linear time."""

import inspect
import resource
import time

import pytest

from divrl.tasks import boxed_math
from divrl.tasks.boxed_math import CORRECT, FORMATTED, WRONG, canonical, extract_answer, gold_parseable, reward
from divrl.tasks.latex_guard import MAX_NESTING, refusal

BOMBS = [
    r"9^{9^{9^{9}}}",
    r"10^{1000000000}",
    "99999999!",
    r"\frac{1}{" * 90 + "2" + "}" * 90,
    r"10^{10^{100}}",
    "(10^{7})!",
    "9**9**9",
    "x^{-100000000}",
    "(" * 60 + "2" + ")" * 60,
]
# Real competition answers (MATH, AIME, olympiads) that must still be handed to math_verify.
REAL = ["2^{10}", r"\frac{1}{2}", "10!", "3^{2017}", "2^{2^{10}}", "100!", r"\binom{10}{3}", "n!",
        r"\left(\frac{\sqrt{3}}{2}, \frac{1}{2}\right)", r"\{(1,2),(3,4)\}", r"x^{2}+2x+1", r"e^{i\pi/4}",
        r"2^{100000}", "[0,1)", r"\frac{1}{\frac{1}{\frac{1}{2}}}", r"10^{-6}", r"1.5 \times 10^{8}", "-1./3"]


@pytest.fixture(autouse=True)
def fresh_cache():
    boxed_math.clear_cache()
    yield
    boxed_math.clear_cache()


@pytest.mark.parametrize("bomb", BOMBS, ids=lambda b: b[:20])
def test_bombs_are_refused_and_score_as_wrong_answers(bomb):
    assert refusal(bomb) is not None and "\n" not in refusal(bomb)
    start = time.monotonic()
    assert reward(rf"\boxed{{{bomb}}}", "1") == FORMATTED
    assert canonical(rf"\boxed{{{bomb}}}") == " ".join(bomb.split())  # the plain text
    assert not gold_parseable(bomb)
    assert time.monotonic() - start < 0.5  # no deadline was spent


@pytest.mark.parametrize("answer", REAL)
def test_real_answers_pass_the_guard_and_verify(answer):
    assert refusal(answer) is None
    assert gold_parseable(answer)
    assert reward(rf"The answer is $\boxed{{{answer}}}$.", answer) == CORRECT


def test_nesting_limit_is_inclusive():
    assert refusal(r"\frac{1}{" * MAX_NESTING + "2" + "}" * MAX_NESTING) is None
    assert refusal(r"\frac{1}{" * (MAX_NESTING + 1) + "2" + "}" * (MAX_NESTING + 1)) is not None


def test_trailing_point_numbers_verify():
    """Minerva golds such as "-1./3" parse and compare as -1/3 does."""
    for pred in ("-1/3", r"-\frac{1}{3}", "-0.3333333"):
        assert reward(rf"\boxed{{{pred}}}", "-1./3") == CORRECT
    assert reward(r"\boxed{1/3}", "-1./3") == FORMATTED
    assert reward(r"\boxed{5.}", "5") == CORRECT


def test_default_deadline_is_at_most_one_second():
    assert boxed_math.DEFAULT_TIMEOUT_S <= 1.0
    for fn in (reward, canonical, gold_parseable, boxed_math.is_correct):
        assert inspect.signature(fn).parameters["timeout_s"].default <= 1.0


def test_a_batch_of_64_bombs_takes_well_under_a_training_step():
    """It took 64 deadlines (5 s each: ~320 s) before the guard."""
    batch = [f"<think>hm</think> \\boxed{{{BOMBS[i % 4].replace('9', str(3 + i % 7))}}} {i}" for i in range(64)]
    start = time.monotonic()
    assert {reward(c, "1") for c in batch} == {FORMATTED}
    assert time.monotonic() - start < 5.0  # generous: ~0.01 s here


def test_verdicts_are_cached_and_the_cache_is_bounded(monkeypatch):
    calls = []
    real = boxed_math._bounded

    def counting(op, args, timeout_s, default):
        calls.append(op)
        return real(op, args, timeout_s, default)

    monkeypatch.setattr(boxed_math, "_bounded", counting)
    for _ in range(3):
        assert reward(r"\boxed{0.5}", r"\frac12") == CORRECT
        canonical(r"\boxed{0.5}")
    assert calls == ["equivalent", "key"]
    assert 0 < boxed_math._verdict.cache_info().maxsize <= 100_000
    assert 0 < boxed_math._key.cache_info().maxsize <= 100_000


MEGABYTE = [
    "<answer>" * 130_000,
    "\\boxed{" * 100_000,
    "<answer>" + "\\boxed{" * 100_000 + "</answer>" * 10,
    "\\framebox[" * 100_000,
    "{" * 500_000 + "}" * 500_000,
    "\\" * 1_000_000,
    "<answer>\\boxed{1}</answer>" * 40_000,
    "\\boxed " + " " * 1_000_000,
]


@pytest.mark.parametrize("text", MEGABYTE, ids=lambda t: f"{t[:12]}x{len(t)}")
def test_megabyte_hostile_completions_score_fast(text):
    """A guard against quadratic or exponential blow-ups (minutes), not a speed target: CPU time
    of this process and its children, so a loaded machine does not fail it (wall time did, at
    3.4 s with 6 processes on 2 cores)."""
    def cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    start = cpu()
    assert reward(text, "1") in (WRONG, FORMATTED, CORRECT)
    extract_answer(text)
    canonical(text)
    assert cpu() - start < 2.0  # generous: well under 0.5 s here
