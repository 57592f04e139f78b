"""Which TRL loss a method trains with: a method defined by its loss keeps it; train.loss_type
holds the aggregation of the others fixed; cispo may run under a `dapo` config (same token
normalisation in TRL), every other conflicting pair is refused before any job."""

import pytest

from divrl import methods
from divrl.settings.load import validate
from divrl.system.errors import ConfigError
from divrl.settings.train import TrainSpec
from divrl.train.run import loss_type_of


@pytest.mark.parametrize("global_loss, method, expected", [
    (None, "grpo", "grpo"), ("dapo", "grpo", "dapo"), ("dapo", "ds", "dapo"),
    ("dapo", "cispo", "cispo"), (None, "cispo", "cispo"), ("dapo", "dapo", "dapo"), (None, "dr_grpo", "dr_grpo"),
])
def test_loss_type_of(global_loss, method, expected):
    assert loss_type_of(TrainSpec(loss_type=global_loss), methods.get(method)) == expected


def test_cispo_runs_under_a_dapo_config_and_not_under_grpo():
    cfg = validate({"methods": {"grpo": {}, "cispo": {}}, "train": {"loss_type": "dapo"}})
    assert cfg["train"]["loss_type"] == "dapo"
    with pytest.raises(ConfigError, match="would replace the loss_type 'cispo'"):
        validate({"methods": {"grpo": {}, "cispo": {}}, "train": {"loss_type": "grpo"}})
    with pytest.raises(ConfigError, match="would replace the loss_type 'dr_grpo'"):
        validate({"methods": {"dr_grpo": {}}, "train": {"loss_type": "dapo"}})
