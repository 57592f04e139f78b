"""Where jobs run: top-level keys every model job also receives inside its section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from divrl.settings.model import settings


@settings
class Placement:
    device: Literal["cpu", "cuda"] = Field("cpu", description="Torch device for training and sampling.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="Weights dtype for sampling (training uses bf16 when `train.bf16`).")
