"""Boxed math answers: extraction, math_verify equivalence, canonical keys, and that
pathological answers return (main thread, other threads, a worker that must be killed)."""

import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.tasks import boxed_math

from divrl.system import deadline
from divrl.tasks.boxed_math import CORRECT, FORMATTED, WRONG, canonical, extract_answer, gold_parseable, reward

BOUND_S = 20.0  # "returns at all": generous, so a slow machine does not make this flaky


@pytest.fixture(autouse=True)
def fresh_cache():
    """Verdicts are cached per process: each test sees math_verify (and the worker) again."""
    boxed_math.clear_cache()
    yield
    boxed_math.clear_cache()


# (completion, extracted answer); also the corpus that test_boxed_extraction_library.py
# scores with math-verify's own extraction
EXTRACTIONS = [
    (r"so the answer is \boxed{42}.", "42"),
    (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),  # nested braces
    (r"\boxed{1} then, on reflection, \boxed{2}", "2"),  # the last box
    (r"\fbox{7}", "7"),
    (r"\framebox{7}", "7"),
    (r"\framebox[2cm][c]{\frac{1}{2}}", r"\frac{1}{2}"),  # optional width and position
    (r"\boxed{1} then \framebox {8}", "8"),
    (r"\boxed {3}", "3"),
    (r"\boxed{\{1,2\}}", r"\{1,2\}"),  # escaped set braces do not close the box
    (r"\boxed{ 5 }", "5"),
    (r"\boxed{1} and \boxed{2", "1"),  # an unclosed box is no box
    (r"\boxed{5} <answer>so \boxed{6}</answer>", "6"),  # the box inside <answer> wins
    (r"\boxed{5} <answer> 6 </answer>", "6"),  # <answer> without a box: its text
    ("<answer>1</answer> later <answer>2</answer>", "2"),
    ("no answer here", None),
    ("", None),
    (r"\boxed{}", None),
    (r"\boxed{   }", None),
    (r"\boxed{1", None),
    ("<answer> </answer>", None),
]


@pytest.mark.parametrize("text,expected", EXTRACTIONS)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


balanced = st.recursive(
    st.text(alphabet="0123456789+-=x^ ,.", max_size=8),
    lambda inner: st.tuples(inner, inner).map(lambda p: p[0] + "{" + p[1] + "}"),
    max_leaves=6,
)
prose = st.text(alphabet="abc 123.,:;!?()[]$\n", max_size=40)


@settings(max_examples=80, deadline=None)
@given(prose, balanced, prose, st.booleans())
def test_last_balanced_box_is_extracted(before, content, after, tagged):
    if not content.strip():
        return
    text = before + r"\boxed{" + content + "}" + after
    if tagged:
        text = r"\boxed{decoy} <answer>" + text + "</answer>"
    assert extract_answer(text) == content.strip()


EQUIVALENT = [
    ("72", "72"),
    ("72", "72.0"),
    ("72", r"\frac{144}{2}"),
    ("72", r"72 \text{ cm}"),
    ("72", "x=72"),
    (r"\frac{3}{4}", "0.75"),
    (r"\frac{3}{4}", "3/4"),
    (r"\frac{3}{4}", r"\dfrac{3}{4}"),
    (r"\frac{3}{4}", r"\tfrac34"),
    (r"$\sqrt{2}$", r"\sqrt2"),
    (r"$\sqrt{2}$", "2^{1/2}"),
    ("(1,2)", "(1, 2)"),
    (r"\text{(B)}", "B"),
    (r"\text{(B)}", "(B)"),
    (r"\text{(B)}", r"\textbf{(B)}"),
    (r"\{1,2\}", r"\{2,1\}"),
    ("x+1", "1+x"),
    (r"\frac{\sqrt{3}}{2}", r"\frac{1}{2}\sqrt{3}"),
    (r"90^\circ", "90"),
]
NOT_EQUIVALENT = [
    ("72", "73"),
    (r"\frac{3}{4}", r"\frac{4}{3}"),
    (r"$\sqrt{2}$", "1.414"),
    ("(1,2)", "(2,1)"),
    (r"\text{(B)}", "C"),
    ("[0,1)", "(0,1]"),
    ("x+1", "x-1"),
    (r"-\infty", r"\infty"),
]


@pytest.mark.parametrize("gold,pred", EQUIVALENT)
def test_equivalent_answers_get_full_reward(gold, pred):
    assert reward(rf"Thus \boxed{{{pred}}}.", gold) == CORRECT


@pytest.mark.parametrize("gold,pred", NOT_EQUIVALENT)
def test_other_answers_get_format_reward(gold, pred):
    assert reward(rf"Thus \boxed{{{pred}}}.", gold) == FORMATTED


def test_reward_levels():
    assert reward("<think>hm</think><answer>72</answer>", "72") == CORRECT  # tag, no box
    assert reward("I do not know", "72") == WRONG
    assert reward(r"\boxed{}", "72") == WRONG
    assert reward(r"\boxed{" + "1+" * 2000 + "1}", "4001") == FORMATTED  # too long to parse
    with pytest.raises(ValueError, match="timeout_s"):
        reward(r"\boxed{1}", "1", timeout_s=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(-50, 50), st.integers(1, 50), st.integers(2, 5))
