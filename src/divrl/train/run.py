"""RL-train one method × seed from the base model, resumably.

TRL writes checkpoints (model, optimizer, scheduler, RNG, data-loader position) to a
folder that is *not* a declared Snakemake output, so a killed job that reruns
resumes from the newest sound one instead of starting over — but only a checkpoint
of the *same* run (`checkpoints.py`: fingerprints, damaged checkpoints, forced reruns).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
import warnings
from dataclasses import asdict
from pathlib import Path

from datasets import Dataset
from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback
from trl import GRPOConfig

from divrl.settings.train import TrainSpec
from divrl.system import atomic, disk_full

from divrl import methods
from divrl.methods.hyperparameters import Hyperparameters
from divrl.models.locate import require_model
from divrl.settings.train import per_device_batch as _per_device_batch
from divrl.data.problems import task_of
from divrl.train import checkpoints, time_limit
from divrl.train.trainer import MethodGRPOTrainer

log = logging.getLogger(__name__)
# TRL 1.16 still calls transformers' renamed `is_gradient_checkpointing` each step; the
# warning says nothing a user can act on and floods every train log.
warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.* is deprecated", category=FutureWarning)


class _FingerprintEveryCheckpoint(TrainerCallback):
    """Writes the run's fingerprint into each checkpoint folder *before* transformers saves
    into it: `trainer_state.json`, written last, then marks a checkpoint whose identity is
    already on disk (a kill in between cannot leave a complete checkpoint without one)."""

    def __init__(self, fp: dict):
        self.fp = fp

    def on_step_end(self, args, state, control, **kwargs):
        # DefaultFlowCallback, which runs before us, has decided whether this step saves
        if control.should_save and state.is_world_process_zero:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            ckpt.mkdir(parents=True, exist_ok=True)
            checkpoints.write_fingerprint(ckpt, self.fp)


class _LabelledProgress(TrainerCallback):
    """Names the run on transformers' progress bar ("ds seed 1: 40/160"), so a log or a
    terminal with several jobs says whose bar it is."""

    def __init__(self, label: str, handler):
        self.label, self.handler = label, handler

    def on_train_begin(self, args, state, control, **kwargs):
        for cb in self.handler.callbacks:
            if isinstance(cb, ProgressCallback) and getattr(cb, "training_bar", None) is not None:
                cb.training_bar.set_description(self.label)


def check_report_to(report_to) -> None:
    """Each integration in train.report_to must be installed: one line naming the package, before training."""
    for name in report_to:
        if importlib.util.find_spec(name) is None:
            raise ValueError(f"train.report_to: {name!r} is not installed (pip install {name})")


def per_device_batch(spec: TrainSpec) -> int:
    """Completions per device per micro-step over the processes this job has
    (settings.train.per_device_batch, the same arithmetic the config check uses)."""
    from accelerate import PartialState

    return _per_device_batch(spec, PartialState().num_processes)


def _vllm_args(spec: TrainSpec) -> dict:
    """TRL's own vLLM integration, switched on by `train.use_vllm` (colocate: no extra server)."""
    if not spec.use_vllm:
        return {}
    return {"use_vllm": True, "vllm_mode": "colocate", "vllm_gpu_memory_utilization": spec.vllm_gpu_memory_utilization,
            "vllm_importance_sampling_correction": spec.vllm_importance_sampling_correction}


def _global_then_method_args(spec: TrainSpec, method, hp) -> dict:
    """Settings the train section gives every method, replaced where a method sets its own
    (dapo's clip-higher, cispo's ε_max, entropy_bonus/penalty's α); `hp`: `method.typed(...)`."""
    shared = {"entropy_coef": spec.entropy_coef}
    if spec.epsilon_high is not None:
        shared["epsilon_high"] = spec.epsilon_high
    return {**shared, **method.extra_trl_args(hp)}


