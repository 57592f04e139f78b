# Validation, path helpers and wildcard constraints shared by all rules.
import json
import os
import re
import shlex
import sys

from divrl import methods
from divrl.settings.load import point_path, sweep_points, validate
from divrl.system.errors import ConfigError
from divrl.settings.checks import read_yaml
from divrl.report.budgets import BUDGET_KEYS
from divrl.report.verbs import verb_words
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
# it (divrl.system.procs sets PR_SET_PDEATHSIG); a shell left waiting kept an orphan trainer alive.
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
# The base model as a factor: the toy builds one base model per base seed, and every method ×
# seed is trained from each (a named model is one base model: config validation allows one seed).
BASE_SEEDS = config["base"]["seeds"]
VALIDATION = config["validation"]["problems"] > 0
# Sweep grid points are runs named METHOD/P1=V1,P2=V2 (their own folders, their own jobs).
SWEEPS = {m: [f"{m}/{point_path(p)}" for p in points] for m, points in sweep_points(config).items()}
SWEEP_RUNS = [run for runs in SWEEPS.values() for run in runs]
# With sweeps, every run is also evaluated on the validation split (for choosing points).
EVAL_SETS = [*BENCHES, "validation"] if SWEEP_RUNS else BENCHES


# a sweep point's second part always holds "=": METHOD/baseB/… is never taken for one
wildcard_constraints:
    method=r"[a-z0-9_]+(/[A-Za-z0-9_.,+\-]*=[A-Za-z0-9_.=,+\-]*)?",
    base_seed=r"\d+",
    seed=r"\d+",
    bench="[A-Za-z0-9_]+",


# ---- The layout: every path of a run, one owner (rules, report inputs, logs all call these) ----
#   {R}/base/base{B}/model                       a toy base model, B one of base.seeds
#   {R}/eval/base/base{B}/{SET}/                 the base model B on a test set (also a named base)
#   {R}/train/{METHOD}/base{B}/seed{S}/          run (B, METHOD, S): RL seed S from base model B;
#   {R}/eval/{METHOD}/base{B}/seed{S}/{SET}/       METHOD is a method or a sweep point METHOD/P=V,…
#   {R}/eval/{NAME}/seed0/{SET}/                 a published checkpoint (evaluate_models): no base
# Called without values they give the rules' patterns (wildcards); with values, the paths.
def base_name(b="{base_seed}"):
    """A base model's folder name below base/, eval/base/, logs/ and benchmarks/."""
    return f"base{b}"


def base_model_dir(b="{base_seed}"):
    return f"{R}/base/{base_name(b)}/model"


def base_model(b):
    """The model run b trains from and sample_base samples: a toy base's folder, or the named model."""
    return HUB_BASE or base_model_dir(b)


def base_eval_dir(b="{base_seed}", bench="{bench}"):
    return f"{R}/eval/base/{base_name(b)}/{bench}"


def run_name(method="{method}", b="{base_seed}", seed="{seed}"):
    """A trained run's folders below train/, eval/, checkpoints/, logs/ and benchmarks/."""
    return f"{method}/{base_name(b)}/seed{seed}"


def train_dir(method="{method}", b="{base_seed}", seed="{seed}"):
    return f"{R}/train/{run_name(method, b, seed)}"


def eval_dir(method="{method}", b="{base_seed}", seed="{seed}", bench="{bench}"):
    return f"{R}/eval/{run_name(method, b, seed)}/{bench}"


def published_dir(method="{method}", bench="{bench}"):
    return f"{R}/eval/{method}/seed{PUBLISHED_SEED}/{bench}"


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


def base_input(wildcards):
    """A job's base model (its base_seed wildcard) as an input: the toy's folder, or nothing for a named model."""
    return [] if HUB_BASE else base_model_dir(wildcards.base_seed)


def base_model_arg(wildcards):
    return base_model(wildcards.base_seed)


def base_params(wildcards):
    """The base rule's section: its seed is the job's base seed."""
    return as_json(sections.base_section(config, int(wildcards.base_seed)))


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


