"""Fails loudly when the pinned TRL moves the internals divrl's trainer overrides."""

import inspect

import trl
from trl import GRPOTrainer


def test_trl_is_the_pinned_version():
    assert trl.__version__ == "1.16.0", "divrl.train.trainer is written against TRL 1.16.0; re-check its hooks"


def test_hooked_methods_exist_with_expected_signatures():
    params = lambda name: list(inspect.signature(getattr(GRPOTrainer, name)).parameters)  # noqa: E731
    assert params("_calculate_rewards") == ["self", "inputs", "prompts", "completions", "completion_ids_list"]
    assert params("_generate_and_score_completions")[:2] == ["self", "inputs"]
    assert params("_get_per_token_logps_and_entropies")[:5] == ["self", "model", "input_ids", "attention_mask", "logits_to_keep"]


def test_output_dict_keys_we_read_are_still_produced():
    src = inspect.getsource(GRPOTrainer._generate_and_score_completions)
    for key in ('"advantages"', '"completion_mask"', '"prompt_ids"', '"prompt_mask"', '"completion_ids"', '"old_per_token_logps"'):
        assert key in src, key
    assert "self._calculate_rewards(" in src
