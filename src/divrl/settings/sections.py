"""The config section each workflow rule passes to its `divrl` verb as `--params` JSON.

One place for both callers: workflow/rules/common.smk (the rules) and cli.py's
`--config FILE` (a verb run by hand), which used to build them each in their own way.
A rule reruns when its section's JSON changes (Snakemake's params trigger), so each
holds what its job reads and nothing else: `threads` travels as --threads, how a test
set is evaluated is not part of how the data are read.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from divrl.settings.base_model import Base
from divrl.settings.data import Datasets, DataSpec, DifficultySpec
from divrl.settings.evaluation import Eval
from divrl.settings.model import argument_keys, names, settings
from divrl.settings.train import Train

# the model jobs' sections and their classes
MODEL_SECTIONS = {"base": Base, "train": Train, "eval": Eval}

# keys of a data source that say how a *test* set is evaluated, not how it is read
TEST_ONLY_KEYS = ("eval", "in_average")


def section(cfg: dict, name: str) -> dict:
    """A model job's section (base, train or eval) with device and dtype, without the keys
    that travel as their own option (threads: --threads, so changing it reruns nothing)."""
    values = {k: v for k, v in cfg[name].items() if k not in argument_keys(MODEL_SECTIONS[name])}
    return {**values, "device": cfg["device"], "dtype": cfg["dtype"]}


def base_section(cfg: dict, seed: int | None = None) -> dict:
    """One base model's section: the base section with its seed (one of base.seeds; by default
    the first) in place of the list, so a base job reruns only when its own model changes."""
    values = {k: v for k, v in section(cfg, "base").items() if k != "seeds"}
    return {**values, "seed": cfg["base"]["seeds"][0] if seed is None else seed}


def eval_section(cfg: dict, bench: str | None = None, device: str | None = None) -> dict:
    """The eval section for one test set: its own `eval:` settings replace the section's."""
    datasets = cfg["datasets"]
    own = (datasets["test"].get(bench, {}).get("eval") or {}) if datasets and bench else {}
    out = {**section(cfg, "eval"), **own}
    if device:
        out["device"] = device
    return out


def difficulty_section(cfg: dict) -> dict:
    """The difficulty filter samples like an evaluation: the eval section plus datasets.difficulty."""
    return {**section(cfg, "eval"), **cfg["datasets"]["difficulty"]}


def split_difficulty(section: dict) -> tuple[dict, dict]:
    """A difficulty section as (datasets.difficulty's keys, the eval keys it samples with)."""
    own = {k: v for k, v in section.items() if k in names(DifficultySpec)}
    return own, {k: v for k, v in section.items() if k not in own}


@settings
class DataSection:
    """What `divrl data` reads (`--params`, built by data_section), read once into this class."""

    task: str = Field(description="The config's task (the checker the rows are prepared for).")
    data: DataSpec = Field(default_factory=DataSpec, description="The toy generator's keys.")
    datasets: Optional[Datasets] = Field(None, description="The data sets (None: the generated toy).")
    base_model: Optional[str] = Field(None, description="base.model: its tokenizer and context.")
    validation: int = Field(0, ge=0, description="validation.problems held out of the training problems.")
    max_positions: Optional[int] = Field(None, ge=1, description="The toy model's context, for data sets on the toy.")


def data_section(cfg: dict) -> dict:
    """What `divrl data` needs: the toy generator's keys or the data sets, the task, the base."""
    return {
        "task": cfg["task"],
        "data": cfg["data"],
        # how a test set is evaluated is not how it is read: changing it reruns no data job
        "datasets": without_eval_keys(cfg["datasets"]),
        "base_model": cfg["base"]["model"],
        "validation": cfg["validation"]["problems"],
        # data sets for the toy model: its context (base.max_positions) bounds their prompts (models/context.py)
        **({"max_positions": cfg["base"]["max_positions"]} if cfg["datasets"] and not cfg["base"]["model"] else {}),
    }


def without_eval_keys(datasets: dict | None) -> dict | None:
    if not datasets:
        return datasets
    test = {b: {k: v for k, v in s.items() if k not in TEST_ONLY_KEYS} for b, s in datasets["test"].items()}
    return {**datasets, "test": test}
