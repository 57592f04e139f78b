"""Hub data sets: loading (hub layout, save_to_disk, single file, offline), format adapters,
filter counts and prompt templates -- all on the tiny fixtures in tests/data/hub."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.data import filters, formats, templates
from divrl.settings.data import FilterSpec
from divrl.data.hub import load_rows

HUB = Path(__file__).resolve().parent / "data" / "hub"


@dataclass(frozen=True)
class Case:
    path: str
    fmt: str
    split: str
    name: str | None = None
    n_rows: int = 3
    n_kept: int = 3  # after the adapter and default filters (dedupe on)
    first: dict = field(default_factory=dict)  # expected items of the first kept row


CASES = [
    Case("openai/gsm8k", "gsm8k", "train", "main", 5, 3, {"answer": "7"}),
    Case("HuggingFaceH4/MATH-500", "math", "test", first={"answer": "\\frac{5}{6}", "level": 1}),
    Case("hiyouga/math12k", "math", "train", first={"answer": "56"}),
    Case("knoveleng/open-rs", "math", "train", n_kept=2, first={"answer": "2"}),
    Case("HuggingFaceH4/aime_2024", "math", "train", first={"answer": "009", "id": 60}),
    Case("math-ai/amc23", "amc23", "test", first={"answer": "27"}),
    Case("math-ai/minervamath", "minerva", "test", first={"answer": "20"}),
    Case("Hothan/OlympiadBench", "olympiadbench", "train", "OE_TO_maths_en_COMP", n_kept=2, first={"answer": "8"}),
    Case("knoveleng/OlympiadBench", "olympiadbench", "train", first={"answer": "8", "id": 1606}),
    Case("knoveleng/AMC-23", "amc23", "train", first={"answer": "27", "id": 0}),
    Case("knoveleng/Minerva-Math", "minerva", "train", first={"answer": "-1./3", "idx": 0}),
    Case("QwenLM/Qwen2.5-Math/evaluation/data/college_math", "college_math", "test", first={"answer": "1"}),
    Case("math-ai/aime25", "aime25", "test", first={"answer": "15"}),
    Case("BytedTsinghua-SIA/DAPO-Math-17k", "dapo17k", "train", n_rows=6, n_kept=3,
         first={"question": "Find the largest integer $n$ with $n^2 < 30$.", "answer": "5"}),
    Case("open-r1/DAPO-Math-17k-Processed", "dapo17k", "train", "en",
         first={"question": "Find the largest integer $n$ with $n^2 < 30$.", "answer": "5"}),
    Case("Jiayi-Pan/Countdown-Tasks-3to4", "countdown_tasks", "train", n_rows=5,
         first={"numbers": [44, 19, 35], "target": 98, "answer": {"target": 98, "numbers": [44, 19, 35]}}),
    Case("K-and-K/knights-and-knaves", "knights_knaves", "2ppl", "train", n_rows=2, n_kept=1,
         first={"answer": {"Zoey": "knight", "Oliver": "knave"}, "solution": [True, False]}),
]
IDS = [c.path.split("/", 1)[1] if c.path.startswith("knoveleng/") else c.path.split("/")[1] for c in CASES]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("hf_datasets_cache"))


@pytest.fixture(scope="module")
def loaded(cache):
    """Rows of every fixture loaded by folder, once per module."""
    return {c.path: load_rows(str(HUB / c.path), name=c.name, split=c.split, cache_dir=cache) for c in CASES}


def one_line_error(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg, msg
    return msg


# --- loading ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hub_layout_folder_loads_and_adapts(case, loaded):
    rows = loaded[case.path]
    assert len(rows) == case.n_rows
    kept, counts = filters.apply(rows, FilterSpec(), adapter=formats.get(case.fmt))
    assert counts["kept"] == len(kept) == case.n_kept
    assert all(isinstance(r["question"], str) and r["question"] for r in kept)
    assert kept[0].items() >= case.first.items()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_save_to_disk_and_single_parquet_give_the_same_rows(case, loaded, cache, tmp_path):
    rows = loaded[case.path]
    ds = datasets.Dataset.from_list(rows)
    ds.save_to_disk(str(tmp_path / "one"))
    datasets.DatasetDict({case.split: ds}).save_to_disk(str(tmp_path / "dict"))
    ds.to_parquet(str(tmp_path / "rows.parquet"))
    assert load_rows(str(tmp_path / "one")) == rows
    assert load_rows(str(tmp_path / "dict"), split=case.split) == rows
    assert load_rows(str(tmp_path / "rows.parquet"), split=case.split, cache_dir=cache) == rows


def test_configs_and_splits_follow_the_readme(cache):
    def n(path, name=None, split="train"):
        return len(load_rows(str(HUB / path), name=name, split=split, cache_dir=cache))

    assert n("openai/gsm8k", "main", "test") == 2
    assert n("K-and-K/knights-and-knaves", "train", "3ppl") == 1
    assert n("K-and-K/knights-and-knaves", "test", "2ppl") == 1
    assert (n("open-r1/DAPO-Math-17k-Processed", "all"), n("open-r1/DAPO-Math-17k-Processed", "cn")) == (4, 1)
    assert n("QwenLM/Qwen2.5-Math/evaluation/data/college_math/test.jsonl", split="test") == 3


def test_unknown_split_lists_the_available_ones(cache, tmp_path):
    with pytest.raises(ValueError) as exc:
        load_rows(str(HUB / "openai/gsm8k"), name="main", split="validation", cache_dir=cache)
    assert "no split 'validation'; available: train, test" in one_line_error(exc)
    datasets.DatasetDict({"test": datasets.Dataset.from_list([{"q": "x"}])}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(ValueError) as exc:
        load_rows(str(tmp_path / "dd"))
    assert "no split 'train'; available: test" in one_line_error(exc)


def test_bad_local_sources_give_one_line(cache, tmp_path):
    with pytest.raises(ValueError) as exc:
        load_rows(str(HUB / "openai/gsm8k"), name="nope", cache_dir=cache)
    assert "nope" in one_line_error(exc)
    for missing in (str(tmp_path / "missing"), "data/hub/org/name", "rows.parquet"):
        with pytest.raises(ValueError, match="no such file or folder"):
            load_rows(missing)
    (tmp_path / "rows.txt").write_text("x\n")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_rows(str(tmp_path / "rows.txt"))
    for empty, text in (("empty.jsonl", ""), ("blank.jsonl", "\n  \n"), ("empty.parquet", "")):
        (tmp_path / empty).write_text(text)  # datasets itself ends in a bare StopIteration
        with pytest.raises(ValueError) as exc:
            load_rows(str(tmp_path / empty), cache_dir=cache)
        assert one_line_error(exc) == f"data source {str(tmp_path / empty)!r}: the file is empty (no rows)"


def test_offline_hub_id_says_how_to_pre_stage(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ValueError) as exc:
        load_rows("divrl-test/not-staged", name="main", cache_dir=str(tmp_path))
    msg = one_line_error(exc)
    assert "'divrl-test/not-staged'" in msg and "HF_HUB_OFFLINE" in msg
    assert "hf download --repo-type dataset divrl-test/not-staged --local-dir DIR" in msg


# --- format adapters -----------------------------------------------------------------------


def test_format_registry():
    assert formats.names() == sorted(
        ["gsm8k", "math", "amc23", "minerva", "olympiadbench", "college_math", "aime25", "dapo17k",
         "countdown_tasks", "knights_knaves"]
    )
    with pytest.raises(ValueError) as exc:
        formats.get("mmlu")
    assert "unknown data format 'mmlu'; known: aime25, amc23," in one_line_error(exc)


def test_adapters_on_alternative_layouts_and_malformed_rows():
    gsm = formats.get("gsm8k")({"question": "q", "answer": "x\n#### 1,200"})
    assert gsm["answer"] == "1200"
    amc = formats.get("amc23")({"id": 1, "problem": "P", "question": "Q", "answer": 12.0, "url": "u"})
    assert (amc["question"], amc["answer"]) == ("P", "12")
    minerva = formats.get("minerva")({"problem": "p", "solution": "so $\\boxed{\\frac{1}{2}}$.", "type": "t", "idx": 3})
    assert minerva["answer"] == "\\frac{1}{2}"
    assert formats.get("math")({"problem": "p", "solution": "$\\boxed{x^{2}}$"})["answer"] == "x^{2}"
    assert formats.get("aime25")({"question": "q", "answer": 204})["answer"] == "204"
    assert formats.get("college_math")({"question": "q", "answer": "$\\frac{1}{3}$"})["answer"] == "\\frac{1}{3}"
    bad = [
        ("gsm8k", {"question": "q", "answer": "no marker"}),
        ("gsm8k", {"question": "q", "answer": "#### "}),
        ("math", {"problem": "p", "solution": "no box"}),
        ("amc23", {"question": "q", "answer": float("nan")}),
        ("olympiadbench", {"question": "q", "final_answer": None}),
        ("dapo17k", {"prompt": [{"role": "system", "content": "s"}], "reward_model": {"ground_truth": "1"}}),
        ("countdown_tasks", {"target": 5, "nums": [1, "2", 3]}),
        ("countdown_tasks", {"target": "5", "nums": [1, 2]}),
        ("knights_knaves", {"quiz": "q", "names": ["A", "A"], "solution": [True, False]}),
        ("knights_knaves", {"quiz": "q", "names": ["A"], "solution": ["yes"]}),
    ]
    for name, row in bad:
        with pytest.raises(ValueError):
            formats.get(name)(row)


def test_eval_set_golds_are_clean_and_kept_by_the_math_filter(loaded):
    """DRA-GRPO's evaluation sets: "$.", "$" and Minerva's "-1./3" / "9." golds all survive
    the answer filter and are verified by the math reward."""
    from divrl.tasks.registry import get

    math = get("math")
    for path, golds in [("knoveleng/OlympiadBench", ["8", "\\frac{1}{4}", "\\frac{1}{3}"]),
                        ("Hothan/OlympiadBench", ["8", "2, -2"]),
                        ("knoveleng/Minerva-Math", ["-1./3", "2", "9."])]:
        kept, counts = filters.apply(loaded[path], FilterSpec(), adapter=formats.olympiadbench if "Olympiad" in path
                                     else formats.minerva, answer_ok=math.answer_ok)
        assert [r["answer"] for r in kept] == golds, path
        assert counts["dropped_answer_unparseable"] == 0
    assert math.reward("so $\\boxed{-1/3}$", {"answer": "-1./3"}) == 1.0
    assert math.reward("so $\\boxed{-0.3333333}$", {"answer": "-1./3"}) == 1.0
    assert math.reward("so $\\boxed{\\frac14}$", {"answer": formats.olympiadbench(
        {"question": "q", "final_answer": ["$\\frac{1}{4}$."]})["answer"]}) == 1.0


COLUMNS = ["question", "problem", "answer", "solution", "final_answer", "prompt", "reward_model",
           "extra_info", "data_source", "nums", "target", "quiz", "names", "id", "level"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=8)
    | st.sampled_from(["#### 3", "\\boxed{2}", "user", "role", "content"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["role", "content", "ground_truth", "index"]), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(row=st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=6), name=st.sampled_from(formats.names()))
def test_adapters_either_adapt_or_raise_value_error(row, name):
    try:
        out = formats.get(name)(row)
    except ValueError:
        return
    assert isinstance(out["question"], str) and out["question"].strip() and "answer" in out


def test_dapo_layouts_agree_and_paper_filter_counts(loaded):
    original = loaded["BytedTsinghua-SIA/DAPO-Math-17k"]
    spec = FilterSpec(dedupe=True, english_only=True)
    kept, counts = filters.apply(original, spec, adapter=formats.dapo17k)
    assert counts == {
        "input": 6, "dropped_malformed": 0, "dropped_duplicate": 3, "dropped_non_english": 1,
        "dropped_answer_unparseable": 0, "dropped_too_long": 0, "dropped_over_max_rows": 0, "kept": 2,
    }
    processed = [formats.dapo17k(r) for r in loaded["open-r1/DAPO-Math-17k-Processed"]]
    assert [r["question"] for r in kept] == [r["question"] for r in processed[:2]]
    assert [r["answer"] for r in kept] == ["5", "55"]


def test_malformed_rows_are_counted_and_logged(loaded, caplog):
    with caplog.at_level(logging.INFO, logger="divrl.data.filters"):
        _, counts = filters.apply(loaded["openai/gsm8k"], FilterSpec(), adapter=formats.gsm8k)
    assert (counts["dropped_malformed"], counts["dropped_duplicate"]) == (1, 1)
    lines = [r.getMessage() for r in caplog.records]
    assert any("as malformed (e.g. row 2: 'answer' has no '####'" in m for m in lines)
    assert any("as duplicate (e.g. row 3)" in m for m in lines)


# --- templates -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat_tokenizer():
    from divrl.models.tokenizer import build_tokenizer

    tok = build_tokenizer()
    tok.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    return tok


def test_template_registry_and_errors():
    assert templates.names() == ["knights_knaves", "qwen_math_boxed", "r1_boxed", "r1_zero_div", "tinyzero_countdown"]
    with pytest.raises(ValueError) as exc:
        templates.render("chatml", {"question": "q"})
    assert "unknown prompt template 'chatml'; known: knights_knaves," in one_line_error(exc)
    with pytest.raises(ValueError) as exc:
        templates.render("tinyzero_countdown", {"question": "q", "answer": 1})
    assert "needs row field 'numbers'; the row has: answer, question" in one_line_error(exc)


def test_plain_prompts():
    q = "Is $\\frac{1}{2} > 0$? Put it in \\boxed{} and ${x}."
    r1 = templates.render("r1_boxed", {"question": q})
    assert r1 == f"{templates.R1_SYSTEM}\nUser: {q}\nAssistant:"
    assert templates.render("qwen_math_boxed", {"question": q}) == (
        q + "\nPlease reason step by step, and put your final answer within \\boxed{}."
    )
    assert templates.render("qwen_math_boxed", {"question": q}, system="") == q
    countdown = templates.render("tinyzero_countdown", {"numbers": [44, 19, 35], "target": 98})
    assert countdown == (
        "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
        "The assistant first thinks about the reasoning process in the mind and then provides the user with "
        "the answer.\nUser: Using the numbers [44, 19, 35], create an equation that equals 98. You can use "
        "basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in "
        "<think> </think> tags. And return the final answer in <answer> </answer> tags, for example "
        "<answer> (1 + 2) / 3 </answer>.\nAssistant: Let me solve this step by step.\n<think>"
    )
    kk = templates.render("knights_knaves", {"question": "Who is who?"})
    assert kk == templates.KK_SYSTEM + "\n\nWho is who?" and "(1) Zoey is a knight" in kk


def test_chat_prompts_are_what_the_model_sees(chat_tokenizer):
    from divrl.models.tokenizer import build_tokenizer

    row = {"question": "What is $2^{3}$?"}
    assert templates.render("r1_boxed", row, tokenizer=chat_tokenizer) == (
        f"<|system|>{templates.R1_SYSTEM}\n<|user|>What is $2^{{3}}$?\n<|assistant|>"
    )
    assert templates.render("r1_boxed", row, tokenizer=chat_tokenizer, system="Be brief.") == (
        "<|system|>Be brief.\n<|user|>What is $2^{3}$?\n<|assistant|>"
    )
    assert templates.render("qwen_math_boxed", row, tokenizer=chat_tokenizer, system="") == (
        "<|user|>What is $2^{3}$?\n<|assistant|>"
    )
    countdown = templates.render("tinyzero_countdown", {"numbers": [1, 2], "target": 3}, tokenizer=chat_tokenizer)
    assert countdown.startswith("<|system|>You are a helpful assistant.")
    assert "<|user|>Using the numbers [1, 2], create an equation that equals 3." in countdown
    assert countdown.endswith("<|assistant|>Let me solve this step by step.\n<think>")
    # The toy tokenizer has no chat template: the plain form is used.
    assert templates.render("r1_boxed", row, tokenizer=build_tokenizer()) == templates.render("r1_boxed", row)


def test_chat_prompt_has_one_bos_when_the_tokenizer_adds_it():
    """DeepSeek-R1-Distill-like: the chat template writes BOS and tokenizing adds it again."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<s>": 0, "<pad>": 1, "x": 2}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    core.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", pad_token="<pad>")
    tok.chat_template = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    text = templates.render("qwen_math_boxed", {"question": "q"}, tokenizer=tok, system="")
    assert not text.startswith("<s>") and text == "q"
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"  # no BOS written: unchanged
    assert templates.render("qwen_math_boxed", {"question": "q"}, tokenizer=tok, system="") == "q"
