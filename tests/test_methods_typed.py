"""A method's hyperparameters are validated once per run (`Method.typed`) and every hook gets
that typed instance: a training step validates nothing, and a composed method's hooks
read both parts' fields from one instance."""

from dataclasses import replace

import pytest
import torch

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods import hyperparameters as hps
from divrl.methods.ds import DSParams
from divrl.settings.train import TrainSpec


def test_typed_gives_the_class_instance_and_params_the_values_as_given():
    ds = methods.get("ds")
    hp = ds.typed({"gamma_p": 1})
    assert isinstance(hp, DSParams) and hp.gamma_p == 1.0 and hp.gamma_n == 0.05
    # the dict a run logs and fingerprints keeps the int the config wrote
    assert hp.resolved() == ds.params({"gamma_p": 1}) == {**ds.defaults, "gamma_p": 1}
    assert type(ds.params({"gamma_p": 1})["gamma_p"]) is int
    assert ds.validate({"gamma_p": 1}, 8) == hp


def test_composed_instance_holds_both_parts_and_one_class_per_name():
    m = methods.get("dra_ds")
    assert m is methods.get("dra_ds")  # built once: an instance typed by one get() fits the next
    hp = m.typed({"gamma_p": 0.2, "adjust_uniform_groups": True})
    assert isinstance(hp, DSParams) and hp.gamma_p == 0.2 and hp.adjust_uniform_groups is True


def test_batch_advantages_takes_the_methods_instance_not_a_dict():
    ds, r = methods.get("ds"), torch.tensor([1.0, 0.0, 0.0, 1.0])
    x = GroupInputs(r >= 1, logp_old=-torch.arange(1.0, 5.0))
    with pytest.raises(TypeError, match="DSParams"):
        ds.batch_advantages(r, 4, x, {"gamma_p": 0.1})
    with pytest.raises(TypeError, match="DSParams"):
        ds.batch_advantages(r, 4, x, methods.get("unlikeliness").typed())
    torch.testing.assert_close(ds.batch_advantages(r, 4, x, ds.typed({"gamma_p": 0.1})),
                               ds.group_advantages(r, x, gamma_p=0.1))


@pytest.mark.parametrize("name, overrides", [
    ("dra_ds", {"smooth_uniform_groups": True, "adjust_uniform_groups": True}),  # two transforms, log π_old
    ("div", {"lam": 0.5}),  # a loss term
])
def test_a_training_run_validates_once_and_hooks_get_that_instance(name, overrides, tiny_base, tiny_problems,
                                                                   tmp_path, monkeypatch):
    from divrl.train.run import build_trainer

    validated = []
    validate = hps.validate
    monkeypatch.setattr(hps, "validate", lambda *a: validated.append(a[1]) or validate(*a))
    spec = TrainSpec(steps=3, prompts_per_step=2, num_generations=4, save_steps=100, logging_steps=1)
    trainer = build_trainer(name, overrides, 0, spec, str(tiny_base), tiny_problems["train"], tmp_path / "ck")
    assert validated == [name]
    method, seen = trainer.method, []

    def recording(hook):
        return None if hook is None else (lambda *a: seen.append((hook, a[-1])) or hook(*a))

    hooks = [h for h in (method.reward_transform, method.advantage_transform, method.loss_term) if h is not None]
    trainer.method = replace(method, reward_transform=recording(method.reward_transform),
                             advantage_transform=recording(method.advantage_transform),
                             loss_term=recording(method.loss_term))
    trainer.train()
    assert validated == [name], "a training step validated the hyperparameters again"
    assert isinstance(trainer.hyperparameters, method.hyperparameters)
    assert trainer.method_params == {**method.defaults, **overrides}
    assert {h for h, _ in seen} == set(hooks)  # every hook ran …
    assert all(hp is trainer.hyperparameters for _, hp in seen)  # … on the run's one instance
    per_step = {"dra_ds": 2 * spec.prompts_per_step, "div": 1}[name]  # 2 transforms per group; 1 loss term
    assert len(seen) == spec.steps * per_step
