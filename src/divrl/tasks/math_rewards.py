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
  Differences, on purpose (the paper-formula default): correctness is our verifier on
  the final boxed answer (open-r1 runs math_verify over the whole completion); open-r1
  gives 1.0 to a row whose gold does not parse, and our data filter drops such rows.
  `dra_official(..., official_code=True)` (`train.dra_official_code`) scores the
  cosine term with the official check instead, `official_verdict`, as written in
  rewards.py lines 295-321 (the `cosine` function the recipe uses):
  * the gold is the row's `solution` text (open-rs's worked solution; line 296:
    `parse(sol, extraction_mode="first_match", extraction_config=[LatexExtractionConfig()])`),
    and when nothing in it parses, the cosine term is 1.0 whatever the completion
    (lines 297-300; weighted 2.0);
  * the answer is math_verify's extraction over the whole completion, reasoning
    included (lines 302-319: LatexExtractionConfig(boxed_match_priority=0,
    try_extract_without_anchor=False) with NormalizationConfig(nits=False,
    malformed_operators=False, basic_latex=True, equations=True, boxed=True,
    units=True), extraction_mode="first_match"): the rightmost box anywhere, else
    LaTeX after "final answer is" and the like; no `<answer>` scoping;
  * the verdict is `verify(answer_parsed, gold_parsed)`, in that argument order (line 321).
  `boxed=True` is passed as the official code passes it: latex2sympy2_extended >= 1.0
  (the official code asks for >= 1.0.6) reads that field as "all"/"last"/"none", so
  True turns normalisation-level box stripping off there as here.
  Ours, where the official code cannot be matched: our rows carry `answer`, and
  `solution` only when the data preparation keeps it; without it the gold text is
  `\\boxed{answer}`, the box a worked solution ends with (logged once). The check runs
  under our deadline (OFFICIAL_TIMEOUT_S for the whole check; math_verify's own 5 s
  per-call timeouts off) and a timeout or an error counts as wrong; math-verify is
  the version pinned here (0.9.0), the official code pinned 0.5.2. The weight-0
  correctness column stays our verifier, so accuracy, pass@k and every method's
  correct/incorrect split mean the same with the switch on or off.