def loss_type_of(spec: TrainSpec, method) -> str:
    """TRL's loss_type for a method: its own where it is defined by one (cispo, dapo, dr_grpo;
    the config check refused every conflicting train.loss_type but cispo under dapo, which
    aggregate alike), else train.loss_type, else the registry default."""
    return method.trl_loss_type(spec.loss_type)


def build_trainer(
    method_name: str,
    method_params: dict | Hyperparameters,
    seed: int,
    spec: TrainSpec,
    base_model: str,
    problems: list[dict],
    checkpoint_dir: str | Path,
) -> MethodGRPOTrainer:
    """A ready GRPOTrainer for one method × seed (also used by benchmarks/step_time.py)."""
    method = methods.get(method_name)
    # validated once per run (here, or by the caller who hands the instance): TRL's args and
    # every training step read this one instance
    hp = method_params if isinstance(method_params, Hyperparameters) else method.typed(method_params)
    require_model(base_model, "base model", "base")
    check_report_to(spec.report_to)
    task = task_of(problems)
    # correctness stays the task's verifier under every option
    rewards = task.trl_rewards(spec.reward, official_code=spec.dra_official_code)
    rows = [{"prompt": p["prompt"], **{f: p[f] for f in task.fields}} for p in problems]
    if spec.dra_official_code:  # DRA-GRPO's verifier parses the worked solution, where the data has one
        for row, p in zip(rows, problems):
            row["solution"] = p.get("solution")
    if spec.coupled_sampling:  # coupled rollouts are keyed by problem id: the trainer reads it from the batch
        for row, p in zip(rows, problems):
            row["id"] = str(p["id"])
    dataset = Dataset.from_list(rows)
    args = GRPOConfig(
        output_dir=str(checkpoint_dir),
        max_steps=spec.steps,
        per_device_train_batch_size=per_device_batch(spec),
        gradient_accumulation_steps=spec.gradient_accumulation_steps,
        num_generations=spec.num_generations,
        reward_weights=rewards.weights,
        max_completion_length=spec.max_completion_length,
        temperature=spec.temperature,
        top_k=0,
        top_p=1.0,
        learning_rate=spec.lr,
        lr_scheduler_type=spec.lr_scheduler,
        lr_scheduler_kwargs={"min_lr_rate": spec.min_lr_rate} if spec.lr_scheduler == "cosine_with_min_lr" else None,
        warmup_steps=spec.warmup_ratio,  # transformers 5: a float in [0, 1) is a share of the steps
        beta=spec.beta,
        epsilon=spec.epsilon,
        num_iterations=spec.num_iterations,
        steps_per_generation=spec.steps_per_generation,
        loss_type=loss_type_of(spec, method),
        scale_rewards="group" if method.scale_by_std else "none",
        seed=seed,
        data_seed=seed,
        save_strategy="steps",
        save_steps=spec.save_steps,
        save_total_limit=2,  # two, so a damaged newest checkpoint still leaves one to fall back to
        logging_steps=spec.logging_steps,
        report_to=list(spec.report_to) or "none",
        run_name=f"{method_name} seed {seed}",
        use_cpu=spec.device == "cpu",
        bf16=spec.bf16,
        activation_checkpointing=spec.gradient_checkpointing,  # transformers 5's name (the old one warns)
        ddp_find_unused_parameters=False,
        # TRL loads a model named by a string in float32 on the host in every process;
        # with bf16 load it in bf16 (as open-r1/open-rs do): half the host memory
        model_init_kwargs={"dtype": "bfloat16"} if spec.bf16 else None,  # every parameter gets a gradient; skips DDP's extra search
        **_vllm_args(spec),
        disable_tqdm=False,
        **_global_then_method_args(spec, method, hp),
    )
    return MethodGRPOTrainer(
        model=base_model,
        reward_funcs=rewards.funcs,
        correct_index=rewards.correct_index,
        args=args,
        train_dataset=dataset,
        method=method,
        hyperparameters=hp,
        embedding_model=spec.embedding_model,
        coupled_sampling=spec.coupled_sampling,
        dra_official_code=spec.dra_official_code,
    )


