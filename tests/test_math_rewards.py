"""DRA-GRPO's official reward (format x 1 + cosine-scaled accuracy x 2) as a math reward
option, against hand-computed values; correctness stays the verifier's boolean."""

import math

import pytest

from divrl.tasks import math_rewards
from divrl.tasks.math_rewards import Cosine, cosine_reward, format_reward
from divrl.tasks.registry import get

MAX = Cosine().max_len  # 1000 characters (DRA-GRPO's grpo.py default)

# (correct, length, expected): correct runs 1.0 -> 0.5, wrong 0.0 -> -0.5 over [0, max_len];
# past max_len the cosine comes back up, as in open-r1 (no clipping)
HAND = [
    (True, 0, 1.0), (True, MAX // 2, 0.75), (True, MAX, 0.5), (True, 3 * MAX // 2, 0.75), (True, 2 * MAX, 1.0),
    (False, 0, 0.0), (False, MAX // 2, -0.25), (False, MAX, -0.5), (False, 3 * MAX // 2, -0.25), (False, 2 * MAX, 0.0),
]


@pytest.mark.parametrize("correct,length,expected", HAND)
def test_cosine_reward_by_hand(correct, length, expected):
    assert cosine_reward(correct, length) == pytest.approx(expected, abs=1e-12)


def test_cosine_reward_with_other_parameters():
    p = Cosine(min_value_wrong=-1.0, max_value_wrong=-0.5, min_value_correct=0.0, max_value_correct=2.0, max_len=10)
    assert cosine_reward(True, 0, p) == pytest.approx(2.0)
    assert cosine_reward(True, 10, p) == pytest.approx(0.0)
    assert cosine_reward(False, 0, p) == pytest.approx(-1.0)
    assert cosine_reward(False, 10, p) == pytest.approx(-0.5)
    assert cosine_reward(True, 2, p) == pytest.approx(1.0 + math.cos(math.pi * 0.2))


@pytest.mark.parametrize("text,expected", [
    ("<think>\nwork\n</think>\n<answer>2</answer>", 1.0),
    ("work\n</think>\n\\boxed{2}", 1.0),  # only the closing tag counts: <think> is in the prompt
    ("work</think>\\boxed{2}", 0.0),  # no newlines around the tag
    ("a\n</think>\nb\n</think>\n", 0.0),  # twice
    ("", 0.0),
])
def test_format_reward(text, expected):
    assert format_reward(text) == expected


def completion(length: int, answer: str, formatted: bool = True) -> str:
    """A completion of exactly `length` characters that boxes `answer`."""
    core = ("x\n</think>\n" if formatted else "x\n") + f"\\boxed{{{answer}}}"
    assert length >= len(core)
    return core + " " * (length - len(core))


@pytest.mark.parametrize("correct,length,expected", [h for h in HAND if h[1] > 0])
def test_dra_official_option_sums_to_format_plus_twice_cosine(correct, length, expected):
    rewards = get("math").trl_rewards("dra_official")
    assert rewards.weights == [1.0, 2.0, 0.0] and rewards.correct_index == 2
    texts = [completion(length, "2" if correct else "3"), completion(length, "2" if correct else "3", formatted=False)]
    columns = {"answer": ["2", "2"]}
    per_func = [f(["p", "p"], texts, **columns) for f in rewards.funcs]
    total = [sum(w * v[i] for w, v in zip(rewards.weights, per_func)) for i in range(2)]
    assert total == pytest.approx([1.0 + 2 * expected, 2 * expected])
    assert per_func[rewards.correct_index] == [float(correct)] * 2  # the verifier's boolean


def test_conversational_completions_are_read_as_their_content():
    rewards = get("math").trl_rewards("dra_official")
    messages = [[{"role": "assistant", "content": completion(MAX, "2")}]]
    assert rewards.funcs[1](["p"], messages, answer=["2"]) == pytest.approx([0.5])  # correct at max_len
    with pytest.raises(ValueError, match="not text or messages"):
        math_rewards.completion_text(3)


def test_reward_options_of_the_registry():
    math_task = get("math")
    default = math_task.trl_rewards()
    assert default.weights == [1.0] and default.correct_index is None
    assert default.funcs[0](["p"], ["\\boxed{2}"], answer=["2"]) == [1.0]  # tinyzero: 1 / 0.1 / 0
    with pytest.raises(ValueError) as exc:
        math_task.trl_rewards("cosine")
    assert str(exc.value) == "unknown reward option 'cosine' for task math; known: tinyzero, dra_official, accuracy_format"
    with pytest.raises(ValueError, match="for task countdown"):
        get("countdown").trl_rewards("dra_official")
