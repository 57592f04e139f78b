"""Prompts are checked against the model's context (issue 23, item 5): a test row of 1.5 M numbers
passed the data step and grew `evaluate` to 23 GB. Now the data step refuses it in one line naming
the row, and sampling refuses any prompt that leaves no room for max_new_tokens, before sampling,
judging a giant prompt by its characters without tokenizing it."""

import json
import resource
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.models import context

from divrl.data import templates
from divrl.data.prepare import DataPaths, check_context, prepare

# a TinyZero Countdown prompt is ~600 toy tokens (the toy tokenizer spells unknown letters one by one)
ROOMY_TOY = 2048


def one_line(msg: str) -> str:
    assert msg.strip() and "\n" not in msg.strip() and "Traceback" not in msg, msg
    return msg.strip()


def countdown_rows(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"nums": nums, "target": 24}) + "\n" for nums in rows))
    return {"source": str(path), "format": "countdown_tasks", "template": "tinyzero_countdown"}


def countdown_section(tmp_path, test_rows, **extra):
    train = countdown_rows(tmp_path / "src/train.jsonl", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    test = countdown_rows(tmp_path / "src/test.jsonl", test_rows)
    section = {"task": "countdown_tinyzero", "datasets": {"train": [train], "test": {"t": test}}, **extra}
    paths = DataPaths(train=tmp_path / "out/train.jsonl", stats=tmp_path / "out/stats.json", tests={"t": tmp_path / "out/t.jsonl"})
    return section, paths


GIANT = [1 + i % 9 for i in range(300_000)]  # the probe's 1.5 M numbers, scaled down for the suite


def test_a_giant_test_row_is_refused_at_the_data_step_naming_row_and_file(tmp_path, monkeypatch):
    section, paths = countdown_section(tmp_path, [[1, 2, 3], [3, 4, 5], GIANT], max_positions=ROOMY_TOY)
    # the giant prompt is judged by its characters: tokenizing it is what the check must avoid
    measured, real = [], context.PromptMeter.measure

    def spy(self, text, limit):
        measured.append(real(self, text, limit))
        return measured[-1]

    monkeypatch.setattr(context.PromptMeter, "measure", spy)
    with pytest.raises(ValueError) as err:
        prepare(section, paths)
    prompt_chars = measured[-1].chars
    assert measured[-1].ids is None and prompt_chars > 600_000
    assert one_line(str(err.value)) == (
        f"data: datasets.test.t -> {paths.tests['t']}: problem 'test.jsonl-train-000002' (line 3) has a prompt of "
        f"at least {-(-prompt_chars // 6):,} tokens ({prompt_chars:,} characters, not tokenized): no room for a "
        f"completion in the 2,048-token context (base.max_positions of the toy model); a test set is never "
        "filtered: use a model with a longer context, or leave the row out of the source (offset, max_rows)")
    assert not paths.tests["t"].exists()  # refused before the test set is written
    assert all(m.ids is not None for m in measured[:-1])  # ordinary prompts are counted exactly


def test_the_toy_context_of_64_refuses_a_real_prompt_and_a_roomy_one_passes(tmp_path):
    section, paths = countdown_section(tmp_path, [[1, 2, 3]], max_positions=64)
    with pytest.raises(ValueError, match=r"datasets.train -> .*train.jsonl: problem 'train.jsonl-train-000000' \(line 1\) "
                       r"has a prompt of at least 94 tokens \(562 characters, not tokenized\): no room for a completion in the 64-token context "
                       r"\(base.max_positions of the toy model\); drop such training rows with datasets.filter.max_prompt_tokens"):
        prepare(section, paths)
    section["max_positions"] = ROOMY_TOY
    stats = prepare(section, paths)
    assert paths.tests["t"].exists() and stats["filter"]["t"]["kept"] == 1


def test_the_generated_toy_problems_fit_the_toy_context(tiny_problems):
    from divrl.models.tokenizer import build_tokenizer
    from divrl.settings.base_model import TinyShape

    toy = context.Context(TinyShape().max_positions, "base.max_positions")
    meter = context.PromptMeter(build_tokenizer())
    for split in ("train", "test"):
        check_context(tiny_problems[split], split, toy, meter, "")  # no error: the default toy runs as before
    longest = max(len(build_tokenizer()(p["prompt"])["input_ids"]) for p in tiny_problems["test"])
    assert longest + 16 <= 64  # and leaves the default max_new_tokens (16) of room


def test_the_boundary_is_exact(tiny_problems):
    from divrl.models.tokenizer import build_tokenizer

    tok = build_tokenizer()
    row = tiny_problems["test"][0]
    n = len(tok(row["prompt"])["input_ids"])
    meter = context.PromptMeter(tok)
    check_context([row], "t", context.Context(n + 1, "x"), meter, "")  # one token of room: fits
    with pytest.raises(ValueError, match=f"has a prompt of {n} tokens"):
        check_context([row], "t", context.Context(n, "x"), meter, "")
    ids = context.fit(meter, [row["prompt"]], ["p"], context.Context(n + 16, "x"), "w", completion=16)
    assert ids == [tok(row["prompt"])["input_ids"]]
    with pytest.raises(ValueError, match="with max_new_tokens 17 that is more than the"):
        context.fit(meter, [row["prompt"]], ["p"], context.Context(n + 16, "x"), "w", completion=17, completion_key="max_new_tokens")


# ---------------------------------------------------------------- a hub-layout model folder


@pytest.fixture(scope="module")
def bpe_model(tmp_path_factory):
    """A model folder as from_pretrained reads it (config.json + a byte-level BPE tokenizer, as
    Qwen's and Llama 3's) with a 256-token context."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["Using the numbers [1, 2, 3], create an equation that equals 24.", "Simplify: $2+2$. " * 3,
              "Please reason step by step, and put your final answer within \\boxed{}."] * 20
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    out = tmp_path_factory.mktemp("hub") / "org-small-context"
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.save_pretrained(out)
    LlamaConfig(vocab_size=len(fast), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                num_key_value_heads=2, max_position_embeddings=256).save_pretrained(out)
    return out


def math_section(tmp_path, base, questions):
    path = tmp_path / "src/test.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"question": q, "answer": "$4$"}) + "\n" for q in questions))
    source = {"source": str(path), "format": "college_math", "template": "qwen_math_boxed"}
    section = {"task": "math", "base_model": str(base), "datasets": {"train": [source], "test": {"t": source}}}
    paths = DataPaths(train=tmp_path / "out/train.jsonl", stats=tmp_path / "out/stats.json", tests={"t": tmp_path / "out/t.jsonl"})
    return section, paths


def test_a_hub_model_with_a_small_context_refuses_a_long_prompt(tmp_path, bpe_model):
    long = "Simplify: $2+" + "2+" * 400 + "2$"
    section, paths = math_section(tmp_path, bpe_model, ["Simplify: $2+2$", long])
    with pytest.raises(ValueError) as err:
        prepare(section, paths)
    msg = one_line(str(err.value))
    chars = len(templates.render("qwen_math_boxed", {"question": long}))
    assert msg.startswith(f"data: datasets.train -> {paths.train}: problem 'test.jsonl-train-000001' (line 2) has a prompt of ")
    assert msg.endswith(f"tokens ({chars:,} characters): no room for a completion in the 256-token context "
                        f"(max_position_embeddings of {bpe_model}); drop such training rows with "
                        "datasets.filter.max_prompt_tokens or max_question_chars (counted in stats.json)")
    section, paths = math_section(tmp_path / "ok", bpe_model, ["Simplify: $2+2$", "Simplify: $3+3$"])
    prepare(section, paths)  # prompts that fit are written as before
    assert len(paths.tests["t"].read_text().splitlines()) == 2


def test_the_data_verb_says_it_in_one_line(tmp_path, bpe_model):
    section, paths = math_section(tmp_path, bpe_model, ["Simplify: $2+2$", "x" * 2_000_000])
    res = subprocess.run([sys.executable, "-m", "divrl", "data", "--params", json.dumps(section), "--train", str(paths.train),
                          "--test", f"t={paths.tests['t']}", "--stats", str(paths.stats)], capture_output=True, text=True)
    assert res.returncode == 2
    err = one_line(res.stderr.splitlines()[-1])
    assert err.startswith("divrl data: error: data: datasets.train -> ") and "(line 2) has a prompt of at least " in err
    chars = len(templates.render("qwen_math_boxed", {"question": "x" * 2_000_000}))
    assert f"({chars:,} characters, not tokenized)" in err and f"max_position_embeddings of {bpe_model}" in err


# ---------------------------------------------------------------- the bound against real token counts

# the toy's symbols, whole words of its vocabulary, letters it does not know, accents, CJK, emoji
PIECES = list("0123456789 +-*/()=\n\tnumstarget\u00e9\u0301\u4e2d\U0001f600") + ["nums", "target", "  ", "2+2"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=150).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_the_character_bound_never_exceeds_the_real_count_toy(text):
    from divrl.models.tokenizer import build_tokenizer

    tok = _toy()
    assert context.PromptMeter(tok).at_least(text) <= len(tok(text)["input_ids"])
    assert context.max_chars_per_token(tok) == len("target") and context.max_chars_per_token(build_tokenizer()) == 6


def _toy(cache={}):
    from divrl.models.tokenizer import build_tokenizer

    return cache.setdefault("tok", build_tokenizer())


def test_the_character_bound_never_exceeds_the_real_count_bpe(bpe_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(bpe_model)
    meter = context.PromptMeter(tok)
    assert meter.chars_per_token == max(map(len, tok.get_vocab())) > 1

    @settings(max_examples=200, deadline=None)
    @given(text=TEXT | st.text(max_size=300))
    def bound_holds(text):
        assert meter.at_least(text) <= len(tok(text)["input_ids"])

    bound_holds()


def test_tokenizers_without_a_guarantee_are_counted_exactly():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # a WordPiece-like word tokenizer: one [UNK] for a whole unknown word of any length
    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    assert context.max_chars_per_token(fast) is None
    meter = context.PromptMeter(fast)
    assert meter.at_least("x" * 10_000) == 0 and meter.measure("x" * 10_000, 5).tokens == 1


def test_the_context_is_read_from_the_config_or_the_tokenizer():
    from types import SimpleNamespace as NS

    assert context.of_config(NS(max_position_embeddings=4096), None, "m") == context.Context(4096, "max_position_embeddings of m")
    assert context.of_config(NS(n_positions=1024), None, "gpt2").tokens == 1024
    assert context.of_config(NS(), NS(model_max_length=512), "m") == context.Context(512, "model_max_length of m's tokenizer")
    assert context.of_config(NS(), NS(model_max_length=int(1e30)), "m") is None  # transformers' "not set"


# ---------------------------------------------------------------- evaluation


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    """An untrained toy model (the context check needs no skill): max_position_embeddings 64."""
    from divrl.models.tiny import build_model
    from divrl.settings.base_model import TinySpec
    from divrl.models.tokenizer import build_tokenizer

    tok = build_tokenizer()
    out = tmp_path_factory.mktemp("toy") / "model"
    build_model(TinySpec(hidden_size=16, num_layers=1, num_heads=2), tok).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_sampling_refuses_a_prompt_without_room_for_max_new_tokens(toy_model):
    from divrl.sampling import SampleSpec, sample

    short = "nums 3 4 5 target 12 ="  # 14 tokens
    assert [len(c) for c in sample(str(toy_model), [short], SampleSpec(n=2, batch_size=2, max_new_tokens=50), ["ok"])] == [2]
    with pytest.raises(ValueError) as err:
        sample(str(toy_model), [short, short + " 1"], SampleSpec(n=2, batch_size=2, max_new_tokens=50), ["ok", "long"])
    assert one_line(str(err.value)) == (
        f"sampling {toy_model}: problem 'long' has a prompt of 16 tokens (24 characters): with max_new_tokens 50 "
        f"that is more than the 64-token context (max_position_embeddings of {toy_model})")


def test_evaluate_on_a_hand_written_giant_problem_fails_fast_in_one_line(tmp_path, toy_model):
    """The probe: a problems file written by hand with a 1.5 M-number prompt, under a 6 GB address-space
    cap (it took 23 GB before; 100 k numbers: 4:54 minutes and 975 MB, sampled anyway)."""
    nums = [1 + i % 9 for i in range(1_500_000)]
    rows = [{"id": "ok", "task": "countdown", "prompt": "nums 3 4 5 target 12 =", "numbers": [3, 4, 5], "target": 12},
            {"id": "giant", "task": "countdown", "prompt": "nums " + " ".join(map(str, nums)) + " target 12 =",
             "numbers": nums, "target": 12}]
    problems = tmp_path / "t.jsonl"
    problems.write_text("".join(json.dumps(r) + "\n" for r in rows))
    params = {"n_samples": 2, "batch_size": 2, "greedy": False, "max_new_tokens": 8, "diversity_samples": 2, "div_equ_samples": 2}
    cap = 6 * 2**30
    res = subprocess.run(
        [sys.executable, "-m", "divrl", "evaluate", "--params", json.dumps(params), "--model", str(toy_model),
         "--problems", str(problems), "--samples-out", str(tmp_path / "s.parquet"), "--metrics-out", str(tmp_path / "m.json")],
        capture_output=True, text=True, timeout=300, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)))
    assert res.returncode == 2, res.stderr[-2000:]
    assert one_line(res.stderr.splitlines()[-1]) == (
        f"divrl evaluate: error: evaluate {tmp_path / 's.parquet'}: problem 'giant' has a prompt of at least 500,003 tokens "
        f"(3,000,016 characters, not tokenized): with max_new_tokens 8 that is more than the 64-token context "
        f"(max_position_embeddings of {toy_model})")
    assert not (tmp_path / "m.json").exists()


def test_a_whole_test_set_is_checked_from_config_and_tokenizer_alone(tmp_path, toy_model):
    """What an evaluation job calls once before its first chunk (the refusal above comes per chunk)."""
    rows = [{"id": i, "prompt": "nums 3 4 5 target 12 ="} for i in range(40)] + [{"id": 40, "prompt": "nums 1 " * 10}]
    context.check_problems(str(toy_model), rows[:40], 50, "evaluate t.jsonl")  # 14 + 50 <= 64
    with pytest.raises(ValueError) as err:
        context.check_problems(str(toy_model), rows, 50, "evaluate t.jsonl")
    assert one_line(str(err.value)) == (
        "evaluate t.jsonl: problem '40' has a prompt of 40 tokens (70 characters): with max_new_tokens 50 that is more "
        f"than the 64-token context (max_position_embeddings of {toy_model})")
    with pytest.raises(ValueError, match=r"problem '0' has a prompt of 14 tokens .* the 32-token context \(eval.max_model_len\)"):
        context.check_problems(str(toy_model), rows[:1], 20, "evaluate t.jsonl", max_model_len=32)


def test_training_refuses_a_prompt_without_room_for_its_completions(tmp_path, toy_model):
    """TRL would cut such a prompt (max_prompt_length) without a word: the train verb refuses it
    before any weight loads, naming the row and the key."""
    rows = [{"id": "ok", "task": "countdown", "prompt": "nums 3 4 5 target 12 =", "numbers": [3, 4, 5], "target": 12},
            {"id": "long", "task": "countdown", "prompt": "nums " + "3 " * 30 + "target 12 =", "numbers": [3] * 30,
             "target": 12}]
    problems = tmp_path / "train.jsonl"
    problems.write_text("".join(json.dumps(r) + "\n" for r in rows))
    params = {"steps": 1, "prompts_per_step": 2, "num_generations": 2, "max_completion_length": 16, "device": "cpu"}
    res = subprocess.run(
        [sys.executable, "-m", "divrl", "train", "--params", json.dumps(params), "--method", "grpo", "--seed", "0",
         "--base", str(toy_model), "--problems", str(problems), "--model-out", str(tmp_path / "m"),
         "--log-out", str(tmp_path / "log.json"), "--checkpoints", str(tmp_path / "ck")],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr[-2000:]
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith(f"divrl train: error: train {problems}: problem 'long' has a prompt of ")
    assert "with train.max_completion_length 16 that is more than the 64-token context" in line
    assert "datasets.filter.max_prompt_tokens" in line and not (tmp_path / "m").exists()
