"""Countdown in the TinyZero format scores every completion as TinyZero's compute_score.

The reference below is TinyZero's verl/utils/reward_score/countdown.py (Jiayi-Pan/TinyZero
at 95df88f), copied line for line except: the random debug printing is gone, SyntaxWarnings are muted, and
`evaluate_equation` evaluates nothing holding ** or // — the one documented difference,
which also keeps this test's `eval` from ever running 9**9**9. It is fed TinyZero's own
prompt (make_prefix, "qwen-instruct") followed by the completion, as verl does.
"""

import re
import warnings

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from divrl.tasks.countdown import TINYZERO, answer_key, reward


# ------------------------------------------------------------ TinyZero (reference)

from divrl.tasks.scores import CORRECT, FORMATTED, WRONG
def extract_solution(solution_str):
    """Extract the equation from the solution string."""
    # Remove everything before the first "Assistant:"
    if "Assistant:" in solution_str:
        solution_str = solution_str.split("Assistant:", 1)[1]
    elif "<|im_start|>assistant" in solution_str:
        solution_str = solution_str.split("<|im_start|>assistant", 1)[1]
    else:
        return None
    solution_str = solution_str.split("\n")[-1]

    answer_pattern = r"<answer>(.*?)</answer>"
    match = re.finditer(answer_pattern, solution_str)
    matches = list(match)
    if matches:
        final_answer = matches[-1].group(1).strip()
    else:
        final_answer = None
    return final_answer


def validate_equation(equation_str, available_numbers):
    """Validate that equation only uses available numbers and each number once."""
    try:
        numbers_in_eq = [int(n) for n in re.findall(r"\d+", equation_str)]
        available_numbers = sorted(available_numbers)
        numbers_in_eq = sorted(numbers_in_eq)
        return numbers_in_eq == available_numbers
    except:  # noqa: E722 -- TinyZero's own
        return False


def evaluate_equation(equation_str):
    try:
        allowed_pattern = r"^[\d+\-*/().\s]+$"
        if not re.match(allowed_pattern, equation_str):
            raise ValueError("Invalid characters in equation.")
        if "**" in equation_str or "//" in equation_str:  # ours: refused, never evaluated
            raise ValueError("power or floor division")
        with warnings.catch_warnings():  # ours: "2(3)" warns before it raises; keep the log clean
            warnings.simplefilter("ignore", SyntaxWarning)
            result = eval(equation_str, {"__builtins__": None}, {})
        return result
    except Exception:
        return None


def compute_score(solution_str, ground_truth, method="strict", format_score=0.1, score=1.0):
    target = ground_truth["target"]
    numbers = ground_truth["numbers"]
    equation = extract_solution(solution_str=solution_str)
    if equation is None:
        return 0
    if not validate_equation(equation, numbers):
        return format_score
    try:
        result = evaluate_equation(equation)
        if result is None:
            return format_score
        if abs(result - target) < 1e-5:
            return score
        else:
            return format_score
    except:  # noqa: E722
        return format_score


def make_prefix(numbers, target, template_type="qwen-instruct"):
    """TinyZero's examples/data_preprocess/countdown.py prompt."""
    if template_type == "base":
        return f"""A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer.
User: Using the numbers {numbers}, create an equation that equals {target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.
Assistant: Let me solve this step by step.
<think>"""
    return f"""<|im_start|>system\nYou are a helpful assistant. You first thinks about the reasoning process in the mind and then provides the user with the answer.<|im_end|>\n<|im_start|>user\n Using the numbers {numbers}, create an equation that equals {target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.<|im_end|>\n<|im_start|>assistant\nLet me solve this step by step.\n<think>"""


def tinyzero(completion, numbers, target, template_type="qwen-instruct"):
    return compute_score(make_prefix(numbers, target, template_type) + completion, {"target": target, "numbers": numbers})


# ------------------------------------------------------------ generated completions
numbers_st = st.lists(st.integers(0, 30), min_size=1, max_size=4)
SPACE = st.sampled_from(["", "", "", " ", "  ", "\t", "\xa0", "\x0c"])


@st.composite
def expressions(draw, numbers):
    """An expression over `numbers` (permuted), mostly + - * / with random parentheses and spaces."""
    atoms = [str(n) for n in draw(st.permutations(numbers))]
    ops = st.sampled_from(["+", "-", "*", "/"] * 6 + ["**", "//", "%", "=", "x"])
    while len(atoms) > 1:
        i = draw(st.integers(0, len(atoms) - 2))
        left, right = atoms[i], atoms[i + 1]
        text = f"{left}{draw(SPACE)}{draw(ops)}{draw(SPACE)}{right}"
        if draw(st.booleans()):
            text = f"({text})"
        atoms[i : i + 2] = [text]
    expr = atoms[0]
    for _ in range(draw(st.integers(0, 2))):  # unary signs
        expr = draw(st.sampled_from(["-", "+", "- ", "-("])) + expr + (")" if expr.startswith("(") else "")
    return expr


