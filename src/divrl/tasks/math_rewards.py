"""Named reward options for the math task: what the policy is trained on.

Correctness (accuracy, DS's correct/incorrect split, Div's correct-only mask, pass@k)
is always the verifier's boolean (`boxed_math.verified`); an option only changes the
scalar reward GRPO sees.

- `tinyzero` (default): 1.0 correct, 0.1 an answer that is wrong, 0.0 no answer.
- `dra_official`: DRA-GRPO's released recipe (github xiwenc1/DRA-GRPO,
  recipes/dra_grpo.yaml lines 46-51: reward_funcs [format, cosine], reward_weights
  [1.0, 2.0]), written here from its definitions:
  * format (src/open_r1/rewards.py lines 71-82): 1.0 when the completion contains
    "\n</think>\n" exactly once, else 0.0 (only the closing tag is counted: the
    opening one is in the prompt);
  * cosine (rewards.py lines 268-341, open-r1's cosine-scaled accuracy): with
    t = len(completion) / max_len (characters, not tokens: rewards.py line 322) and
    c = cos(pi * t), the reward is lo + (hi - lo) * (1 + c) / 2, where (lo, hi) =
    (min_value_correct, max_value_correct) for a correct answer and
    (max_value_wrong, min_value_wrong) for a wrong one. The recipe sets no cosine_*
    value, so the script defaults apply (src/open_r1/grpo.py lines 80-99):
    min_value_wrong 0.0, max_value_wrong -0.5, min_value_correct 0.5,
    max_value_correct 1.0, max_len 1000. So a correct answer earns 1.0 at length 0
    falling to 0.5 at max_len, a wrong one 0.0 falling to -0.5. t is not clipped:
    past max_len the cosine comes back up (length 2000 scores like length 0), as in
    the original.
  Differences, on purpose: correctness is our verifier on the final boxed answer
  (open-r1 runs math_verify over the whole completion); open-r1 gives 1.0 to a row
  whose gold does not parse, and our data filter drops such rows instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT = "tinyzero"
THINK_CLOSE = "\n</think>\n"


@dataclass(frozen=True)
class Cosine:
    """open-r1's cosine-scaled accuracy parameters (DRA-GRPO's defaults)."""

    min_value_wrong: float = 0.0
    max_value_wrong: float = -0.5
    min_value_correct: float = 0.5
    max_value_correct: float = 1.0
    max_len: int = 1000  # characters


@dataclass(frozen=True)
class TrlRewards:
    """What GRPOTrainer takes: reward functions and their weights (summed per completion).

    `correct_index`: the function whose value is 1.0 exactly for verified-correct
    completions (weight 0, so it only reports); None when the weighted sum itself is
    1.0 iff correct (tinyzero), where `sum >= 1.0` is correctness as before.
    """

    funcs: list[Callable[..., list[float]]]
    weights: list[float]
    correct_index: int | None = None


def format_reward(completion: str) -> float:
    """DRA-GRPO's format reward: one "\\n</think>\\n" in the completion."""
    return 1.0 if completion.count(THINK_CLOSE) == 1 else 0.0


def cosine_reward(correct: bool, length: int, params: Cosine = Cosine()) -> float:
    """open-r1's cosine-scaled accuracy for a completion of `length` characters."""
    if correct:
        lo, hi = params.min_value_correct, params.max_value_correct
    else:  # the wrong branch runs from max_value_wrong up to min_value_wrong
        lo, hi = params.max_value_wrong, params.min_value_wrong
    cosine = math.cos(math.pi * length / params.max_len)
    return lo + 0.5 * (hi - lo) * (1.0 + cosine)


def completion_text(completion: object) -> str:
    """A TRL completion as text: a string, or the content of a conversational one."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise ValueError(f"completion is {type(completion).__name__}, not text or messages")


def dra_official(verify: Callable[[str, str], bool], params: Cosine = Cosine()) -> TrlRewards:
    """DRA-GRPO's format x 1.0 + cosine x 2.0, plus a weight-0 correctness column.

    `verify(completion, answer)` is the task's correctness check.
    """

    def dra_format(prompts, completions, **columns) -> list[float]:
        return [format_reward(completion_text(c)) for c in completions]

    def dra_cosine(prompts, completions, answer, **columns) -> list[float]:
        texts = [completion_text(c) for c in completions]
        return [cosine_reward(verify(t, a), len(t), params) for t, a in zip(texts, answer)]

    def math_correct(prompts, completions, answer, **columns) -> list[float]:
        # same (completion, answer) pairs as dra_cosine: the verdict cache answers these
        return [float(verify(completion_text(c), a)) for c, a in zip(completions, answer)]

    return TrlRewards([dra_format, dra_cosine, math_correct], [1.0, 2.0, 0.0], correct_index=2)
