"""Fails loudly, and by name, when the pinned TRL moves an internal divrl relies on.

Every private member of GRPOTrainer that divrl.train.trainer overrides or reads, the
keys of the dicts it reads and writes, the order TRL calls the hooks in, and every
GRPOConfig field divrl.train.run passes. Source checks where constructing a trainer
would cost a model; behaviour checks where the helper is cheap to call.
"""

import ast
import inspect
import re
from pathlib import Path

import pytest
import torch
import transformers
import trl
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import shuffle_sequence_dict, split_tensor_dict

from divrl import methods

ROOT = Path(__file__).resolve().parents[1]


def src(fn) -> str:
    return inspect.getsource(fn)


def params(name: str) -> list[str]:
    return list(inspect.signature(getattr(GRPOTrainer, name)).parameters)


def test_trl_is_the_pinned_version():
    assert trl.__version__ == "1.16.0", "divrl.train.trainer is written against TRL 1.16.0; re-check its hooks"


# ------------------------------------------------------------------ the three hooks we override
def test_hooked_methods_exist_with_expected_signatures():
    assert params("_calculate_rewards") == ["self", "inputs", "prompts", "completions", "completion_ids_list"]
    assert params("_generate_and_score_completions")[:2] == ["self", "inputs"]
    assert params("_get_per_token_logps_and_entropies")[:5] == ["self", "model", "input_ids", "attention_mask", "logits_to_keep"]
    assert "batch_size" in params("_get_per_token_logps_and_entropies")  # our extra forward passes it by name
    assert params("_compute_loss") == ["self", "model", "inputs"]


def test_calculate_rewards_returns_all_processes_rewards_per_function():
    body = src(GRPOTrainer._calculate_rewards)
    assert "gather(rewards_per_func)" in body, "_calculate_rewards no longer gathers: groups would be split"
    assert body.rstrip().endswith("return rewards_per_func")


def test_per_token_logps_returns_logps_entropies_aux():
    assert "return logps, entropies, aux_loss" in src(GRPOTrainer._get_per_token_logps_and_entropies)


def test_output_dict_keys_we_read_are_still_produced():
    body = src(GRPOTrainer._generate_and_score_completions)
    for key in ("advantages", "completion_mask", "prompt_ids", "prompt_mask", "completion_ids", "old_per_token_logps",
                "num_items_in_batch"):
        assert f'"{key}"' in body, key
    assert "self._calculate_rewards(" in body
    # the advantages it returns are this process's slice of the gathered ones: we replace them the same way
    assert "advantages = advantages[process_slice]" in body
    assert 'self._logs["advantages"].extend(all_process_advantages.tolist())' in body


def test_compute_loss_reads_advantages_after_the_forward_we_hook():
    """The deferred path fills inputs["advantages"] inside the forward: TRL must read them after it."""
    body = src(GRPOTrainer._compute_loss)
    forward = body.index("self._get_per_token_logps_and_entropies(")
    assert forward < body.index('advantages = inputs["advantages"]'), "TRL reads advantages before the loss forward"
    assert 'inputs.get("old_per_token_logps")' in body and "per_token_logps.detach()" in body  # on-policy π_old
    assert 'inputs["completion_mask"]' in body
    assert 'inputs["num_items_in_batch"]' in body  # DAPO dropping rewrites it


@pytest.mark.parametrize("loss_type", sorted({methods.get(n).loss_type for n in methods.names()}))
def test_every_methods_loss_type_is_handled_by_trl(loss_type):
    assert f'"{loss_type}"' in src(GRPOTrainer._compute_loss), loss_type


# ------------------------------------------------------------------ rollouts and the loss forward we replace
def test_generate_single_turn_is_the_hf_rollout_step_we_replace():
    """sampling/rollout.py answers for TRL's plain HF branch: token ids in, (ids cut after EOS, None) out."""
    assert params("_generate_single_turn") == ["self", "prompt_ids", "images", "multimodal_fields", "num_generations",
                                               "has_tool_images"]
    body = src(GRPOTrainer._generate_single_turn)
    assert "completion_mask = (sequence_indices <= eos_idx.unsqueeze(1)).int()" in body  # EOS kept, rest dropped
    assert "logprobs = None  # not used in this case" in body and body.rstrip().endswith("return completion_ids, logprobs")
    assert "completion_ids, logprobs = self._generate_single_turn(" in src(GRPOTrainer._generate)


@pytest.mark.parametrize("assignment", [
    "self.eos_token_ids = eos_token_ids", "self.max_completion_length = args.max_completion_length",
    "self.top_p = args.top_p", "self.top_k = args.top_k", "self.min_p = args.min_p",
    "self.repetition_penalty = args.repetition_penalty",
    "self.use_transformers_continuous_batching = args.use_transformers_continuous_batching",
    "self.use_vllm = args.use_vllm",
])
def test_generation_settings_the_rollout_reads(assignment):
    assert assignment in src(GRPOTrainer.__init__), assignment


