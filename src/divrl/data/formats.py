"""Adapters from each hub data set's column layout to divrl's one row format.

Every adapter is `row -> {"question": str, "answer": gold, ...extra}` and raises
ValueError("<why>") for a malformed row, so `divrl.data.filters.apply` can count it
instead of losing it. Column layouts were looked up on the hub cards / the code that
loads them; what could not be confirmed is marked UNCONFIRMED next to the adapter, and
adapters accept the plausible alternatives (e.g. `problem` or `question`).

Gold answers of math sets are strings (AMC23's float 27.0 becomes "27") so the math
reward compares like with like; Countdown and Knights & Knaves keep structured gold.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from divrl.data.formats_puzzles import countdown_tasks, knights_knaves
from divrl.data.row_fields import boxed_gold, gold_answer, provenance, struct_field, text_of

Adapter = Callable[[dict], dict]

# DAPO-Math-17k (BytedTsinghua-SIA) wraps each problem in its own answer-format
# instructions; strip them so our templates decide the format (arXiv 2503.14476).
_DAPO_PREFIX = (
    "Solve the following math problem step by step. The last line of your response should "
    "be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
)
_DAPO_SUFFIX = '\n\nRemember to put your answer on its own line after "Answer:".'
# closing math delimiters at the end of a gold: "$", "$.", ".$" (and runs of them)
_DOLLAR_END = re.compile(r"(?:\s*(?:\$\s*\.|\.\s*\$|\$))+\s*$")


# --- one adapter per hub layout -----------------------------------------------------


def gsm8k(row: dict) -> dict:
    """openai/gsm8k, config "main" or "socratic": question, answer = "<steps>\\n#### <final>".

    Confirmed: hub card / dataset_infos (question: string, answer: string), files
    main/{train,test}-00000-of-00001.parquet. Thousands separators are dropped from the
    final answer ("1,200" -> "1200"), as the common GSM8K graders do.
    """
    question = text_of(row, "question")
    answer = row.get("answer")
    if not isinstance(answer, str) or "####" not in answer:
        raise ValueError("'answer' has no '####' final-answer marker")
    steps, final = answer.rsplit("####", 1)
    final = final.strip().replace(",", "")
    if not final:
        raise ValueError("nothing after '####' in 'answer'")
    return {"question": question, "answer": final, "solution": steps.strip()}


def math_problem(row: dict) -> dict:
    """Problem/answer sets: MATH-500, MATH12k, open-rs, AIME 2024 (and MATH with boxed solutions).

    Confirmed: HuggingFaceH4/MATH-500 test.jsonl [problem, solution, answer, subject,
    level:int, unique_id]; HuggingFaceH4/aime_2024 data/train-* [id:int, problem,
    solution, answer:str, url, year:str]. UNCONFIRMED (column names from the author's
    sibling repos / users' code): hiyouga/math12k [problem, answer],
    knoveleng/open-rs [problem, solution, answer, level:str] (its 7000-row twin
    quyanh/DeepScaleRS has exactly these). Without an `answer` column the last \\boxed{}
    of `solution` is the gold (original MATH layout).
    """
    question = text_of(row, "problem", "question")
    answer = gold_answer(row["answer"], "answer") if row.get("answer") is not None else boxed_gold(row)
    # solution: DRA-GRPO's official verifier parses it (train.dra_official_code)
    extra = provenance(row, "unique_id", "id", "level", "subject", "year", "solution")
    return {"question": question, "answer": answer, **extra}


def amc23(row: dict) -> dict:
    """math-ai/amc23 (test-00000-of-00001.parquet: question, answer) or knoveleng/AMC-23.

    `question`/`answer` for math-ai/amc23 are confirmed by several eval harnesses; its
    other columns and the answer dtype are UNCONFIRMED (knoveleng/AMC-23 and its copies
    have id:int, problem, answer:float64, url, question; open-rs evaluates `problem`,
    so `problem` wins when both exist).
    """
    question = text_of(row, "problem", "question")
    return {"question": question, "answer": gold_answer(row.get("answer"), "answer"), **provenance(row, "id", "url")}


def minerva(row: dict) -> dict:
    """math-ai/minervamath (test.jsonl: question, answer:str; confirmed from its card).

    Also takes knoveleng/Minerva-Math [problem, solution, type, idx], whose gold is the
    last \\boxed{} of `solution` (as open-rs' evaluator does).
    """
    question = text_of(row, "question", "problem")
    if row.get("answer") is not None:
        return {"question": question, "answer": gold_answer(row["answer"], "answer")}
    return {"question": question, "answer": boxed_gold(row), **provenance(row, "idx", "type")}


def _unwrap_dollars(text: str) -> str:
    """A gold without its math delimiters: "$8$." -> "8", "$x=2$" -> "x=2", "3." stays.

    OlympiadBench golds sometimes end in "$." (the sentence's full stop after the
    formula); left in place, a correct answer scores 0.1.
    """
    text = _DOLLAR_END.sub("", text.strip())
    return text.lstrip("$").strip()


def olympiadbench(row: dict) -> dict:
    """OlympiadBench in either layout: Hothan/OlympiadBench or knoveleng/OlympiadBench.

    Hothan/OlympiadBench config OE_TO_maths_en_COMP (lighteval's source; also
    math-ai/olympiadbench). Confirmed: config paths OlympiadBench/<config>/<config>.parquet
    (card), columns question, final_answer (list of str), solution (list),
    is_multiple_answer, unit, answer_type, subfield, subject, language (lighteval's
    prompt function and open-rs' loader read them). Gold as Qwen2.5-Math's evaluator
    forms it: the answer(s) without "$" delimiters (nor a trailing "$."); several
    answers are joined with ", ".

    knoveleng/OlympiadBench (DRA-GRPO's and open-rs' evaluation, split train): question,
    answer:str -- confirmed from DRA-GRPO src/open_r1/evaluate.py (olympiadbench_prompt_fn
    reads line["question"], line["answer"]); its other columns are UNCONFIRMED.
    """
    question = text_of(row, "question")
    finals = row.get("final_answer")
    if finals is None and row.get("answer") is not None:
        finals = [gold_answer(row["answer"], "answer")]
    if isinstance(finals, str):
        finals = [finals]
    if not isinstance(finals, list) or not finals or not all(isinstance(f, str) for f in finals):
        raise ValueError("neither 'final_answer' (list of strings) nor 'answer' holds an answer")
    answer = ", ".join(_unwrap_dollars(f) for f in finals)
    if not answer.replace(",", "").strip():
        raise ValueError("'final_answer' is blank")
    return {"question": question, "answer": answer, **provenance(row, "id", "subfield", "unit", "answer_type")}


def college_math(row: dict) -> dict:
    """College Math as Qwen2.5-Math's evaluation ships it (data/college_math/test.jsonl).

    R1-zero-Div reports College Math with the Qwen2.5-Math evaluation harness; that
    harness reads `question` and gold = `answer` with "$" removed (parser.py,
    parse_question / parse_ground_truth) -- confirmed. The file (2,818 rows at QwenLM/
    Qwen2.5-Math a45202bd16f1, sha256 91131bc4…) has the columns question, answer,
    data_source, question_number, license, data_topic -- read from it. No hub copy is
    known to be canonical: configs name it by `url` and `sha256`, and the workflow fetches it.
    """
    question = text_of(row, "question", "problem")
    answer = gold_answer(row.get("answer"), "answer").replace("$", "").strip()
    if not answer:
        raise ValueError("'answer' is only '$' signs")
    return {"question": question, "answer": answer, **provenance(row, "question_number", "data_topic")}


def aime25(row: dict) -> dict:
    """AIME 2025: math-ai/aime25 (test.jsonl: problem, answer, id) or opencompass/AIME2025.

    math-ai/aime25's problem/answer are used by several harnesses; its `id` column is
    UNCONFIRMED. opencompass/AIME2025 has configs AIME2025-I / AIME2025-II, split test,
    columns question, answer (confirmed from loaders that rename question -> problem).
    """
    question = text_of(row, "problem", "question")
    return {"question": question, "answer": gold_answer(row.get("answer"), "answer"), **provenance(row, "id")}


def dapo17k(row: dict) -> dict:
    """DAPO-Math-17k in either hub layout; the gold is the integer-valued ground truth.

    open-r1/DAPO-Math-17k-Processed (configs all/en/cn, <config>/train-*.parquet):
    prompt:str, solution:str, data_source, source_prompt, ability, reward_model,
    extra_info -- confirmed from its create_dataset.py. BytedTsinghua-SIA/DAPO-Math-17k
    (data/dapo-math-17k.parquet, every problem repeated many times): prompt = list of
    {content, role} messages, reward_model = {ground_truth, style}, extra_info = {index}
    -- confirmed from the card's features as mirrored. DAPO's own answer-format wrapper
    is removed from the question when present.
    """
    prompt = row.get("prompt")
    if isinstance(prompt, list):  # original layout: chat messages
        users = [m.get("content") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        prompt = users[0] if users else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("'prompt' holds no user text")
    question = prompt.strip().removeprefix(_DAPO_PREFIX.strip()).removesuffix(_DAPO_SUFFIX.strip()).strip()
    if not question:
        raise ValueError("'prompt' is only DAPO's instructions")
    gold = row.get("solution")
    if gold is None:
        gold = struct_field(row, "reward_model", "ground_truth")
    extra = {"data_source": row["data_source"]} if row.get("data_source") else {}
    index = struct_field(row, "extra_info", "index")
    if index is not None:
        extra["index"] = index
    return {"question": question, "answer": gold_answer(gold, "solution / reward_model.ground_truth"), **extra}


_REGISTRY: dict[str, Adapter] = {
    "gsm8k": gsm8k,
    "math": math_problem,
    "amc23": amc23,
    "minerva": minerva,
    "olympiadbench": olympiadbench,
    "college_math": college_math,
    "aime25": aime25,
    "dapo17k": dapo17k,
    "countdown_tasks": countdown_tasks,
    "knights_knaves": knights_knaves,
}


def names() -> list[str]:
    """Known format names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> Adapter:
    """The adapter for format `name`; ValueError listing the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown data format {name!r}; known: {', '.join(names())}") from None