def test_fractions_match_in_any_form(a, b, k):
    gold = rf"\frac{{{a}}}{{{b}}}"
    value = Fraction(a, b)
    assert reward(rf"\boxed{{{value}}}", gold) == CORRECT  # "a/b", reduced
    assert reward(rf"\boxed{{\frac{{{k * a}}}{{{k * b}}}}}", gold) == CORRECT
    assert reward(rf"\boxed{{{value + 1}}}", gold) == FORMATTED
    assert canonical(rf"\boxed{{\frac{{{k * a}}}{{{k * b}}}}}") == canonical(rf"\boxed{{{gold}}}")


def test_canonical_groups_equivalent_answers():
    half = {canonical(rf"\boxed{{{t}}}") for t in [r"\frac{1}{2}", "0.5", "1/2", r"\dfrac12", " 1 / 2 "]}
    assert len(half) == 1
    assert canonical(r"\boxed{72}") == canonical(r"\boxed{72.0}") == canonical(r"\boxed{x = 72}")
    assert canonical(r"\boxed{\frac{1}{2}}") != canonical(r"\boxed{\frac{1}{3}}")
    assert canonical("<answer>??  !</answer>") == "?? !"  # unparseable: whitespace-normalised text
    assert canonical("no answer") is None


@pytest.mark.parametrize("gold", ["72", r"\frac{3}{4}", r"$\sqrt{2}$", "(1,2)", r"\text{(B)}", "-3.5"])
def test_gold_parseable(gold):
    assert gold_parseable(gold)


@pytest.mark.parametrize("gold", ["", "  ", "??", "x" * 5000])
def test_gold_unparseable(gold):
    assert not gold_parseable(gold)


def _garbage(n: int) -> str:
    rng = random.Random(0)
    return "".join(rng.choice(r"\{}^_$()[]0123456789abcx+-*/ boxed") for _ in range(n))


PATHOLOGICAL = [
    r"\boxed{9^{9^{9^{9^{9}}}}}",
    r"\boxed{10^{10^{100}}}",
    r"\boxed{(10^{7})!}",
    r"\boxed{10^{10^{10}} - 10^{10^{10}} + 1}",
    _garbage(50_000),
    r"\boxed{" * 20_000,
    "}" * 25_000 + r"\boxed{" + "{" * 25_000,
    r"\boxed{" + "{" * 400 + "}" * 400 + "}",
    r"\boxed{}",
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: t[:24])
def test_pathological_answers_return(text):
    start = time.monotonic()
    assert reward(text, "1", timeout_s=0.5) in (WRONG, FORMATTED)
    canonical(text, timeout_s=0.5)
    assert time.monotonic() - start < BOUND_S
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0  # our alarm is gone
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # and so is our handler


def test_other_threads_use_the_worker():
    jobs = [(r"\boxed{\frac{1}{2}}", "0.5"), (PATHOLOGICAL[0], "1"), (r"\boxed{3}", "4")]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        got = list(pool.map(lambda job: reward(*job, timeout_s=1.0), jobs))
        key = pool.submit(canonical, r"\boxed{0.5}").result()
    assert got == [CORRECT, FORMATTED, FORMATTED]
    assert key == canonical(r"\boxed{1/2}")
    assert time.monotonic() - start < BOUND_S


def test_a_worker_that_does_not_answer_is_killed_and_replaced(monkeypatch):
    monkeypatch.setattr(boxed_math, "refusal", lambda answer: None)  # let the bomb reach the worker

    def in_thread(*args, **kw):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(reward, *args, **kw).result()

    in_thread(r"\boxed{1}", "1")  # a started worker, so only the kill is timed below
    monkeypatch.setattr(deadline, "WORKER_GRACE_S", -0.8)  # wait 0.2 s for a 1 s alarm
    start = time.monotonic()
    assert in_thread(PATHOLOGICAL[1], "1", timeout_s=1.0) == FORMATTED
    assert time.monotonic() - start < BOUND_S
    assert boxed_math._WORKER._proc is None  # killed
    monkeypatch.setattr(deadline, "WORKER_GRACE_S", 2.0)
    assert in_thread(r"\boxed{2}", "2") == CORRECT  # a fresh worker


def test_someone_elses_alarm_is_left_alone():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60.0)
        assert reward(r"\boxed{0.5}", r"\frac12") == CORRECT  # answered by the worker
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60.0
        assert not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_swallowed_deadline_fires_again_and_nothing_stays_armed():
    """A deadline raised inside a gc callback is lost; the re-armed alarm must still end the call."""
    def swallow_first_deadline_then_spin():
        try:  # what Python does with an exception raised in a gc callback: drop it
            time.sleep(1.0)
        except deadline.Deadline:
            pass
        time.sleep(5.0)  # the re-armed alarm must interrupt this
        return "finished"

    t0 = time.perf_counter()
    ok, value = deadline.with_alarm(swallow_first_deadline_then_spin, (), 0.1)
    assert (ok, value) == (False, None) and time.perf_counter() - t0 < 2.0
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0  # disarmed: no stray SIGALRM later
