"""train.dra_official_code: DRA-GRPO's published code path, behaviour by behaviour.

Each behaviour is checked against the official code's semantics (github xiwenc1/DRA-GRPO,
cited per test) or a slow re-implementation of it, and the default (switch off, the
paper's formula and our verifier) is checked unchanged.
"""

import functools
import math

import pytest
import torch

from divrl.models import embedding

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.dra import dra_rewards, dra_rewards_official, process_slice_totals
from divrl.settings.model import parse
from divrl.settings.train import Train
from divrl.tasks import boxed_math, math_rewards
from divrl.tasks.math_rewards import Cosine, cosine_reward, dra_official, official_verdict

# ------------------------------------------------------------------- the verifier
# rewards.py lines 295-337: gold = parse(solution), answer = math_verify's extraction over
# the whole completion, 1.0 for the cosine term where the gold does not parse.


def our_verify(completion: str, answer: str) -> bool:
    return boxed_math.is_correct(completion, answer)


def cosine_column(official_code: bool, completion: str, answer: str, solution=None) -> float:
    _, cosine, _ = dra_official(our_verify, official_code=official_code).funcs
    columns = {} if solution is None else {"solution": [solution]}
    return cosine([None], [completion], answer=[answer], **columns)[0]


SOLUTION_5 = "Adding the two parts gives $2 + 3 = 5$, so the answer is $\\boxed{5}$."


def test_a_gold_that_does_not_parse_scores_one_whatever_the_completion():
    """rewards.py lines 296-300: `if len(gold_parsed) == 0: rewards.append(1.0)`."""
    words_only = "Count the squares in the figure one by one."
    assert official_verdict("\\boxed{5}", words_only) is None
    for completion in ("\\boxed{5}", "\\boxed{4}", "no answer at all " * 50):
        assert cosine_column(True, completion, "5", solution=words_only) == 1.0
    # the default scores the same completions on the row's answer: no free 1.0
    assert cosine_column(False, "\\boxed{4}", "5", solution=words_only) == cosine_reward(False, len("\\boxed{4}"))


def test_the_official_answer_is_the_rightmost_box_of_the_whole_completion():
    """Lines 302-319: no <answer> scoping, boxes first (boxed_match_priority=0), rightmost wins."""
    box_in_reasoning = "<think>\n2 + 3 is \\boxed{5}\n</think>\n<answer>7</answer>"
    assert official_verdict(box_in_reasoning, SOLUTION_5) is True
    assert not our_verify(box_in_reasoning, "5")  # ours reads the <answer> block: 7
    assert cosine_column(True, box_in_reasoning, "5", SOLUTION_5) == cosine_reward(True, len(box_in_reasoning))
    assert cosine_column(False, box_in_reasoning, "5", SOLUTION_5) == cosine_reward(False, len(box_in_reasoning))

    box_after_answer = "<answer>\\boxed{5}</answer>\nOr perhaps it was \\boxed{3}"
    assert our_verify(box_after_answer, "5")  # ours: the box inside the answer block
    assert official_verdict(box_after_answer, SOLUTION_5) is False  # official: the rightmost box, 3


def test_the_official_answer_needs_no_box_after_an_answer_anchor():
    """try_extract_without_anchor=False still reads LaTeX after 'final answer is'."""
    anchored = "So the final answer is $5$."
    assert official_verdict(anchored, SOLUTION_5) is True
    assert not our_verify(anchored, "5")


def test_the_gold_is_the_solution_column_when_rows_carry_it_else_a_box_around_the_answer():
    solution_6 = "Hence $\\boxed{6}$."
    assert cosine_column(True, "\\boxed{6}", "5", solution=solution_6) == cosine_reward(True, len("\\boxed{6}"))
    assert cosine_column(True, "\\boxed{6}", "5") == cosine_reward(False, len("\\boxed{6}"))  # gold \boxed{5}
    assert math_rewards.official_gold("5") == "\\boxed{5}"


def test_the_official_cosine_keeps_the_length_scaling():
    long_right = "x" * 500 + " \\boxed{5}"
    expected = 0.5 + 0.25 * (1 + math.cos(math.pi * len(long_right) / 1000))  # rewards.py line 336
    assert cosine_column(True, long_right, "5", SOLUTION_5) == pytest.approx(expected)


def test_correctness_stays_our_verifier_under_the_switch():
    """The weight-0 column feeds accuracy and DS/Div's split: the same with the switch on or off."""
    box_in_reasoning = "<think>\n\\boxed{5}\n</think>\n<answer>7</answer>"
    for official in (False, True):
        rewards = dra_official(our_verify, official_code=official)
        assert rewards.weights == [1.0, 2.0, 0.0] and rewards.correct_index == 2
        assert rewards.funcs[2]([None], [box_in_reasoning], answer=["5"], solution=[SOLUTION_5]) == [0.0]


