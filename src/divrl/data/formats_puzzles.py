"""Adapters for the puzzle data sets (Countdown, Knights & Knaves); see divrl.data.formats.

Split out of formats.py, which registers them; their gold answers are structured, not strings.
"""

from __future__ import annotations

from divrl.data.row_fields import provenance, text_of

def countdown_tasks(row: dict) -> dict:
    """Jiayi-Pan/Countdown-Tasks-3to4 (data/train-00000-of-00001.parquet: target:int64, nums:list[int64]).

    Column names confirmed from TinyZero's preprocessing (dp['target'], dp['nums']);
    dtypes from the card's twins (same generator). Gold = {"target", "numbers"} as
    TinyZero's reward receives it; `question` is the bare task sentence (dedupe key).
    """
    nums, target = row.get("nums"), row.get("target")
    if not (isinstance(nums, list) and nums and all(type(n) is int for n in nums)):
        raise ValueError("'nums' is not a non-empty list of integers")
    if type(target) is not int:
        raise ValueError("'target' is not an integer")
    question = f"Using the numbers {nums}, create an equation that equals {target}."
    gold = {"target": target, "numbers": nums}
    return {"question": question, "answer": gold, "numbers": nums, "target": target}


def knights_knaves(row: dict) -> dict:
    """K-and-K/knights-and-knaves (configs train/test, splits 2ppl..8ppl, <config>/peopleN_numM.jsonl).

    Confirmed (card configs; fields as read by Logic-RL-style loaders): quiz, names,
    knight_knave, solution (list of bool, True = knight), solution_text,
    solution_text_format, cot_head, cot_repeat_steps, cot_foot, statements, index.
    Gold = {name: "knight" | "knave"}.
    """
    quiz = text_of(row, "quiz")
    names, solution = row.get("names"), row.get("solution")
    if not (isinstance(names, list) and names and all(isinstance(n, str) and n for n in names)):
        raise ValueError("'names' is not a non-empty list of names")
    if len(set(names)) != len(names):
        raise ValueError("'names' repeats a name")
    if not (isinstance(solution, list) and all(isinstance(s, bool) for s in solution)):
        raise ValueError("'solution' is not a list of booleans")
    if len(solution) != len(names):
        raise ValueError(f"'solution' has {len(solution)} entries for {len(names)} names")
    gold = {n: "knight" if s else "knave" for n, s in zip(names, solution)}
    extra = provenance(row, "solution_text_format", "index")
    return {"question": quiz, "answer": gold, "names": names, "solution": solution, **extra}
