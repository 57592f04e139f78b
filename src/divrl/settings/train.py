"""`train`: RL with TRL's GRPOTrainer, shared by all methods (method specifics live under `methods`)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from divrl.settings.model import neutral, settings
from divrl.settings.placement import Placement


@settings
class TrainCore:
    """Every train key but `threads` (which travels as --threads, so it reruns nothing)."""

    steps: int = Field(104, ge=1, description="Optimizer steps.")
    prompts_per_step: int = Field(8, ge=1, description="Prompts per optimizer step, over all processes (each optimizer step sees prompts_per_step × num_generations completions; the workflow checks they split over processes × accumulation steps).")
    num_generations: int = Field(8, ge=2, description="Group size G (completions per prompt).")
    max_completion_length: int = Field(16, ge=1, description="Max new tokens per completion.")
    temperature: float = Field(1.0, gt=0, description="Rollout sampling temperature.")
    lr: float = Field(0.0001, gt=0, description="Learning rate.")
    lr_scheduler: Literal["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr"] = Field(
        "constant", description="transformers learning-rate schedule.")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="Share of steps with linear warm-up.")
    min_lr_rate: float = Field(0.1, ge=0, le=1, description="cosine_with_min_lr: the floor as a share of lr (DRA: 0.1).")
    loss_type: Optional[Literal["grpo", "dr_grpo", "dapo", "bnpo", "cispo"]] = Field(
        None, description="Loss aggregation for every method (null: each method's own; the DS configs hold `dapo`, the token mean over the batch, fixed: DAPO's for math, verl's for Countdown).")
    epsilon_high: Optional[float] = Field(None, gt=0, description="Upper clip ε for every method (clip-higher; DS math 0.25). A method's own (dapo, cispo) wins.")
    beta: float = Field(0.0, ge=0, description="KL coefficient to the base model (0 = no reference model).")
    reward: Literal["tinyzero", "dra_official", "accuracy_format"] = Field("tinyzero", description="Training reward. tinyzero: the task's 1 / 0.1 / 0. dra_official (math tasks): DRA-GRPO's official reward, format (one '\\n</think>\\n') × 1 + open-r1's cosine-scaled accuracy (length in characters) × 2. accuracy_format (math tasks): R1-zero-Div's accuracy (1 correct / 0) + format (1 for a boxed answer / 0). Correctness (metrics, DS, Div) is always the task's verifier.")
    report_to: tuple[Literal["tensorboard", "wandb"], ...] = neutral((), json_schema_extra={"uniqueItems": True}, description="Where TRL sends training curves besides train_log.json: tensorboard (event files in checkpoints/{method}/seed{seed}/runs/) or wandb (set WANDB_PROJECT etc. in the environment). The package must be installed (`pip install tensorboard`).")
    entropy_coef: float = Field(0.0, description="Entropy bonus for every method (TRL's entropy_coef: loss − coef × mean token entropy; DS Countdown uses 0.001 for all methods). entropy_bonus/entropy_penalty set their own α instead.")
    epsilon: float = Field(0.2, gt=0, description="PPO clip range. Binds only off-policy, i.e. when num_iterations > 1 or steps_per_generation > gradient_accumulation_steps (TRL counts both in micro-steps); otherwise the ratio is 1 and clipping (also DAPO's clip-higher, CISPO's ε_max) never acts.")
    num_iterations: int = Field(1, ge=1, description="Optimisation passes over each generated batch (GRPO's μ); > 1 makes updates off-policy, so clipping acts.")
    steps_per_generation: int = Field(1, ge=1, description="Micro-steps per generated batch (TRL); above gradient_accumulation_steps the later optimizer steps are off-policy and clipping acts.")
    per_device_batch_size: int = Field(0, ge=0, description="Completions per device per micro-step (0: prompts_per_step × num_generations ÷ (processes × gradient_accumulation_steps)). A group may span devices; the method hooks see the gathered batch.")
    gradient_accumulation_steps: int = Field(1, ge=1, description="Micro-steps per optimizer step.")
    gradient_checkpointing: bool = neutral(False, description="Recompute activations in the backward pass (large models).")
    coupled_sampling: bool = Field(False, description="Common random numbers across runs: rollout token t of sample j of problem q at step s draws the same random numbers (keyed Gumbel-max, as evaluation's sampler) in every run with the same seed, whatever the method, so seed s of two methods start from identical rollouts and stay correlated, and they can be compared seed by seed. Off: each run draws from its own torch generator. Hugging Face rollouts only (not with use_vllm).")
    use_vllm: bool = Field(False, description="TRL's vLLM rollouts in colocate mode (GPU; `pip install divrl[vllm]`).")
    vllm_importance_sampling_correction: bool = Field(False, description="TRL's correction for the vLLM/trainer log-prob mismatch (TRL 1.16 turns it on by default). Off: none of the papers' stacks (TRL 0.16, verl) had it.")
    vllm_gpu_memory_utilization: float = neutral(0.3, gt=0, le=1, description="GPU memory share of the colocated vLLM engine.")
    save_steps: int = neutral(50, ge=1, description="Checkpoint interval (for resuming killed jobs).")
    logging_steps: int = neutral(10, ge=1, description="Steps between logged training metrics.")
    embedding_model: str = Field("minilm", description="Sentence encoder for DRA: `minilm` (bundled all-MiniLM-L6-v2), a local path or a hub id.")
    dra_official_code: bool = Field(False, description="DRA-GRPO's published code path (github xiwenc1/DRA-GRPO) instead of the paper's formula: the dra_official reward's accuracy is math_verify over the whole completion against the row's worked solution, 1.0 where that gold does not parse (rewards.py lines 295-337); DRA's encoder truncates completions at 3,584 tokens (grpo_trainer.py line 681); DRA's similarity spans each process's slice of the generated batch instead of a prompt's group (lines 667-698, a bug of theirs). Needs reward: dra_official. Off: the paper's within-group formula and our final-answer verifier. Correctness (metrics, DS, Div) stays the task's verifier.")
    bf16: bool = Field(False, description="bf16 mixed precision (GPU).")

    @field_validator("use_vllm")
    @classmethod
    def _coupled_needs_hf_rollouts(cls, use_vllm: bool, info):
        # TRL 1.16's vLLM rollouts build one SamplingParams for every request: no per-request seed to key
        if use_vllm and info.data.get("coupled_sampling"):
            raise PydanticCustomError("coupled_vllm", "coupled_sampling is on, and TRL's vLLM rollouts have no "
                                      "per-request seed to couple runs with: turn one of the two off")
        return use_vllm

    @field_validator("dra_official_code")
    @classmethod
    def _official_code_has_its_reward(cls, official: bool, info):
        # the official code path is one recipe: its verifier only exists inside its reward
        if official and info.data.get("reward") != "dra_official":
            raise PydanticCustomError("dra_official_code_reward", "dra_official_code reproduces DRA-GRPO's "
                                      "published code, whose reward is dra_official: set reward: dra_official")
        return official


@settings
class Train(TrainCore):
    threads: int = neutral(1, "CPU threads per train job.", argument=True, ge=1)


@settings
class TrainSpec(TrainCore, Placement):
    """What a train job gets (`divrl train --params`): the train section with device and dtype."""


def per_device_batch(t: TrainCore, procs: int) -> int:
    """Completions per device per micro-step: explicit, or prompts_per_step whole groups
    spread over the processes and accumulation steps (never multiplied by them).

    The one place this is worked out: the train job calls it with the processes it has,
    the config check (check_batch) with those the cluster section will launch.
    """
    if t.per_device_batch_size:
        return t.per_device_batch_size
    want, parts = t.prompts_per_step * t.num_generations, procs * t.gradient_accumulation_steps
    if want % parts:
        raise ValueError(
            f"train.per_device_batch_size: prompts_per_step × num_generations = {want} completions do not "
            f"split over {procs} process(es) × {t.gradient_accumulation_steps} accumulation steps; set it explicitly"
        )
    return want // parts


def check_batch(t: TrainCore, procs: int) -> None:
    """The per-device batch must add up to prompts_per_step whole groups per optimizer step
    (ValueError naming train.per_device_batch_size)."""
    per_device, acc = per_device_batch(t, procs), t.gradient_accumulation_steps
    want = t.prompts_per_step * t.num_generations
    if per_device * procs * acc != want:
        raise ValueError(
            f"train.per_device_batch_size: {per_device} × {procs} process(es) × {acc} accumulation = "
            f"{per_device * procs * acc} completions per step, but prompts_per_step × num_generations = {want}"
        )
    if (per_device * procs) % t.num_generations:
        raise ValueError(
            f"train.per_device_batch_size: {per_device} × {procs} process(es) is not a "
            f"multiple of num_generations = {t.num_generations} (TRL generates whole groups per micro-step)"
        )