- `accuracy_format`: R1-zero-Div's "accuracy rewards and format rewards" (arXiv
  2505.23433 §2.2, after DeepSeek-R1), summed: accuracy 1.0 when the verifier accepts
  the final answer (else 0.0), plus format 1.0 when the completion puts an answer in
  `\\boxed{}` ("the format reward model ensures that the final answer is presented in
  a \\boxed{} format"; else 0.0). So a correct boxed answer earns 2, a wrong boxed
  one 1, a completion without a box 0. Inferred (the authors' training code, github
  nigelyaoj/R1_zero_Div, is not reachable from here): the values 1 / 0 of each term
  and their equal weights, which are those of DeepSeek-R1's rule rewards as open-r1
  (the TRL 0.16 recipe layout of the paper's Table 6) writes them; what counts as a
  box is our `boxed_math.last_boxed` with non-empty content.
"""

from __future__ import annotations

import atexit
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from divrl.system import deadline

log = logging.getLogger(__name__)

DEFAULT = "tinyzero"
THINK_CLOSE = "\n</think>\n"
OFFICIAL_TIMEOUT_S = 5.0  # math_verify's own default per parse / verify call; here for the whole check


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


def _official_verdict_unbounded(completion: str, gold_text: str) -> bool | None:
    """rewards.py lines 296-321 on one row: None when the gold does not parse."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    gold = parse(gold_text, extraction_mode="first_match", extraction_config=[LatexExtractionConfig()],
                 parsing_timeout=None)
    if len(gold) == 0:
        return None
    normalization = NormalizationConfig(nits=False, malformed_operators=False, basic_latex=True, equations=True,
                                        boxed=True, units=True)
    answer = parse(
        completion,
        extraction_config=[LatexExtractionConfig(normalization_config=normalization, boxed_match_priority=0,
                                                 try_extract_without_anchor=False)],
        extraction_mode="first_match",
        parsing_timeout=None,
    )
    return bool(verify(answer, gold, timeout_seconds=None))  # the official argument order


_OPS = {"official_verdict": _official_verdict_unbounded}
_WORKER = deadline.Worker(__name__, ("official_verdict", ["\\boxed{1}", "\\boxed{1}"]))
atexit.register(_WORKER.close)
_warned_no_solution: list[bool] = []  # one warning per process


def official_verdict(completion: str, gold_text: str, *, timeout_s: float = OFFICIAL_TIMEOUT_S) -> bool | None:
    """DRA-GRPO's accuracy check: True / False, or None when `gold_text` does not parse
    (the official cosine term is then 1.0). A timeout or an error is False."""
    try:
        done, verdict = deadline.call(_OPS, _WORKER, "official_verdict", (completion, gold_text), timeout_s)
    except Exception:
        log.debug("official math_verify check failed", exc_info=True)
        return False
    return verdict if done else False


def official_gold(answer: str, solution: object = None) -> str:
    """The official code's gold text: the row's worked `solution`, else a box around `answer`."""
    if isinstance(solution, str):
        return solution
    if not _warned_no_solution:
        _warned_no_solution.append(True)
        log.warning("dra_official_code: the rows carry no 'solution' column; the official gold text is "
                    "\\boxed{answer} instead")
    return "\\boxed{" + answer + "}"


def official_cosine(completion: str, gold_text: str, params: Cosine = Cosine()) -> float:
    """rewards.py lines 295-337: 1.0 for an unparseable gold, else the cosine-scaled verdict."""
    verdict = official_verdict(completion, gold_text)
    return 1.0 if verdict is None else cosine_reward(verdict, len(completion), params)


def dra_official(verify: Callable[[str, str], bool], params: Cosine = Cosine(), *,
                 official_code: bool = False) -> TrlRewards:
    """DRA-GRPO's format x 1.0 + cosine x 2.0, plus a weight-0 correctness column.

    `verify(completion, answer)` is the task's correctness check. `official_code`: the
    cosine term's verdict is the official code's (`official_cosine`, see the module
    docstring) instead of `verify`; the correctness column is `verify` either way.
    """

    def dra_format(prompts, completions, **columns) -> list[float]:
        return [format_reward(completion_text(c)) for c in completions]

    def dra_cosine(prompts, completions, answer, **columns) -> list[float]:
        texts = [completion_text(c) for c in completions]
        if official_code:  # TRL hands every dataset column over; `solution` where the rows keep it
            solutions = columns.get("solution") or [None] * len(texts)
            return [official_cosine(t, official_gold(a, sol), params) for t, a, sol in zip(texts, answer, solutions)]
        return [cosine_reward(verify(t, a), len(t), params) for t, a in zip(texts, answer)]

    def math_correct(prompts, completions, answer, **columns) -> list[float]:
        # same (completion, answer) pairs as dra_cosine: the verdict cache answers these
        return [float(verify(completion_text(c), a)) for c, a in zip(completions, answer)]

    return TrlRewards([dra_format, dra_cosine, math_correct], [1.0, 2.0, 0.0], correct_index=2)


def boxed_format_reward(completion: str) -> float:
    """R1-zero-Div's format reward: 1.0 when the completion has a non-empty `\\boxed{}` answer."""
    from divrl.tasks.boxed_math import last_boxed

    boxed = last_boxed(completion)
    return 1.0 if boxed is not None and boxed.strip() else 0.0


def accuracy_format(verify: Callable[[str, str], bool]) -> TrlRewards:
    """R1-zero-Div's accuracy x 1.0 + format x 1.0; the accuracy column is correctness.

    `verify(completion, answer)` is the task's correctness check. A wrong boxed answer
    sums to 1.0 like a correct unboxed one, so correctness is the accuracy column
    (correct_index 0), never the sum.
    """

    def accuracy(prompts, completions, answer, **columns) -> list[float]:
        return [float(verify(completion_text(c), a)) for c, a in zip(completions, answer)]

    def boxed_format(prompts, completions, **columns) -> list[float]:
        return [boxed_format_reward(completion_text(c)) for c in completions]

    return TrlRewards([accuracy, boxed_format], [1.0, 1.0], correct_index=0)


if __name__ == "__main__":  # the deadline worker (divrl.system.deadline.Worker)
    deadline.serve(_OPS)
