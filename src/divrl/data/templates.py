"""Prompt templates of the paper setups, in one place, rendered from internal rows.

A template is a system message, a user message and an optional start of the assistant
turn, plus the single-string form a model without a chat template sees. `render` with
a chat tokenizer returns exactly the text the model is fed
(`apply_chat_template(..., add_generation_prompt=True)` + the assistant prefix), so the
stored prompt, its token count and the training input cannot drift apart.

Placeholders are `string.Template` fields (`${question}`), not `str.format`, because
math questions and the templates themselves are full of LaTeX braces (`\\boxed{}`).
Row values are inserted verbatim and never re-parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template as _Text


@dataclass(frozen=True)
class Template:
    user: str
    system: str | None = None
    # Text the assistant turn starts with (TinyZero opens the reasoning for the model).
    assistant_prefix: str = ""
    # Single-string form for models without a chat template; may use ${system} and
    # ${user}. Default: system, blank line, user, then the assistant prefix.
    plain: str | None = None


# R1-zero-style system prompt of the open-rs recipes, which DRA-GRPO trains with
# (knoveleng/open-rs, arXiv 2503.16219; xiwenc1/DRA-GRPO recipes/dra_grpo.yaml). The
# recipe YAML leaves a literal "\boxed{{}}" in the string; we use "\boxed{}".
R1_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer, and put your final answer within \\boxed{} . The "
    "reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>. Note that respond by English, NOT use other languages."
)

# R1-zero-Div's system prompt (Yao et al., arXiv 2505.23433, App. D.2 Figure 2), which the
# authors evaluate with too: prompt types "div-cot" (github nigelyaoj/VAR-MATH utils.py,
# commit 69e895374a3b38c6c094a8639fb0b4dcee2a6233) and "longer_prompt" (nigelyaoj/Eval_reasoning
# utils.py, commit 29dc9533bb0febc08595c41e4f570f8cc818c6bf), both Qwen chat turns: this text as
# the system message, the question as the user's. No full stop after "\boxed{}", as there.
R1_ZERO_DIV_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The assistant should 1) Identify core concepts and "
    "required formulas. 2) Break down solutions into logical, numbered steps. 3) Verify results "
    "using alternative methods or substitutions. Put your final answer within \\boxed{}"
)

# Qwen2.5-Math evaluation, prompt type "qwen25-math-cot": this is its system message.
QWEN_MATH_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."

# TinyZero's Countdown prompt (Jiayi-Pan/TinyZero examples/data_preprocess/countdown.py):
# the "qwen-instruct" variant for chat models, the "base" variant as the plain form.
# TinyZero's user turn begins with a stray space; we drop it.
_TINYZERO_SYSTEM = (
    "You are a helpful assistant. You first thinks about the reasoning process in the mind "
    "and then provides the user with the answer."
)
_TINYZERO_USER = (
    "Using the numbers ${numbers}, create an equation that equals ${target}. You can use basic "
    "arithmetic operations (+, -, *, /) and each number can only be used once. Show your work "
    "in <think> </think> tags. And return the final answer in <answer> </answer> tags, for "
    "example <answer> (1 + 2) / 3 </answer>."
)
_TINYZERO_BASE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer.\nUser: ${user}\nAssistant: Let me solve this step by "
    "step.\n<think>"
)

# Knights & Knaves instructions in the style of Logic-RL (arXiv 2502.14768), our wording;
# the answer lines "(k) Name is a knight|knave" are what the K&K checker parses.
KK_SYSTEM = (
    "The user asks a question, and the Assistant solves it. The Assistant first thinks about "
    "the reasoning process in the mind and then provides the user with the answer. The "
    "reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>. Now the user asks you to solve a logical reasoning puzzle. After thinking, when "
    "you reach a conclusion, state the identity of every character inside <answer> </answer>, "
    "one per line, i.e., <answer> (1) Zoey is a knight\n(2) Oliver is a knave </answer>."
)

TEMPLATES: dict[str, Template] = {
    "r1_boxed": Template(user="${question}", system=R1_SYSTEM, plain="${system}\nUser: ${user}\nAssistant:"),
    "qwen_math_boxed": Template(user="${question}", system=QWEN_MATH_SYSTEM, plain="${user}\n${system}"),
    "r1_zero_div": Template(user="${question}", system=R1_ZERO_DIV_SYSTEM, plain="${system}\nUser: ${user}\nAssistant:"),
    "tinyzero_countdown": Template(
        user=_TINYZERO_USER,
        system=_TINYZERO_SYSTEM,
        assistant_prefix="Let me solve this step by step.\n<think>",
        plain=_TINYZERO_BASE,
    ),
    "knights_knaves": Template(user="${question}", system=KK_SYSTEM),
}


def names() -> list[str]:
    return sorted(TEMPLATES)


def get(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(f"unknown prompt template {name!r}; known: {', '.join(names())}") from None


def render(template: str, row: dict, *, tokenizer=None, system: str | None = None) -> str:
    """The prompt text for `row` under `template`.

    `system` replaces the template's system message ("" drops it). With a tokenizer
    that has a chat template the result is the chat-formatted text with the generation
    prompt and the template's assistant prefix; otherwise the plain single-string form.
    """
    tmpl = get(template)
    sys_text = tmpl.system if system is None else system
    user = _fill(template, tmpl.user, row)
    if tokenizer is not None and getattr(tokenizer, "chat_template", None):
        messages = ([{"role": "system", "content": sys_text}] if sys_text else []) + [
            {"role": "user", "content": user}
        ]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return _without_double_bos(text, tokenizer) + tmpl.assistant_prefix
    if tmpl.plain is None:
        return "\n\n".join(t for t in (sys_text, user) if t) + tmpl.assistant_prefix
    return _fill(template, tmpl.plain, {**row, "system": sys_text or "", "user": user}).strip("\n")


def _without_double_bos(text: str, tokenizer) -> str:
    """Drop a chat template's leading BOS when tokenizing adds one anyway.

    The stored prompt is tokenized again later (TRL, HF generate, vLLM) with special
    tokens on; tokenizers such as DeepSeek-R1-Distill's add BOS themselves, so a BOS
    written by the chat template would appear twice.
    """
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or not text.startswith(bos):
        return text
    ids = tokenizer("x")["input_ids"]
    return text[len(bos):] if ids and ids[0] == tokenizer.bos_token_id else text


def _fill(name: str, text: str, row: dict) -> str:
    try:
        return _Text(text).substitute(row)
    except KeyError as exc:
        have = ", ".join(sorted(map(str, row))) or "nothing"
        raise ValueError(f"template {name!r} needs row field {exc.args[0]!r}; the row has: {have}") from None
