"""1 MB of hostile completion text scores fast in Countdown and Knights & Knaves.

A policy can emit anything up to its length limit; a superlinear regex or parse on its
text stalls a training step or an evaluation shard. Each case here took seconds to
minutes before answer extraction went linear (the lazy <answer> regex restarts at
every opening tag; K&K's two adjacent \\s* split long space runs every possible way).
The 2 s limit is generous: each takes well under a second.
"""

import time

import pytest

from divrl.tasks import countdown, knights_knaves
from divrl.tasks.scores import CORRECT

MB = 1_000_000
LIMIT_S = 2.0

HOSTILE = {
    "open_tags": "<answer>" * (MB // 8),
    "open_tag_paren": "<answer>(" * (MB // 9),
    "digit_run": "<answer>" + "1" * MB + "</answer>",
    "digit_runs": "<answer>" + "1+" * (MB // 2) + "1</answer>",
    "nested_parens": "<answer>" + "(" * (MB // 2) + "1" + ")" * (MB // 2) + "</answer>",
    "unary_chain": "<answer>" + "- " * (MB // 2) + "15-4+1</answer>",
    "tuples": "<answer>15-4+1" + "+()" * (MB // 3) + "</answer>",
    "ellipses": "<answer>15-4+1" + "+..." * (MB // 4) + "</answer>",
    "balanced_tuples": "<answer>15-4+1+" + "+".join(["((()+())*(()+()))"] * (MB // 18)) + "</answer>",
    "one_line": "x" * MB,
    "spaces": "<answer>15" + " " * MB + "-4+1</answer>",
    "many_lines": "<answer>\n" * (MB // 9),
    "name_spaces": "Zoey" + " " * MB,
    "name_is_spaces": "Zoey is" + " " * MB + "a",
    "names_spaces": ("Zoey   Oliver is a   " * (MB // 21)),
    "kk_open_answer": "<answer>" + "Zoey is a knight, " * (MB // 18),
    "kk_lines": "Zoey is a knave\n" * (MB // 16),
}


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_countdown_scores_1mb_fast(name):
    text = HOSTILE[name]
    for fmt in countdown.ANSWER_FORMATS:
        assert _timed(countdown.reward, text, [15, 4, 1], 12, fmt) < LIMIT_S, fmt
        assert _timed(countdown.answer_key, text, fmt) < LIMIT_S, fmt


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_knights_knaves_scores_1mb_fast(name):
    text = HOSTILE[name]
    names, solution = ["Zoey", "Oliver"], [True, False]
    assert _timed(knights_knaves.reward, text, names, solution) < LIMIT_S
    assert _timed(knights_knaves.canonical, text, names) < LIMIT_S


def test_hostile_text_still_scores_as_before():
    # speed must not change the verdicts: spaces inside an answer are still an answer
    assert countdown.reward(HOSTILE["spaces"], [15, 4, 1], 12) == CORRECT
    assert countdown.reward(HOSTILE["tuples"], [15, 4, 1], 12) == countdown.FORMATTED
    assert countdown.reward(HOSTILE["open_tags"], [15, 4, 1], 12) == countdown.WRONG
    assert knights_knaves.extract_assignment("Zoey is" + " " * 10_000 + "a knight, Oliver is a knave", ["Zoey", "Oliver"]) == {
        "Zoey": True,
        "Oliver": False,
    }
    assert knights_knaves.reward(HOSTILE["kk_lines"], ["Zoey"], [False]) == knights_knaves.CORRECT