def test_loss_forward_we_replace_is_the_fused_head_over_completion_labels():
    """train/prefix.py computes what this call computes (tests/test_prefix_forest.py compares them)."""
    body = src(GRPOTrainer._get_per_token_logps_and_entropies)
    assert "labels[:, :-logits_to_keep] = -100" in body
    assert "outputs = model(**model_inputs, labels=labels, fused_lm_head=True)" in body
    assert "all_logps.append(outputs.log_probs[:, -logits_to_keep:])" in body
    init = src(GRPOTrainer.__init__)
    assert "temperature=self.temperature" in init and 'outputs=("log_probs", "entropy")' in init


# ------------------------------------------------------------------ how our batch keys travel
def test_prepare_inputs_shuffles_then_splits_the_generated_batch():
    body = src(GRPOTrainer._prepare_inputs)
    gen, shuffle = body.index("self._generate_and_score_completions("), body.index("shuffle_sequence_dict(")
    assert gen < shuffle < body.index("split_tensor_dict(generation_batch, self.args.steps_per_generation)")


def test_shuffle_and_split_carry_every_per_completion_tensor_in_unison():
    """divrl_correct / divrl_position ride in the batch dict because of exactly this."""
    batch = {"a": torch.arange(6), "divrl_position": torch.arange(6) * 10, "m": torch.arange(12).view(6, 2),
             "scalar": torch.tensor(3)}
    out = shuffle_sequence_dict(batch)
    assert torch.equal(out["divrl_position"], out["a"] * 10) and torch.equal(out["m"][:, 0], out["a"] * 2)
    assert out["scalar"].item() == 3
    halves = split_tensor_dict(out, 2)
    assert [len(h["divrl_position"]) for h in halves] == [3, 3]
    assert torch.equal(torch.cat([h["divrl_position"] for h in halves]), out["divrl_position"])


# ------------------------------------------------------------------ attributes we read
@pytest.mark.parametrize("assignment", [
    "self.reward_weights = ",
    "self.num_generations = ",
    "self.num_generations_eval = ",
    "self.temperature = ",  # tests/test_multiprocess.py's probe
    'self._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}',
    "self._logs = {",
])
def test_grpo_trainer_init_sets(assignment):
    assert assignment in src(GRPOTrainer.__init__), assignment


def test_logged_advantages_are_a_deque_we_can_pop():
    assert re.search(r'"advantages":\s*deque\(', src(GRPOTrainer.__init__))


def test_transformers_trainer_members_we_read():
    for name in ("current_gradient_accumulation_steps",):
        assert f"self.{name} = " in src(transformers.Trainer), name
    for name in ("add_callback", "save_model", "is_world_process_zero", "train"):
        assert callable(getattr(GRPOTrainer, name)), name
    assert "resume_from_checkpoint" in inspect.signature(GRPOTrainer.train).parameters


@pytest.mark.parametrize("name", ["max_completion_length", "steps_per_generation", "per_device_train_batch_size",
                                  "num_generations_eval", "reward_weights"])
def test_config_fields_the_trainer_reads(name):
    assert name in GRPOConfig.__dataclass_fields__, name


# ------------------------------------------------------------------ GRPOConfig fields divrl.train.run passes
def _keywords_passed_to_grpo_config() -> set[str]:
    tree = ast.parse((ROOT / "src/divrl/train/run.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "GRPOConfig"]
    assert calls, "divrl.train.run no longer builds a GRPOConfig: update this test"
    return {k.arg for call in calls for k in call.keywords if k.arg is not None}


def test_every_grpo_config_keyword_divrl_passes_exists():
    missing = sorted(_keywords_passed_to_grpo_config() - set(GRPOConfig.__dataclass_fields__))
    assert not missing, f"GRPOConfig has no field(s) {missing}"


@pytest.mark.parametrize("name", [*methods.names(), "dra_dapo"])
def test_method_trl_args_are_grpo_config_fields(name):
    m = methods.get(name)
    missing = sorted(set(m.extra_trl_args(m.typed())) - set(GRPOConfig.__dataclass_fields__))
    assert not missing, f"{name}: GRPOConfig has no field(s) {missing}"


def test_the_expanded_grpo_config_arguments_are_fields_too():
    """run.py also passes **_vllm_args(spec) and **_global_then_method_args(spec, method, params)."""
    from divrl.train.run import _global_then_method_args, _vllm_args

    from divrl.settings.train import TrainSpec
    spec = TrainSpec(use_vllm=True, entropy_coef=0.001, epsilon_high=0.25)
    passed = set(_vllm_args(spec)) | set(_global_then_method_args(spec, methods.get("grpo"), {}))
    assert passed, "nothing expanded: the test is vacuous"
    missing = sorted(passed - set(GRPOConfig.__dataclass_fields__))
    assert not missing, f"GRPOConfig has no field(s) {missing}"
