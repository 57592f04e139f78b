"""R1-zero-Div's prompt: the system message of the paper's Figure 2, rendered as the authors'
own evaluation code renders it."""

from divrl.data import templates

# Copied from the authors' evaluation code, prompt type "div-cot" (github nigelyaoj/VAR-MATH,
# utils.py at 69e895374a3b38c6c094a8639fb0b4dcee2a6233; nigelyaoj/Eval_reasoning's
# "longer_prompt" is the same string): a str.format template, `{{}}` being a literal `{}`.
DIV_COT = (
    "<|im_start|>system\nA conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The assistant should 1) Identify core concepts and required formulas. 2) Break down solutions into logical, numbered steps. 3) Verify results using alternative methods or substitutions. Put your final answer within \\boxed{{}}<|im_end|>\n"
    "<|im_start|>user\n{input}<|im_end|>\n"
    "<|im_start|>assistant\n"
)

# Qwen2.5's chat template reduced to what it writes for a system and a user turn (ChatML)
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_the_chat_prompt_is_the_authors_div_cot_prompt():
    from divrl.models.tokenizer import build_tokenizer

    tok = build_tokenizer()
    tok.chat_template = CHATML
    question = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. Total? {x}"
    assert templates.render("r1_zero_div", {"question": question}, tokenizer=tok) == DIV_COT.format(input=question)


def test_the_system_message_is_figure_2s_text():
    system = templates.get("r1_zero_div").system
    assert system.startswith("A conversation between User and Assistant.")
    assert system.endswith("Put your final answer within \\boxed{}")  # no full stop, as in Figure 2
