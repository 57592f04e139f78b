"""R1-zero-Div's training reward (arXiv 2505.23433 §2.2): accuracy + format, summed, with the
accuracy column (never the sum) as correctness."""

import pytest

from divrl.tasks import registry
from divrl.tasks.boxed_math import is_correct
from divrl.tasks.math_rewards import accuracy_format, boxed_format_reward


def slow_has_boxed_answer(text: str) -> bool:
    """Independent format check: some `\\boxed{` whose braces close around non-blank text."""
    start = text.find("\\boxed{")
    while start != -1:
        depth, i = 1, start + len("\\boxed{")
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0 and text[start + len("\\boxed{") : i - 1].strip():
            return True
        start = text.find("\\boxed{", start + 1)
    return False


# (completion, gold, accuracy, format): values of the paper's two rule rewards, by hand
CASES = [
    ("2 + 2 = 4, so \\boxed{4}", "4", 1.0, 1.0),
    ("I think \\boxed{5}", "4", 0.0, 1.0),
    ("the answer is 4", "4", 0.0, 0.0),
    ("<answer>4</answer>", "4", 1.0, 0.0),  # right, but not in \boxed{}
    ("\\boxed{}", "4", 0.0, 0.0),
    ("\\boxed{4", "4", 0.0, 0.0),  # never closed
    ("\\boxed{\\frac{1}{2}}", "0.5", 1.0, 1.0),
]


@pytest.mark.parametrize("completion, gold, acc, fmt", CASES)
def test_each_term_and_their_sum(completion, gold, acc, fmt):
    rewards = accuracy_format(is_correct)
    assert rewards.weights == [1.0, 1.0] and rewards.correct_index == 0
    columns = [f([None], [completion], answer=[gold])[0] for f in rewards.funcs]
    assert columns == [acc, fmt]
    assert boxed_format_reward(completion) == float(slow_has_boxed_answer(completion))


def test_correctness_is_the_accuracy_column_not_the_sum():
    """A wrong boxed answer sums to 1.0, the tinyzero threshold of "correct": the trainer must read column 0."""
    rewards = accuracy_format(is_correct)
    for completion, gold, acc, _ in CASES:
        columns = [f([None], [completion], answer=[gold])[0] for f in rewards.funcs]
        assert (columns[rewards.correct_index] >= 1.0) == is_correct(completion, gold)
    wrong_boxed = [f([None], ["\\boxed{5}"], answer=["4"])[0] for f in rewards.funcs]
    assert sum(w * v for w, v in zip(rewards.weights, wrong_boxed)) >= 1.0


def test_it_is_a_named_option_of_the_math_task_only():
    math = registry.get("math").trl_rewards("accuracy_format")
    assert len(math.funcs) == 2 and math.correct_index == 0
    with pytest.raises(ValueError, match="unknown reward option 'accuracy_format' for task countdown"):
        registry.get("countdown").trl_rewards("accuracy_format")


def test_the_trainer_takes_weights_and_correctness_column(tiny_base, tmp_path):
    from divrl.train.run import build_trainer

    from divrl.settings.train import TrainSpec
    rows = [{"id": f"m{i}", "prompt": f"{i}+{i}=", "task": "math", "answer": str(2 * i)} for i in range(1, 9)]
    spec = TrainSpec(steps=1, prompts_per_step=2, num_generations=4, reward="accuracy_format")
    trainer = build_trainer("div", {}, 0, spec, str(tiny_base), rows, tmp_path / "ck")
    assert trainer.args.reward_weights == [1.0, 1.0] and trainer.correct_index == 0
    trainer.train()
    assert trainer._correct is not None and str(trainer._correct.dtype) == "torch.bool"
