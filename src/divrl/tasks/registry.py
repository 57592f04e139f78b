"""Tasks by name: what a problem row holds, how a completion is scored, and its answer key.

A problem row (one line of `data/train.jsonl` or `data/test/BENCH.jsonl`) is
{"id", "prompt", "task", ...the task's fields}; the rest of divrl (TRL reward function,
evaluation, diversity metrics) reads a problem only through its `Task`, so a new task
is one entry here plus its checker module.

Rewards follow TinyZero's scale everywhere: 1.0 correct, 0.1 a well-formed answer that
is wrong, 0.0 no parseable answer. `canonical` maps a completion to its answer's
equivalence class (solution multiplicity, Div-Equ); None means "no answer".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional



@dataclass(frozen=True)
class Task:
    name: str
    fields: tuple[str, ...]  # row keys the checker reads besides the completion
    score: Callable[..., float]  # (completion, **fields) -> 1.0 / 0.1 / 0.0
    key: Callable[..., Optional[str]]  # (completion, **fields) -> canonical answer or None
    check_row: Callable[[dict], Optional[str]]  # why a row is unusable, or None
    answer_ok: Optional[Callable[[Any], bool]] = None  # gold answer usable (data filter)
    # the equations a completion states, for Div-Equ (metrics/equations.py); None: free-text rules
    equations: Optional[Callable[[str], list[str]]] = None

    def equations_of(self, completion: str) -> list[str]:
        if self.equations is not None:
            return self.equations(completion)
        from divrl.metrics.equations import text_equations

        return text_equations(completion)

    def reward(self, completion: str, row: dict) -> float:
        return self.score(completion, **{f: row[f] for f in self.fields})

    def canonical(self, completion: str, row: dict) -> Optional[str]:
        return self.key(completion, **{f: row[f] for f in self.fields})

    def trl_reward(self) -> Callable[..., list[float]]:
        """A TRL reward function: the dataset's task columns arrive as keyword lists."""

        def reward(prompts, completions, **columns) -> list[float]:
            rows = [{f: columns[f][i] for f in self.fields} for i in range(len(completions))]
            return [self.score(c, **r) for c, r in zip(completions, rows)]

        reward.__name__ = f"{self.name}_reward"  # TRL logs rewards under the function's name
        return reward

    def trl_rewards(self, option: str = "tinyzero", *, official_code: bool = False):
        """Reward functions + weights for training under a named reward option
        (divrl.tasks.math_rewards); correctness stays the task's verifier either way.
        `official_code` (train.dra_official_code): dra_official with DRA-GRPO's own verifier."""
        from divrl.tasks.math_rewards import DEFAULT, TrlRewards

        if official_code and option != "dra_official":
            raise ValueError(f"dra_official_code needs the dra_official reward, not {option!r}")
        if option == DEFAULT:
            return TrlRewards([self.trl_reward()], [1.0])
        options = _REWARD_OPTIONS.get(self.name, {})
        if option not in options:
            raise ValueError(f"unknown reward option {option!r} for task {self.name}; known: {', '.join([DEFAULT, *options])}")
        return options[option](official_code=True) if official_code else options[option]()


# ----------------------------------------------------------------- row checks
def _countdown_row(row: dict) -> Optional[str]:
    nums = row.get("numbers")
    if not (isinstance(nums, list) and nums and all(type(n) is int for n in nums)):
        return "'numbers' is not a non-empty list of integers"
    if type(row.get("target")) is not int:
        return "'target' is not an integer"
    return None


def _math_row(row: dict) -> Optional[str]:
    answer = row.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        return "'answer' is not a non-empty string"
    return None


def _kk_row(row: dict) -> Optional[str]:
    names, solution = row.get("names"), row.get("solution")
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        return "'names' is not a non-empty list of strings"
    if not (isinstance(solution, list) and len(solution) == len(names) and all(type(s) is bool for s in solution)):
        return "'solution' is not a list of booleans as long as 'names'"
    return None


# ----------------------------------------------------------------- checkers (imported lazily)
# Countdown's answer format is part of the task name, which every problem row carries:
# "countdown" is the toy's bare expression (its result paths and data files keep that
# name), "countdown_tinyzero" TinyZero's <answer> format and reward (paper configs).
def _countdown_score(completion: str, numbers: list[int], target: int) -> float:
    from divrl.tasks.countdown import BARE, reward

    return reward(completion, numbers, target, answer_format=BARE)


def _countdown_key(completion: str, numbers: list[int], target: int) -> Optional[str]:
    from divrl.tasks.countdown import BARE, answer_key

    return answer_key(completion, answer_format=BARE)


def _countdown_tinyzero_score(completion: str, numbers: list[int], target: int) -> float:
    from divrl.tasks.countdown import TINYZERO, reward

    return reward(completion, numbers, target, answer_format=TINYZERO)


def _countdown_tinyzero_key(completion: str, numbers: list[int], target: int) -> Optional[str]:
    from divrl.tasks.countdown import TINYZERO, answer_key

    return answer_key(completion, answer_format=TINYZERO)


def _countdown_equations(completion: str) -> list[str]:
    from divrl.metrics.equations import countdown_equations

    return countdown_equations(completion)


def _math_score(completion: str, answer: str) -> float:
    from divrl.tasks.boxed_math import reward

    return reward(completion, answer)


def _math_key(completion: str, answer: str) -> Optional[str]:
    from divrl.tasks.boxed_math import canonical

    return canonical(completion)


def _math_verified(completion: str, answer: str) -> bool:
    from divrl.tasks.boxed_math import is_correct

    return is_correct(completion, answer)


def _math_dra_official(official_code: bool = False):
    from divrl.tasks.math_rewards import dra_official

    return dra_official(_math_verified, official_code=official_code)


def _math_accuracy_format():
    from divrl.tasks.math_rewards import accuracy_format

    return accuracy_format(_math_verified)


_REWARD_OPTIONS: dict[str, dict[str, Callable[[], Any]]] = {
    "math": {"dra_official": _math_dra_official, "accuracy_format": _math_accuracy_format},
}


def _math_answer_ok(answer: Any) -> bool:
    from divrl.tasks.boxed_math import gold_parseable

    return isinstance(answer, str) and gold_parseable(answer)


def _kk_score(completion: str, names: list[str], solution: list[bool]) -> float:
    from divrl.tasks.knights_knaves import reward

    return reward(completion, names, solution)


def _kk_key(completion: str, names: list[str], solution: list[bool]) -> Optional[str]:
    from divrl.tasks.knights_knaves import canonical

    return canonical(completion, names)


_TASKS = {
    t.name: t
    for t in (
        Task("countdown", ("numbers", "target"), _countdown_score, _countdown_key, _countdown_row,
             equations=_countdown_equations),
        Task("countdown_tinyzero", ("numbers", "target"), _countdown_tinyzero_score, _countdown_tinyzero_key,
             _countdown_row, equations=_countdown_equations),
        Task("math", ("answer",), _math_score, _math_key, _math_row, _math_answer_ok),
        Task("knights_knaves", ("names", "solution"), _kk_score, _kk_key, _kk_row),
    )
}


def names() -> list[str]:
    return sorted(_TASKS)


def get(name: str) -> Task:
    if name not in _TASKS:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(names())}")
    return _TASKS[name]