def test_the_default_cosine_asks_only_the_task_verifier():
    seen = []

    def verify(completion, answer):
        seen.append((completion, answer))
        return answer == "right"

    _, cosine, _ = dra_official(verify, Cosine()).funcs
    assert cosine([None, None], ["a", "bb"], answer=["right", "wrong"], solution=["x", "y"]) == [
        cosine_reward(True, 1), cosine_reward(False, 2)]
    assert seen == [("a", "right"), ("bb", "wrong")]


# ----------------------------------------------------------------- the truncation
# grpo_trainer.py line 681: jina's encode(completions, max_length=3584), a tokenizer cut
# with [CLS] and [SEP] counted, then mean pooling.
WORDS = ["the", "cat", "sat", "on", "a", "red", "mat", "and", "dog", "ran", "to", "big", "house"]


def words(n: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] for i in range(n))


def test_a_text_past_the_limit_embeds_as_its_prefix():
    tokenizer = embedding.load(embedding.DEFAULT, "cpu").tokenizer
    assert len(tokenizer(words(30))["input_ids"]) == 32  # one word piece a word, plus [CLS] and [SEP]
    long = words(600)
    cut = embedding.embed([long], max_tokens=32)
    torch.testing.assert_close(cut, embedding.embed([words(30)]), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(cut, embedding.embed([words(40)]), atol=1e-3)
    cached = embedding.CachedEmbedder(max_tokens=32)
    assert cached.max_tokens == 32
    torch.testing.assert_close(cached([long]), cut)


def test_the_default_cut_is_the_encoders_own_and_the_limit_never_lengthens_it():
    long = words(600)
    embedding.embed([long], max_tokens=16)  # a limited instance first: the default one must not change
    torch.testing.assert_close(embedding.embed([long]), embedding.embed([words(254)]), atol=1e-5, rtol=1e-5)
    assert embedding.OFFICIAL_DRA_MAX_TOKENS == 3584
    own = embedding.load(embedding.DEFAULT, "cpu").max_seq_length
    assert embedding.load(embedding.DEFAULT, "cpu", embedding.OFFICIAL_DRA_MAX_TOKENS).max_seq_length == own == 256


# -------------------------------------------------------------------- the slice
# grpo_trainer.py lines 667-708: per process, sims = E_p E_pᵀ over its own completions,
# weights 1 / (row sum + 1e-6), gathered; then the group normalisation with std + 1e-4.


def official_advantages(rewards: torch.Tensor, embeddings: torch.Tensor, per_process: int, group: int,
                        scale_by_std: bool) -> torch.Tensor:
    """The official arithmetic, one simulated process at a time, in plain loops."""
    weights = []
    for start in range(0, len(rewards), per_process):  # each process sees only its slice
        local = torch.nn.functional.normalize(embeddings[start : start + per_process].double(), dim=1)
        for i in range(len(local)):
            weights.append(1.0 / (sum(float(local[i] @ local[j]) for j in range(len(local))) + 1e-6))
    adjusted = rewards.double() * torch.tensor(weights, dtype=torch.float64)
    out = []
    for start in range(0, len(adjusted), group):
        g = adjusted[start : start + group]
        centred = g - g.mean()
        out.extend((centred / (g.std() + 1e-4) if scale_by_std else centred).tolist())
    return torch.tensor(out, dtype=torch.float64)


def batch(seed: int, n: int = 12, d: int = 8):
    gen = torch.Generator().manual_seed(seed)
    rewards = torch.tensor([2.0, -0.4, 1.5, 0.1, 2.1, -0.2] * (n // 6))[:n] + 0.01 * torch.rand(n, generator=gen)
    return rewards, torch.rand(n, d, generator=gen)


def test_slice_sums_match_a_slow_loop_over_each_processes_completions():
    _, emb = batch(0)
    own, totals = process_slice_totals(emb, 6)  # 2 simulated processes of 6 completions
    sums = (own * totals).sum(-1)
    unit = torch.nn.functional.normalize(emb, dim=1)
    slow = [sum(float(unit[i] @ unit[j]) for j in range(12) if j // 6 == i // 6) for i in range(12)]
    torch.testing.assert_close(sums, torch.tensor(slow), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(own, unit)
    with pytest.raises(ValueError, match="process slices"):
        process_slice_totals(emb, 5)


def test_the_similarity_spans_each_processes_slice_not_the_group():
    """G = 4, 2 processes of 6: process 0 holds group 0 and half of group 1."""
    rewards, emb = batch(1)
    own, totals = process_slice_totals(emb, 6)
    moved = emb.clone()
    moved[6] = torch.rand(8, generator=torch.Generator().manual_seed(9))  # group 1's member on process 1
    moved_own, moved_totals = process_slice_totals(moved, 6)
    # completion 4 (group 1, process 0) ignores its group-mate 6 and counts group 0's completions
    torch.testing.assert_close(dra_rewards_official(rewards[4:5], moved_own[4:5], moved_totals[4:5]),
                               dra_rewards_official(rewards[4:5], own[4:5], totals[4:5]))
    assert not torch.allclose(dra_rewards(rewards[4:8], moved[4:8])[0], dra_rewards(rewards[4:8], emb[4:8])[0])


@pytest.mark.parametrize("name", ["dra_grpo", "dra_dr_grpo"])
@pytest.mark.parametrize("per_process", [4, 6, 12])
def test_official_advantages_match_the_official_arithmetic(name, per_process):
    rewards, emb = batch(2)
    group = 6 if per_process != 6 else 4
    method = methods.get(name)
    own, totals = process_slice_totals(emb, per_process)
    inputs = GroupInputs(correct=rewards > 1, embeddings=own, slice_totals=totals)
    hp = method.typed({"adjust_uniform_groups": True})
    ours = method.batch_advantages(rewards, group, inputs, hp)
    want = official_advantages(rewards, emb, per_process, group, method.scale_by_std)
    torch.testing.assert_close(ours.double(), want, atol=1e-4, rtol=1e-4)
    paper = method.batch_advantages(rewards, group, GroupInputs(correct=rewards > 1, embeddings=emb), hp)
    assert not torch.allclose(paper, ours, atol=1e-3)  # the slice is not the group here


def test_the_paper_formula_is_unchanged_by_default():
    rewards, emb = batch(3)
    dra = methods.get("dra_grpo")
    paper = dra.batch_advantages(rewards, 6, GroupInputs(correct=rewards > 1, embeddings=emb),
                                 dra.typed({"adjust_uniform_groups": True}))
    slow = []
    for start in range(0, 12, 6):
        r = rewards[start : start + 6].double()
        unit = torch.nn.functional.normalize(emb[start : start + 6].double(), dim=1)
        adj = torch.stack([r[i] / sum(unit[i] @ unit[j] for j in range(6)) for i in range(6)])
        slow.extend(((adj - adj.mean()) / (adj.std() + 1e-4)).tolist())
    torch.testing.assert_close(paper.double(), torch.tensor(slow, dtype=torch.float64), atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------- the switch end to end


def test_the_switch_needs_the_official_reward():
    with pytest.raises(ValueError, match="dra_official_code.*reward: dra_official"):
        parse(Train, {"dra_official_code": True}, "train")
    assert parse(Train, {"dra_official_code": True, "reward": "dra_official"}, "train").dra_official_code
    assert parse(Train, {}, "train").dra_official_code is False


def test_the_trainer_under_the_switch_truncates_and_slices(tiny_base, tmp_path, monkeypatch):
    """One real step of dra_grpo: the embedder cuts at 3,584 and DRA gets per-process slice totals."""
    from divrl.train import run
    from divrl.train.run import build_trainer
    from divrl.settings.train import TrainSpec
    from divrl.train.trainer import MethodGRPOTrainer

    # the train job hands train.dra_official_code to the trainer (run.py); here directly
    monkeypatch.setattr(run, "MethodGRPOTrainer", functools.partial(MethodGRPOTrainer, dra_official_code=True))
    rows = [{"id": f"m{i}", "prompt": f"{i}+{i}=", "task": "math", "answer": str(2 * i)} for i in range(1, 9)]
    spec = TrainSpec(steps=1, prompts_per_step=2, num_generations=4, save_steps=1, logging_steps=1,
                     reward="dra_official", dra_official_code=True)
    trainer = build_trainer("dra_grpo", {"adjust_uniform_groups": True}, 0, spec, str(tiny_base), rows, tmp_path / "ck")
    assert trainer.embed.max_tokens == embedding.OFFICIAL_DRA_MAX_TOKENS
    seen = []
    trainer._method_advantages = lambda group, mode, position=None, f=trainer._method_advantages: (
        seen.append((group.embeddings.clone(), group.slice_totals.clone())) or f(group, mode, position))
    trainer.train()
    assert seen and seen[0][1].shape[0] == 8  # one process: its 8 completions, 2 groups
    own, totals = seen[0]
    torch.testing.assert_close(own.norm(dim=1), torch.ones(8))
    torch.testing.assert_close(totals, own.sum(0).expand(8, -1), atol=1e-5, rtol=1e-5)