MUTATIONS = [
    lambda e, t: e,
    lambda e, t: e,
    lambda e, t: e,
    lambda e, t: f"{e} = {t}",  # `expr = target`
    lambda e, t: f"{e}={t}",
    lambda e, t: e.replace("1", "1.0", 1),  # decimals
    lambda e, t: e.replace("2", ".5", 1),
    lambda e, t: e.replace("3", "3.", 1),
    lambda e, t: e + " is the answer",  # words
    lambda e, t: "the answer is " + e,
    lambda e, t: e.replace(")", "", 1),  # unbalanced parentheses
    lambda e, t: "(" + e,
    lambda e, t: e + "/0",  # division by zero
    lambda e, t: e + "/(1-1)",
    lambda e, t: e + "*()",  # not numbers: a tuple, a call, Ellipsis
    lambda e, t: e + "(1)",
    lambda e, t: "..." + e,
    lambda e, t: e.replace("1", "\u0661", 1),  # a Unicode digit: \d matches, Python's parser does not
    lambda e, t: e + "\n",
    lambda e, t: "-" * 2990 + e,  # near the parser's nesting limit
    lambda e, t: "(" * 201 + e + ")" * 201,
    lambda e, t: e + "**2",
    lambda e, t: e.replace("/", "//", 1),
    lambda e, t: "",
]

WRAPS = [
    lambda a: f"<answer>{a}</answer>",
    lambda a: f" reasoning </think>\n<answer>{a}</answer>",
    lambda a: f"</think><answer> {a} </answer>",
    lambda a: f"<answer>{a}</answer>\n",  # trailing newline: the last line is empty
    lambda a: f"<answer>{a}</answer>\nSo that is it.",
    lambda a: f"<answer>{a}</answer> done",
    lambda a: f"<answer>1+1</answer><answer>{a}</answer>",
    lambda a: f"<answer>{a}</answer><answer>1+1</answer>",
    lambda a: f"<answer>{a}</answer>\n<answer>1+1</answer>",
    lambda a: f"<answer>{a}",  # unclosed
    lambda a: f"<answer><answer>{a}</answer></answer>",
    lambda a: a,  # bare
    lambda a: f"Assistant: <answer>{a}</answer>",
    lambda a: f"<answer>{a}</answer> Assistant: hm",
    lambda a: f"<answer>{a}\n</answer>",
    lambda a: f"<answer>{a}</answer>\r",
]


@st.composite
def cases(draw):
    numbers = draw(numbers_st)
    expr = draw(expressions(numbers))
    if draw(st.booleans()):  # sometimes a number too many or too few
        expr = draw(st.sampled_from([f"{expr}+1", expr.replace(str(numbers[0]), "", 1)]))
    from fractions import Fraction  # the target: often the value itself, so right answers are common

    try:
        exact = eval(expr, {"__builtins__": None}, {}) if re.fullmatch(r"[\d+\-*/() \t]+", expr) and "**" not in expr else None
        value = Fraction(exact) if exact is not None else None
    except Exception:
        value = None
    target = int(value) if value is not None and draw(st.booleans()) else draw(st.integers(-5, 100))
    text = draw(st.sampled_from(MUTATIONS))(expr, target)
    return draw(st.sampled_from(WRAPS))(text), numbers, target


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@example(("<answer>2*.5</answer>", [2, 5], 1))
@example(("<answer>5+1/100/100/100</answer>", [5, 1, 100, 100, 100], 5))
@example(("<answer>" + "-" * 2983 + "(1+2)</answer>", [1, 2], 3))
@example(("<answer>(1)+(2)-()</answer>", [1, 2], 3))
@example(("<answer>1+2+" + "9" * 5000 + "</answer>", [1, 2, 9], 3))
def test_reward_is_tinyzeros_compute_score(case):
    completion, numbers, target = case
    assert reward(completion, numbers, target) == tinyzero(completion, numbers, target), completion[:200]


@settings(max_examples=300, deadline=None)
@given(cases())
def test_base_prompt_differs_only_where_the_completion_says_assistant(case):
    completion, numbers, target = case
    if "Assistant:" not in completion:
        assert reward(completion, numbers, target) == tinyzero(completion, numbers, target, "base")


@pytest.mark.parametrize(
    "answer,numbers,target",
    [("2**3", [2, 3], 8), ("7//2", [7, 2], 3), ("(1+1)**3", [1, 1, 3], 8)],
)
def test_power_and_floor_division_are_the_one_difference(answer, numbers, target):
    completion = f"<answer>{answer}</answer>"
    assert compute_score(make_prefix(numbers, target) + completion, {"target": target, "numbers": numbers}) == FORMATTED
    assert eval(answer) == target  # TinyZero's unguarded eval would score 1.0
    assert reward(completion, numbers, target) == FORMATTED


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_rewarded_answer_has_a_key(case):
    completion, numbers, target = case
    score = reward(completion, numbers, target)
    key = answer_key(completion, TINYZERO)
    if score == CORRECT:
        assert key is not None, completion[:200]
    if score == WRONG:
        assert key is None