def run_metrics(methods=None, sets=None):
    """Every trained run's metrics.json: methods (or sweep points) × base seeds × seeds × test sets."""
    return expand(
        f"{eval_dir()}/metrics.json",
        method=METHODS if methods is None else methods,
        base_seed=BASE_SEEDS,
        seed=SEEDS,
        bench=sets or BENCHES,
    )


def base_metrics(sets=None):
    """The base models' metrics.json, one per base seed and test set."""
    return expand(f"{base_eval_dir()}/metrics.json", base_seed=BASE_SEEDS, bench=sets or BENCHES)


def train_logs():
    return expand(f"{train_dir()}/train_log.json", method=METHODS, base_seed=BASE_SEEDS, seed=SEEDS)


# Who an evaluation is, written into its metrics.json (`--identity`; divrl.report.identity
# reads it): the report needs no path to tell method, base model, seed and test set apart.
def base_identity(wildcards):
    """Base model B on one test set: no RL seed, no hyperparameters."""
    b = int(wildcards.base_seed)
    who = dict(method="base", run="base", seed=None, base_seed=b, test_set=wildcards.bench)
    return as_json({**who, "params": {}, "model": base_model(b)})


def run_identity(wildcards):
    """A trained run (or a published checkpoint: no hyperparameters of ours, no base model of ours)
    on one test set; run is its method's folder name: the method, or a sweep point's METHOD/P=V,…"""
    if wildcards.method in PUBLISHED:
        who = dict(seed=PUBLISHED_SEED, base_seed=None, params={})
    else:
        who = dict(seed=int(wildcards.seed), base_seed=int(wildcards.base_seed), params=hyperparameters(wildcards))
    who.update(method=method_name(wildcards), run=wildcards.method, test_set=wildcards.bench)
    return as_json({**who, "model": eval_model_arg(wildcards)})


# Evaluation shards (eval.shards) and published checkpoints (evaluate_models).
# S = 1: one job samples, scores and writes metrics.json. S > 1: S shard jobs (GPU),
# each its problem chunk into samples/I-of-S.parquet, then one CPU merge job.
SHARDS = config["eval"]["shards"]
PUBLISHED = config["evaluate_models"]  # name -> hub id or local folder; evaluated as seed 0
PUBLISHED_SEED = 0


wildcard_constraints:
    shard=r"\d+",


def shard_files(prefix):
    """An evaluation's sample files under prefix (an eval_dir, base_eval_dir or published_dir)."""
    return [f"{prefix}/samples/{i}-of-{SHARDS}.parquet" for i in range(SHARDS)]


def eval_shards(wildcards):
    """The merge's inputs: the shard files of a trained run's or a published checkpoint's evaluation."""
    w = wildcards
    if w.method in PUBLISHED:
        return shard_files(published_dir(w.method, w.bench))
    return shard_files(eval_dir(w.method, w.base_seed, w.seed, w.bench))


def base_shards(wildcards):
    return shard_files(base_eval_dir(wildcards.base_seed, wildcards.bench))


def eval_model_arg(wildcards):
    """A run's model: its trained folder, or a published checkpoint (hub id or folder)."""
    w = wildcards
    return PUBLISHED.get(w.method) or f"{train_dir(w.method, w.base_seed, w.seed)}/model"


def eval_model(wildcards):
    """The same as an input: a published hub id is nothing to wait for."""
    path = eval_model_arg(wildcards)
    if wildcards.method in PUBLISHED and not os.path.isdir(path):
        return []
    return path


def eval_specs():
    """Each test set's sampling budget (report/budgets.py): the report refuses a metrics.json
    sampled otherwise, e.g. one rewritten by a hand-run `divrl evaluate`."""
    specs = {b: sections.eval_section(config, b) for b in EVAL_SETS}
    return as_json({b: {k: spec[k] for k in BUDGET_KEYS if k in spec} for b, spec in specs.items()})


def published_metrics(sets=None):
    return expand(f"{published_dir()}/metrics.json", method=list(PUBLISHED), bench=sets or BENCHES)


# the published checkpoints' evaluate rules take only their names (rules/evaluate.smk)
PUBLISHED_NAMES = "|".join(re.escape(name) for name in PUBLISHED)
