"""train.coupled_sampling: runs with the same seed draw the same rollout random numbers
whatever the method, see the same prompts in the same order, and still resume
bit-identically; vLLM (no per-request seed in TRL) is refused in one line."""

import shutil

import pytest
from safetensors.torch import load_file

from divrl.settings.model import parse
from divrl.settings.train import Train
from divrl.train.run import build_trainer, train

from divrl.settings.train import TrainSpec
SPEC = TrainSpec(steps=2, prompts_per_step=2, num_generations=4, save_steps=2, logging_steps=1, coupled_sampling=True)


def rollouts(name, seed, spec, base, problems, tmp_path):
    """(problem ids, completion ids) of every generation of a short run."""
    trainer = build_trainer(name, {}, seed, spec, str(base), problems, tmp_path / f"ck-{name}-{seed}")
    seen = []

    def generate(prompt_ids, *a, f=trainer._generate_single_turn, **kw):
        ids, logprobs = f(prompt_ids, *a, **kw)
        seen.append((list(trainer._rollout_keys), ids))
        return ids, logprobs

    trainer._generate_single_turn = generate
    trainer.train()
    return seen


def test_two_methods_with_one_seed_start_from_identical_rollouts(tiny_base, tiny_problems, tmp_path):
    problems = tiny_problems["train"]
    grpo = rollouts("grpo", 0, SPEC, tiny_base, problems, tmp_path)
    ds = rollouts("ds", 0, SPEC, tiny_base, problems, tmp_path)
    other_seed = rollouts("grpo", 1, SPEC, tiny_base, problems, tmp_path)
    assert len(grpo) == len(ds) == SPEC.steps
    assert [keys for keys, _ in grpo] == [keys for keys, _ in ds], "TRL's prompt order differs across methods"
    assert grpo[0][1] == ds[0][1], "step-0 rollouts of two methods with one seed differ"

    assert other_seed[0][1] != grpo[0][1]
    two = problems[:2]  # every step draws both: same prompts, so only the seed can set the rollouts apart
    s0 = rollouts("grpo", 0, SPEC, tiny_base, two, tmp_path / "s0")
    s1 = rollouts("grpo", 1, SPEC, tiny_base, two, tmp_path / "s1")
    assert step0_by_problem(s0).keys() == step0_by_problem(s1).keys()
    assert step0_by_problem(s0) != step0_by_problem(s1)


def step0_by_problem(seen) -> dict:
    keys, ids = seen[0]
    return {k: sorted(tuple(c) for kk, c in zip(keys, ids) if kk == k) for k in keys}


def test_the_problem_key_and_sample_index_decide_the_draws(tiny_base, tiny_problems, tmp_path):
    """Rows of one group draw different numbers (their sample index differs)."""
    seen = rollouts("grpo", 0, SPEC, tiny_base, tiny_problems["train"], tmp_path)
    keys, ids = seen[0]
    group = [ids[i] for i in range(SPEC.num_generations)]
    assert len(set(keys[: SPEC.num_generations])) == 1
    assert len({tuple(c) for c in group}) > 1, "a group's rows drew the same completion: sample index unused?"


def test_resume_with_coupled_sampling_is_bit_identical(tiny_base, tiny_problems, tmp_path):
    spec = TrainSpec(**{**SPEC.__dict__, "steps": 4})
    problems = tiny_problems["train"]
    train("ds", {}, 3, spec, str(tiny_base), problems, tmp_path / "a/model", tmp_path / "a/log.json", tmp_path / "ck_a")
    (tmp_path / "ck_b").mkdir()
    shutil.copytree(tmp_path / "ck_a/checkpoint-2", tmp_path / "ck_b/checkpoint-2")
    info = train("ds", {}, 3, spec, str(tiny_base), problems, tmp_path / "b/model", tmp_path / "b/log.json", tmp_path / "ck_b")
    assert info["resumed_from"].endswith("checkpoint-2")
    a, b = load_file(tmp_path / "a/model/model.safetensors"), load_file(tmp_path / "b/model/model.safetensors")
    for key in a:
        assert (a[key] == b[key]).all(), f"{key} differs after resume"


def test_coupled_sampling_with_vllm_is_refused_in_one_line():
    with pytest.raises(ValueError) as err:
        parse(Train, {"coupled_sampling": True, "use_vllm": True}, "train")
    assert "\n" not in str(err.value) and str(err.value).startswith("train.use_vllm: coupled_sampling is on")
    assert parse(Train, {"coupled_sampling": True}, "train").coupled_sampling
