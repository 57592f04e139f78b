"""The whole workflow config: the top-level keys and one field per section."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import Field

from divrl.settings.base_model import Base
from divrl.settings.cluster import Cluster
from divrl.settings.data import Datasets, DataSpec, Validation
from divrl.settings.evaluation import Eval
from divrl.settings.model import default, section, settings
from divrl.settings.placement import Placement
from divrl.settings.report import Paper, Report
from divrl.settings.train import Train

# the toy's methods (config/config.yaml): a config without `methods` runs the same four
TOY_METHODS = {"grpo": {}, "dra_grpo": {}, "div": {}, "ds": {"gamma_p": 0.05, "gamma_n": 0.05}}

Grid = Annotated[dict[str, Annotated[list, Field(min_length=1)]], Field(min_length=1)]

DESCRIPTION = (
    "divrl workflow configuration. Every key has a description and a default; unknown keys are "
    "errors (a typo must not silently fall back to a default)."
)


@settings(json_schema_extra={"description": DESCRIPTION})
class Config(Placement):
    results: str = Field("results", description="Folder for every output (logs/ and benchmarks/ mirror it inside).")
    seeds: list[Annotated[int, Field(ge=0)]] = default([0, 1], "RL seeds; each method is trained and evaluated once per seed (and per base model, base.seeds).", min_length=1)
    task: Literal["countdown", "countdown_tinyzero", "math", "knights_knaves"] = Field(
        "countdown", description="The checker: how a completion is scored (1 correct, 0.1 well-formed but wrong, 0) and what counts as the same answer. Countdown names its answer format: `countdown` a bare expression (the toy), `countdown_tinyzero` TinyZero's <answer> format and reward (divrl/tasks/countdown.py).")
    methods: dict[str, dict[str, Any]] = default(
        TOY_METHODS, "Methods to train, each with hyperparameter overrides ({} for the defaults). Names come from the registry (`divrl methods`).", min_length=1)
    validation: Validation = section(Validation, "A validation split held out from the training problems (sweeps choose their best point on it, never on test problems).")
    sweeps: dict[str, Grid] = default(
        {}, "Hyperparameter grids per method, e.g. {ds: {gamma_p: [0.01, 0.05], gamma_n: [0, 0.05]}}. Every grid point is its own run, train/METHOD/P1=V1,P2=V2/baseB/seedS (other hyperparameters from `methods`), evaluated on the test sets and the validation split; a point reruns alone.")
    datasets: Optional[Datasets] = Field(
        None, description="Real data sets instead of the generated toy (`data`): each a hub id or a local folder/file (pre-staged for offline clusters), mapped to problem rows by `format` and rendered with `template`. Filter counts go to results/data/stats.json.")
    data: DataSpec = section(DataSpec, "Generated Countdown data (numbers and targets; each number used once); unused when `datasets` is set.")
    base: Base = section(Base, "The base model. Default the embedded tiny Llama, built and pretrained here; `model` names a real one instead.")
    train: Train = section(Train, "RL with TRL's GRPOTrainer (shared by all methods; method specifics live under `methods`).")
    eval: Eval = section(Eval, "Sampling-based evaluation on the test problems.")
    evaluate_models: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")], Annotated[str, Field(min_length=1)]] = default(
        {}, "Published checkpoints evaluated exactly like trained runs, without training: name -> hub id or local folder. Each is a row (as eval/NAME/seed0/SET/metrics.json) in every table and figure.",
        schema={"propertyNames": {"pattern": "^[a-z0-9_]+$"}})
    cluster: Cluster = section(Cluster, "What each job asks the scheduler for (used by profiles/slurm). GPUs are requested only when device is cuda; memory grows with base.params_b.")
    report: Report = section(Report, "Tables and figures.")
    paper: Paper = section(Paper, "Published numbers this config reproduces (the scorecard: tables/vs_paper.{md,csv}, figures/vs_paper.png). Values as printed, in percent; each row names the paper's table, our method (or base), a test set (or `avg`: the mean over every test set) and a metric. Nothing here changes a run.")
