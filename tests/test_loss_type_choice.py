"""Which TRL loss a method trains with: a method defined by its loss keeps it; train.loss_type
holds the aggregation of the others fixed; cispo may run under a `dapo` config (same token
normalisation in TRL), every other conflicting pair is refused before any job."""

import pytest

from divrl import methods
from divrl.config.load import load_config
from divrl.system.errors import ConfigError
from divrl.settings.train import TrainSpec
from divrl.train.run import loss_type_of


@pytest.mark.parametrize("global_loss, method, expected", [
    (None, "grpo", "grpo"), ("dapo", "grpo", "dapo"), ("dapo", "ds", "dapo"),
    ("dapo", "cispo", "cispo"), (None, "cispo", "cispo"), ("dapo", "dapo", "dapo"), (None, "dr_grpo", "dr_grpo"),
])
def test_loss_type_of(global_loss, method, expected):
    assert loss_type_of(TrainSpec(loss_type=global_loss), methods.get(method)) == expected
    assert methods.get(method).trl_loss_type(global_loss) == expected  # the registry decides, by no method name


def test_a_method_defines_its_loss_when_its_loss_type_is_not_the_registry_default():
    assert {n for n in [*methods.names(), "dra_dapo"] if methods.get(n).defines_loss} == {
        "cispo", "dapo", "dr_grpo", "dra_dr_grpo", "dra_dapo"}


def test_cispo_runs_under_a_dapo_config_and_not_under_grpo():
    cfg = load_config({"methods": {"grpo": {}, "cispo": {}}, "train": {"loss_type": "dapo"}})
    assert cfg["train"]["loss_type"] == "dapo"
    with pytest.raises(ConfigError, match="would replace the loss_type 'cispo'"):
        load_config({"methods": {"grpo": {}, "cispo": {}}, "train": {"loss_type": "grpo"}})
    with pytest.raises(ConfigError, match="would replace the loss_type 'dr_grpo'"):
        load_config({"methods": {"dr_grpo": {}}, "train": {"loss_type": "dapo"}})
