"""A real (two-step) TRL run through divrl's trainer hook for every registered method."""

import json

import pytest

from divrl import methods
from divrl.train.run import train

from divrl.settings.train import TrainSpec
SPEC = TrainSpec(steps=2, prompts_per_step=2, num_generations=4, save_steps=1, logging_steps=1)


@pytest.mark.parametrize("name", [*methods.names(), "dra_dapo"])
def test_short_training_run(name, tiny_base, tiny_problems, tmp_path):
    info = train(name, {}, 0, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / "out/model", tmp_path / "out/train_log.json",
                 tmp_path / "ck")
    assert (tmp_path / "out/model/model.safetensors").exists()
    logged = [h for h in info["log_history"] if "advantage_abs_mean" in h]
    assert logged, "the method hook did not run"  # our metric proves advantages were replaced
    method = methods.get(name)
    if method.loss_term is not None:
        assert any("method_loss_term" in h for h in info["log_history"]), "the loss term was not applied"
    if method.drop_uniform_groups:
        assert any("dropped_uniform_share" in h for h in info["log_history"])
    assert json.loads((tmp_path / "out/train_log.json").read_text())["method"] == name


def test_more_steps_is_another_run_not_a_resume(tiny_base, tiny_problems, tmp_path):
    """steps is part of the run (it shapes the schedule): a longer run starts fresh (tests/test_checkpoints.py)."""
    first = train("grpo", {}, 0, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / "a/model", tmp_path / "a/log.json",
                  tmp_path / "ck")
    assert first["resumed_from"] is None
    more = TrainSpec(**{**SPEC.__dict__, "steps": 3})
    again = train("grpo", {}, 0, more, str(tiny_base), tiny_problems["train"], tmp_path / "b/model", tmp_path / "b/log.json",
                  tmp_path / "ck")
    assert again["resumed_from"] is None and again["global_step"] == 3 and again["set_aside"]


def test_missing_base_model_is_a_clear_error(tiny_problems, tmp_path):
    with pytest.raises(FileNotFoundError, match="base model"):
        train("grpo", {}, 0, SPEC, str(tmp_path / "nope"), tiny_problems["train"], tmp_path / "o/model", tmp_path / "o/log.json",
              tmp_path / "c")


def test_deferred_logp_old_equals_extra_forward(tiny_base, tiny_problems, tmp_path):
    """On-policy, advantages from the loss forward's log-probs = those of a separate forward.

    DS smoothing every group: the barely trained tiny base gets every answer wrong, and
    the test needs non-zero advantages (unlikeliness shares the deferred path).
    """
    name, params = "ds", {"smooth_uniform_groups": True}
    from divrl.train.run import build_trainer

    used = {}
    for defer in (None, False):
        trainer = build_trainer(name, params, 0, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / f"ck{defer}")
        trainer.defer_logp_old = defer
        calls, seen = [], []
        trainer._sequence_logp_old = lambda out, f=trainer._sequence_logp_old: calls.append(1) or f(out)

        def loss(model, inputs, f=trainer._compute_loss, seen=seen):
            value = f(model, inputs)  # the deferred path fills inputs["advantages"] during this call
            ids = [tuple(row) for row in inputs["completion_ids"].tolist()]
            seen.append(sorted(zip(ids, inputs["advantages"].tolist())))
            return value

        trainer._compute_loss = loss
        trainer.train()
        assert bool(calls) == (defer is False), "the extra forward ran when it could be deferred (or not at all)"
        used[defer] = seen
    assert len(used[None]) == len(used[False]) == SPEC.steps
    for deferred, extra in zip(used[None], used[False]):
        assert [ids for ids, _ in deferred] == [ids for ids, _ in extra]  # same rollouts
        assert any(a != 0 for _, a in extra), "test needs non-zero advantages to mean anything"
        assert [a for _, a in deferred] == pytest.approx([a for _, a in extra], rel=1e-5, abs=1e-6)


