"""`base`: the base model — the embedded tiny Llama (built and pretrained here) or a named one."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from divrl.settings.model import settings
from divrl.settings.placement import Placement


@settings
class TinySpec:
    """The toy model and its supervised pretraining (models/tiny.py)."""

    hidden_size: int = Field(96, ge=8, description="Model width.")
    num_layers: int = Field(3, ge=1, description="Transformer layers.")
    num_heads: int = Field(4, ge=1, description="Attention heads.")
    max_positions: int = Field(64, ge=16, description="Context length in tokens.")
    sft_steps: int = Field(700, ge=1, description="Supervised steps on uniformly drawn solutions.")
    batch_size: int = Field(128, ge=1, description="Sequences per SFT step.")
    lr: float = Field(0.002, gt=0, description="Peak AdamW learning rate.")
    warmup_steps: int = Field(100, ge=0, description="Linear warm-up before cosine decay.")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    seed: int = Field(0, ge=0, description="Seed of initialisation and batches.")


@settings
class BaseCore(TinySpec):
    model: Optional[str] = Field(None, description="Hub id or local folder of a pretrained causal LM (e.g. Qwen/Qwen2.5-Math-1.5B); null builds the tiny toy model (keys below).")
    params_b: Optional[float] = Field(None, gt=0, description="Model size in billions of parameters, for job memory requests (null: the tiny model).")


@settings
class Base(BaseCore):
    threads: int = Field(2, ge=1, description="CPU threads of the base rule.")


@settings
class BaseSpec(BaseCore, Placement):
    """What `divrl base --params` gets: the base section with device and dtype."""
