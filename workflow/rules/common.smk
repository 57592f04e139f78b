# Validation, path helpers and wildcard constraints shared by all rules.
import json
import os
import sys

from divrl import methods
from divrl.config import ConfigError, point_path, sweep_points, validate
from divrl.config_checks import read_yaml
from divrl.settings import sections

# The checkout's root: the Snakefile lives in workflow/ (the workflow catalog's layout);
# config/ and the package are beside it.
ROOT = os.path.dirname(workflow.basedir)


# Jobs call `divrl`: find the one installed beside this Snakemake even when its
# virtualenv is not activated.
envvars:
    "PATH",


os.environ["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"

# In conda mode (`--software-deployment-method conda`) each env gets divrl from
# workflow/envs/<env>.post-deploy.sh, which Snakemake runs once after creating the env, inside it,
# as its own child: this variable tells the script where the checkout is (the script is
# copied into the env folder, so its own path says nothing).
# (update(), not os.environ[...] =: the linter takes a subscript for a required variable)
os.environ.update(DIVRL_CHECKOUT=ROOT)
# `exec`: the job's shell becomes divrl, so divrl's parent is Snakemake and it dies with
# it (divrl.procs sets PR_SET_PDEATHSIG); a shell left waiting kept an orphan trainer alive.
# `divrl` is the venv's, or the job's conda env's (activation puts it first on PATH).
DIVRL = "exec divrl"

try:
    # Snakemake loads config files itself and keeps the later of two equal keys silently:
    # read them again, refusing duplicates with file and line.
    for path in workflow.configfiles:
        read_yaml(path)
    config = validate(config)  # defaults filled in; one-line error before any job runs
except ConfigError as err:
    sys.stderr.write(f"{err}\n")
    sys.exit(1)

R = config["results"]
# Conda envs, relative to workflow/rules/ (where the rules are): GPU jobs get CUDA torch,
# vLLM and DeepSpeed; on `device: cpu` (the toy) the same rules get the small CPU env.
MODEL_ENV = "../envs/gpu.yaml" if config["device"] == "cuda" else "../envs/cpu.yaml"
REPORT_ENV = "../envs/report.yaml"  # no torch: `divrl report` reads JSON, writes tables and figures


# Jobs that run on the host Snakemake runs on, even with a cluster executor: `data` may
# download data sets and tokenizers from the hub (compute nodes often have no internet),
# the reports take seconds; a queue wait would cost more than they do (sweep_report too,
# in report.smk where it exists).
localrules:
    data,
    report,


METHODS = list(config["methods"])
SEEDS = config["seeds"]
DATASETS = config["datasets"]  # None: the generated toy
# Test sets, each evaluated on its own; the toy has one, named after its task.
BENCHES = list(DATASETS["test"]) if DATASETS else [config["task"]]
DIFFICULTY = bool(DATASETS and DATASETS["difficulty"]["samples"] > 0)
# A named base model (hub id or folder) replaces the toy's `base` rule.
HUB_BASE = config["base"]["model"]
BASE = HUB_BASE or f"{R}/base/model"
VALIDATION = config["validation"]["problems"] > 0
# Sweep grid points are runs named METHOD/P1=V1,P2=V2 (their own folders, their own jobs).
SWEEPS = {m: [f"{m}/{point_path(p)}" for p in points] for m, points in sweep_points(config).items()}
SWEEP_RUNS = [run for runs in SWEEPS.values() for run in runs]
# With sweeps, every run is also evaluated on the validation split (for choosing points).
EVAL_SETS = [*BENCHES, "validation"] if SWEEP_RUNS else BENCHES


wildcard_constraints:
    method=r"[a-z0-9_]+(/[A-Za-z0-9_.=,+\-]+)?",
    seed=r"\d+",
    bench="[A-Za-z0-9_]+",


def data_section():
    """What `divrl data` needs (settings.sections: the same section `divrl data --config` builds)."""
    return sections.data_section(config)


def eval_section(wildcards, device=None):
    """The eval section for one test set: its own `eval:` settings replace the section's."""
    return as_json(sections.eval_section(config, wildcards.bench, device))


def merge_section(wildcards):
    return eval_section(wildcards, device="cpu")  # the merge embeds on CPU


# test sets left out of the benchmark average (an analysis set such as a second MATH-500 run)
NOT_AVERAGED = [b for b, s in (DATASETS["test"].items() if DATASETS else []) if s.get("in_average") is False]


def problems_of(wildcards):
    """The problem file a test-set name stands for (the validation split lives beside train)."""
    if wildcards.bench == "validation":
        return f"{R}/data/validation.jsonl"
    return f"{R}/data/test/{wildcards.bench}.jsonl"


def base_input(wildcards=None):
    """The base model as an input: the toy's model folder, or nothing for a hub model."""
    return [] if HUB_BASE else BASE


def as_json(value):
    """A config section as a single-quoted JSON shell word (rules pass it to `divrl`)."""
    quoted = json.dumps(value, sort_keys=True).replace("'", "'\\''")
    return f"'{quoted}'"


def with_device(section):
    """A rule's config section plus device/dtype; `threads` travels as --threads (no rerun)."""
    return sections.section(config, section)


def method_name(wildcards):
    """The registry name of a run: `ds` for ds and for its sweep points ds/gamma_p=…"""
    return wildcards.method.split("/")[0]


def hyperparameters(wildcards):
    """Filled-in hyperparameters: `ds: {}` and `ds: {gamma_p: 0.05}` (the default) are one run.

    A sweep point adds its grid values (from the path) to the method's configured ones.
    """
    name = method_name(wildcards)
    params = dict(config["methods"].get(name, {}))
    if "/" in wildcards.method:
        point = sweep_points(config)[name][SWEEPS[name].index(wildcards.method)]
        params.update(point)
    return methods.get(name).params(params)


def method_params(wildcards):
    return as_json(hyperparameters(wildcards))


def run_metrics():
    return expand(f"{R}/eval/{{method}}/seed{{seed}}/{{bench}}/metrics.json", method=METHODS, seed=SEEDS, bench=BENCHES)


def base_metrics(sets=None):
    return expand(f"{R}/eval/base/{{bench}}/metrics.json", bench=sets or BENCHES)


def sweep_metrics():
    """Every run of the sweep report: grid points and configured methods, on every set."""
    return expand(
        f"{R}/eval/{{method}}/seed{{seed}}/{{bench}}/metrics.json",
        method=[*METHODS, *SWEEP_RUNS],
        seed=SEEDS,
        bench=EVAL_SETS,
    )


def train_logs():
    return expand(f"{R}/train/{{method}}/seed{{seed}}/train_log.json", method=METHODS, seed=SEEDS)


# Who an evaluation is, written into its metrics.json (`--identity`; divrl.report.identity
# reads it): the report needs no path to tell method, seed and test set apart.
def base_identity(wildcards):
    """The base model on one test set: no seed, no hyperparameters."""
    who = dict(method="base", run="base", seed=None, test_set=wildcards.bench)
    return as_json({**who, "params": {}, "model": BASE})


def run_identity(wildcards):
    """A trained run (or a published checkpoint, which has no hyperparameters of ours) on one
    test set; run is its folder name: the method, or a sweep grid point's METHOD/P=V,…"""
    params = {} if wildcards.method in PUBLISHED else hyperparameters(wildcards)
    who = dict(method=method_name(wildcards), run=wildcards.method, seed=int(wildcards.seed), test_set=wildcards.bench)
    return as_json({**who, "params": params, "model": eval_model_arg(wildcards)})


# sample_base and evaluate differ only in the model they sample from (and who they are)
EVALUATE_SHELL = (
    "{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model}"
    " --problems {input.problems} --samples-out {output.samples} --metrics-out {output.metrics}"
    " --identity {params.identity} > {log} 2>&1"
)


# Evaluation shards (eval.shards) and published checkpoints (evaluate_models).
# S = 1: one job samples, scores and writes metrics.json. S > 1: S shard jobs (GPU),
# each its problem chunk into samples/I-of-S.parquet, then one CPU merge job.
SHARDS = config["eval"]["shards"]
PUBLISHED = config["evaluate_models"]  # name -> hub id or local folder; evaluated as seed 0
PUBLISHED_SEED = 0


wildcard_constraints:
    shard=r"\d+",


def shard_files(prefix):
    """An evaluation's sample files under prefix (…/eval/METHOD/seedS/SET or …/eval/base/SET)."""
    return [f"{prefix}/samples/{i}-of-{SHARDS}.parquet" for i in range(SHARDS)]


def eval_model_arg(wildcards):
    """A run's model: its trained folder, or a published checkpoint (hub id or folder)."""
    return PUBLISHED.get(wildcards.method) or f"{R}/train/{wildcards.method}/seed{wildcards.seed}/model"


def eval_model(wildcards):
    """The same as an input: a published hub id is nothing to wait for."""
    path = eval_model_arg(wildcards)
    if wildcards.method in PUBLISHED and not os.path.isdir(path):
        return []
    return path


def published_metrics():
    return expand(
        f"{R}/eval/{{method}}/seed{PUBLISHED_SEED}/{{bench}}/metrics.json", method=list(PUBLISHED), bench=BENCHES
    )


# a shard job writes samples/I-of-S.parquet only; the merge job reads them all, in shard order
SHARD_SHELL = (
    "{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model}"
    f" --problems {{input.problems}} --shard {{wildcards.shard}} --shards {SHARDS}"
    " --samples-out {output.samples} > {log} 2>&1"
)
MERGE_SHELL = (
    "{params.divrl} evaluate-merge --params {params.section} --threads {threads} --model {params.model}"
    " --problems {input.problems} --samples {input.samples} --metrics-out {output.metrics}"
    " --identity {params.identity} > {log} 2>&1"
)