def test_global_entropy_coef_reaches_trl_and_a_methods_own_alpha_replaces_it():
    from divrl import methods
    from divrl.train.run import _global_then_method_args

    spec = TrainSpec(**{**SPEC.__dict__, "entropy_coef": 0.001, "epsilon_high": 0.25})
    ds, penalty, dapo = methods.get("ds"), methods.get("entropy_penalty"), methods.get("dapo")
    assert _global_then_method_args(spec, ds, ds.typed()) == {"entropy_coef": 0.001, "epsilon_high": 0.25}
    own = _global_then_method_args(spec, penalty, penalty.typed({"alpha": 0.02}))
    assert own["entropy_coef"] == -0.02
    assert _global_then_method_args(spec, dapo, dapo.typed())["epsilon_high"] == 0.28


def test_dra_official_reward_trains_with_the_verifier_as_correctness(tiny_base, tmp_path):
    """DRA's reward (format ×1 + cosine ×2) sums to about 1 for a short formatted *wrong* answer
    (and to exactly 1 for a correct unformatted one of max_len characters): correctness must
    come from the verifier's own column, never from the sum."""
    from divrl.train.run import build_trainer

    rows = [{"id": f"m{i}", "prompt": f"{i}+{i}=", "task": "math", "answer": str(2 * i)} for i in range(1, 9)]
    spec = TrainSpec(**{**SPEC.__dict__, "steps": 1, "reward": "dra_official"})
    trainer = build_trainer("grpo", {}, 0, spec, str(tiny_base), rows, tmp_path / "ck")
    assert trainer.args.reward_weights == [1.0, 2.0, 0.0] and trainer.correct_index == 2
    fmt, cosine, verdict = trainer.reward_funcs
    short_wrong = "\n</think>\n\\boxed{7}"
    assert fmt([None], [short_wrong])[0] + 2 * cosine([None], [short_wrong], answer=["2"])[0] > 0.99
    assert verdict([None], [short_wrong], answer=["2"]) == [0.0]
    trainer.train()
    assert trainer._correct is not None and str(trainer._correct.dtype) == "torch.bool"


def test_progress_bar_names_the_run_and_no_deprecation_flood(tiny_base, tiny_problems, tmp_path, capfd):
    train("grpo", {}, 4, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / "o/model", tmp_path / "o/log.json", tmp_path / "ck")
    err = capfd.readouterr().err
    assert "grpo seed 4:" in err
    assert "FutureWarning" not in err


def test_report_to_needs_the_integration_installed():
    from divrl.train.run import check_report_to

    with pytest.raises(ValueError, match=r"train.report_to: 'no_such_tracker_xyz' is not installed"):
        check_report_to(("no_such_tracker_xyz",))
    check_report_to(())


def test_vllm_rollouts_without_trls_default_importance_correction():
    """TRL 1.16 corrects vLLM/trainer log-prob mismatch by default; the papers' stacks did not."""
    from divrl.train.run import _vllm_args

    args = _vllm_args(TrainSpec(**{**SPEC.__dict__, "use_vllm": True}))
    assert args["vllm_importance_sampling_correction"] is False and args["vllm_mode"] == "colocate"
    assert _vllm_args(SPEC) == {}


def test_sequence_logp_reduces_as_the_method_declares():
    import torch

    from divrl.train.trainer import sequence_logp

    per_token = torch.tensor([[-1.0, -2.0, float("-inf")], [-3.0, 0.0, 0.0]])  # −inf on padding must not leak
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert sequence_logp(per_token, mask, "sum").tolist() == [-3.0, -3.0]
    assert sequence_logp(per_token, mask, "mean").tolist() == [-1.5, -3.0]
    with pytest.raises(ValueError, match="'max' is not"):
        sequence_logp(per_token, mask, "max")
    assert methods.get("ds").typed({"length_normalized": True}).logp_reduction() == "mean"