def train(
    method_name: str,
    method_params: dict | Hyperparameters,
    seed: int,
    spec: TrainSpec,
    base_model: str,
    problems: list[dict],
    model_out: str | Path,
    log_out: str | Path,
    checkpoint_dir: str | Path,
) -> dict:
    """Train, then write the model folder `model_out` and the log `log_out` (the paths the
    rule declares); the log names the run: method, its filled-in hyperparameters, seed."""
    from accelerate import PartialState

    trainer = build_trainer(method_name, method_params, seed, spec, base_model, problems, checkpoint_dir)
    params = trainer.method_params
    # dtype is the sampling dtype (training precision is train.bf16): it changes no trained model
    run = {k: v for k, v in asdict(spec).items() if k != "dtype"}
    fp = checkpoints.fingerprint(method_name, params, seed, run, base_model, problems)
    state = PartialState()
    plan = checkpoints.plan_resume(checkpoint_dir, fp)  # every process reads the same folder
    state.wait_for_everyone()
    if state.is_main_process:
        plan.apply()
    state.wait_for_everyone()
    resume = plan.resume
    # first: on a Slurm time-limit warning it makes this step save, which the fingerprint writer reads
    trainer.add_callback(time_limit.StopBeforeTimeLimit(checkpoint_dir))
    trainer.add_callback(_FingerprintEveryCheckpoint(fp))
    trainer.add_callback(_LabelledProgress(f"{method_name} seed {seed}", trainer.callback_handler))
    t0 = time.time()
    model_out, log_out = Path(model_out), Path(log_out)
    if resume and checkpoints.global_step(resume) >= spec.steps:
        log.info("%s is at the final step %d: finishing without another optimizer step", resume, spec.steps)
        with disk_full.writing_into(model_out, "the trained model"):
            _finish_from_final_checkpoint(trainer, resume, model_out)
    else:
        if resume:
            log.info("resuming from %s", resume)
        # torch says a full disk as "unexpected pos 704 vs 598": one line naming the folder instead
        with disk_full.writing_into(checkpoint_dir, "a checkpoint"):
            trainer.train(resume_from_checkpoint=resume)
        with disk_full.writing_into(model_out, "the trained model"):
            trainer.save_model(str(model_out))  # every rank: DeepSpeed gathers the shards
    info = {
        "method": method_name,
        "params": params,
        "seed": seed,
        "spec": asdict(spec),
        "fingerprint": fp["digest"],
        "resumed_from": resume,
        "set_aside": [{"from": str(a), "to": str(b), "why": why} for a, b, why in plan.moves],
        "seconds": time.time() - t0,
        "global_step": trainer.state.global_step,
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():  # one writer when several processes train
        trainer.processing_class.save_pretrained(str(model_out))
        log_out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(log_out, json.dumps(info, indent=1))
        checkpoints.mark_finished(checkpoint_dir, fp, f"{model_out}, {log_out}")
    trainer.accelerator.wait_for_everyone()
    return info


def _finish_from_final_checkpoint(trainer: MethodGRPOTrainer, resume: str, model_dir: Path) -> None:
    """The model and log history of a checkpoint at the last step, without training.

    `Trainer.train(resume_from_checkpoint=…)` at max_steps still runs one more step, and
    `save_model` without `train` fails under DeepSpeed (no engine was built). The
    checkpoint already holds the model transformers saved (whole weights: ZeRO-2 does
    not shard parameters), so rank 0 copies its files.
    """
    import shutil

    from transformers import TrainerState

    trainer.state = TrainerState.load_from_json(str(Path(resume) / "trainer_state.json"))
    if trainer.is_world_process_zero():
        model_dir.mkdir(parents=True, exist_ok=True)
        for f in Path(resume).iterdir():
            if f.is_file() and (f.name.startswith(("model", "pytorch_model")) or f.name in _MODEL_FILES):
                shutil.copy2(f, model_dir / f.name)


_MODEL_FILES = ("config.json", "generation_config.json")
