"""`cluster`: what each job asks the scheduler for, and the dry run's cost estimate."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from divrl.settings.model import settings


@settings
class Cluster:
    train_gpus: int = Field(1, ge=1, description="GPUs per train job; more than one launches `accelerate launch` with `accelerate_config`.")
    accelerate_config: Literal["ddp", "zero2", "zero2_offload"] = Field("zero2", description="config/accelerate/NAME.yaml for multi-GPU training (DRA: zero2 on 3 GPUs; R1-zero-Div: zero2_offload on 8).")
    eval_gpus: int = Field(1, ge=1, description="GPUs per evaluation job (vLLM tensor parallelism uses them).")
    train_runtime: int = Field(240, ge=1, description="Minutes per train job (Slurm time limit); a longer training goes on in the next job (train_jobs).")
    partition_max_runtime: Optional[int] = Field(None, ge=1, description="Minutes: the MaxTime of the partition the train jobs run in (`scontrol show partition NAME`). Their runtime, doubled on a retry, is capped at it (Slurm refuses a job asking more, or never starts it); null: no cap.")
    time_limit_warning: int = Field(300, ge=1, description="Seconds before a train job's time limit at which Slurm warns it (`sbatch --signal=URG@N`): training saves a checkpoint after the step it is in and exits, and the next job resumes from it. Cover one step (steps_per_generation × num_iterations micro-steps when that is more than gradient_accumulation_steps) plus saving a checkpoint; it comes 0-30 s earlier than asked. A per-rule runtime in your profile must be well above it.")
    train_jobs: Optional[int] = Field(None, ge=1, description="Slurm jobs one training may take (the train rule's `retries` is one fewer); each resumes from the checkpoint the previous one saved at its time limit. null: enough for the dry run's estimate of a training (train_tokens_per_second) at train_runtime less time_limit_warning, plus one; Snakemake's --retries when one job is enough.")
    eval_runtime: int = Field(60, ge=1, description="Minutes per evaluation job.")
    cpus_per_gpu: int = Field(8, ge=1, description="CPU cores requested per GPU.")
    merge_runtime: int = Field(60, ge=1, description="Minutes for the CPU job merging an evaluation's shards into metrics.json (eval.shards > 1).")
    gpu: Literal["a100_40gb", "a100_80gb", "h100_sxm", "h200", "a40", "l40s", "a6000", "rtx4090"] = Field("a100_80gb", description="GPU type of the jobs, for the GPU-hours estimate a dry run prints (peak FLOPs, memory bandwidth and size: divrl.cost.throughput, docs/cost.md).")
    completion_tokens: Optional[float] = Field(None, gt=0, description="Mean completion length in tokens before any limit, for the estimate: a prior per task (say its source). Once sample_base has run, the base model's measured samples replace it; null and nothing measured: half of train.max_completion_length.")
    sample_tokens_per_second: Optional[float] = Field(None, gt=0, description="Measured generated tokens per second of one evaluation job (all its GPUs), from a pilot; null: the estimate's model of cluster.gpu and the base model.")
    train_tokens_per_second: Optional[float] = Field(None, gt=0, description="Measured completion tokens per second a train job generates and trains on (all its GPUs), from a pilot; null: the estimate's model.")
