"""`cluster`: what each job asks the scheduler for, and the dry run's cost estimate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from divrl.settings.model import settings


@settings
class Cluster:
    train_gpus: int = Field(1, ge=1, description="GPUs per train job; more than one launches `accelerate launch` with `accelerate_config`.")
    accelerate_config: Literal["ddp", "zero2", "zero2_offload"] = Field("zero2", description="config/accelerate/NAME.yaml for multi-GPU training (DRA: zero2 on 3 GPUs; R1-zero-Div: zero2_offload on 8).")
    eval_gpus: int = Field(1, ge=1, description="GPUs per evaluation job (vLLM tensor parallelism uses them).")
    train_runtime: int = Field(240, ge=1, description="Minutes per train job (Slurm time limit).")
    eval_runtime: int = Field(60, ge=1, description="Minutes per evaluation job.")
    cpus_per_gpu: int = Field(8, ge=1, description="CPU cores requested per GPU.")
    merge_runtime: int = Field(60, ge=1, description="Minutes for the CPU job merging an evaluation's shards into metrics.json (eval.shards > 1).")
    sample_tokens_per_second: float = Field(20000, gt=0, description="Generated tokens per second of one evaluation job (all its GPUs), for the GPU-hours estimate a dry run prints (vLLM, 3B model, one A100: ~20000 at large batches; measure yours).")
    train_tokens_per_second: float = Field(2000, gt=0, description="Completion tokens per second a train job generates and trains on, for the estimate.")
    mean_length_fraction: float = Field(0.5, gt=0, le=1, description="Average completion length as a share of its limit (max_new_tokens, max_completion_length), for the estimate.")
