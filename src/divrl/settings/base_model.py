"""`base`: the base model — the embedded tiny Llama (built and pretrained here) or a named one."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from divrl.settings.model import default, neutral, settings
from divrl.settings.placement import Placement


@settings
class TinyShape:
    """The toy model and its supervised pretraining, without the seed (models/tiny.py)."""

    hidden_size: int = Field(96, ge=8, description="Model width.")
    num_layers: int = Field(3, ge=1, description="Transformer layers.")
    num_heads: int = Field(4, ge=1, description="Attention heads.")
    max_positions: int = Field(64, ge=16, description="Context length in tokens.")
    sft_steps: int = Field(400, ge=1, description="Supervised steps on uniformly drawn solutions.")
    batch_size: int = Field(96, ge=1, description="Sequences per SFT step.")
    lr: float = Field(0.002, gt=0, description="Peak AdamW learning rate.")
    warmup_steps: int = Field(100, ge=0, description="Linear warm-up before cosine decay.")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")


@settings
class TinySpec(TinyShape):
    """One toy base model: the shape plus its seed (one of the config's base.seeds)."""

    seed: int = Field(0, ge=0, description="Seed of initialisation and batches.")


@settings
class BaseCore(TinyShape):
    model: Optional[str] = Field(None, description="Hub id or local folder of a pretrained causal LM (e.g. Qwen/Qwen2.5-Math-1.5B); null builds the tiny toy model (keys below).")
    params_b: Optional[float] = Field(None, gt=0, description="Model size in billions of parameters, for job memory requests (null: the tiny model).")


@settings
class Base(BaseCore):
    seeds: list[Annotated[int, Field(ge=0)]] = default(
        [0], "Base-model seeds, the base model as a factor: the toy builds and pretrains one base model per seed "
        "(the seed of its initialisation and SFT batches; base/baseB/model), and every method × RL seed is trained "
        "from each (train/METHOD/baseB/seedS), so runs cross base × method × seed. A named `model` is one base "
        "model: one seed only (it names its folders, eval/base/baseB).", min_length=1)
    threads: int = neutral(1, "CPU threads of the base rule (1: two base models build side by side on 2 cores).", argument=True, ge=1)


@settings
class BaseSpec(TinySpec, BaseCore, Placement):
    """What `divrl base --params` gets: one base model's section (its seed, one of base.seeds) with
    device and dtype."""
