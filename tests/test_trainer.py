"""A real (two-step) TRL run through divrl's trainer hook for every registered method."""

import json

import pytest

from divrl import methods
from divrl.train.run import TrainSpec, train

SPEC = TrainSpec(steps=2, prompts_per_step=2, num_generations=4, save_steps=1, logging_steps=1)


@pytest.mark.parametrize("name", [*methods.names(), "dra_dapo"])
def test_short_training_run(name, tiny_base, tiny_problems, tmp_path):
    info = train(name, {}, 0, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / "out", tmp_path / "ck")
    assert (tmp_path / "out/model/model.safetensors").exists()
    logged = [h for h in info["log_history"] if "advantage_abs_mean" in h]
    assert logged, "the method hook did not run"  # our metric proves advantages were replaced
    method = methods.get(name)
    if method.loss_term is not None:
        assert any("method_loss_term" in h for h in info["log_history"]), "the loss term was not applied"
    if method.drop_uniform_groups:
        assert any("dropped_uniform_share" in h for h in info["log_history"])
    assert json.loads((tmp_path / "out/train_log.json").read_text())["method"] == name


def test_resumes_from_last_checkpoint(tiny_base, tiny_problems, tmp_path):
    first = train("grpo", {}, 0, SPEC, str(tiny_base), tiny_problems["train"], tmp_path / "a", tmp_path / "ck")
    assert first["resumed_from"] is None
    more = TrainSpec(**{**SPEC.__dict__, "steps": 3})
    again = train("grpo", {}, 0, more, str(tiny_base), tiny_problems["train"], tmp_path / "b", tmp_path / "ck")
    assert again["resumed_from"] and again["resumed_from"].endswith("checkpoint-2")


def test_missing_base_model_is_a_clear_error(tiny_problems, tmp_path):
    with pytest.raises(FileNotFoundError, match="base model"):
        train("grpo", {}, 0, SPEC, str(tmp_path / "nope"), tiny_problems["train"], tmp_path / "o", tmp_path / "c")
