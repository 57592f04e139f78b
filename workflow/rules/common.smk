# Validation, the layout's patterns and the helpers shared by all rules.
import json
import os
import re
import shlex
import sys

from divrl.config.load import load_config
from divrl.system.errors import ConfigError
from divrl.config.checks import read_yaml
from divrl.report.budgets import BUDGET_KEYS
from divrl.settings import sections
from divrl.workflow import layout

# The checkout's root: the Snakefile lives in workflow/ (the workflow catalog's layout);
# config/ and the package are beside it.
ROOT = os.path.dirname(workflow.basedir)


# Jobs call `divrl`: find the one installed beside this Snakemake even when its
# virtualenv is not activated.
envvars:
    "PATH",


os.environ["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"

# In conda mode (`--software-deployment-method conda`) each env gets divrl from
# workflow/envs/<env>.post-deploy.sh (links to the one post-deploy.sh: Snakemake looks for the
# script by the env's name, reads it through the link), which Snakemake runs once after
# creating the env, inside it, as its own child: this variable tells the script where the
# checkout is (the script is copied into the env folder, so its own path says nothing).
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
    # validated once, before any job: one-line error. `config` stays the plain dict the rules'
    # sections are built from (values as the files give them); CFG is the same config typed.
    config = load_config(config)
except ConfigError as err:
    sys.stderr.write(f"{err}\n")
    sys.exit(1)
CFG = config.typed

# Every path of a run comes from here (divrl.workflow.layout): rules, report inputs, logs.
# Called without values they give the rules' patterns (wildcards); with values, the paths.
paths = layout.Layout(CFG.results)
# Conda envs, relative to workflow/rules/ (where the rules are): GPU jobs get CUDA torch,
# vLLM and DeepSpeed; on `device: cpu` (the toy) the same rules get the small CPU env.
MODEL_ENV = "../envs/gpu.yaml" if CFG.device == "cuda" else "../envs/cpu.yaml"
REPORT_ENV = "../envs/report.yaml"  # no torch: `divrl report` reads JSON, writes tables and figures


# Jobs that run on the host Snakemake runs on, even with a cluster executor: `data` may
# download data sets and tokenizers from the hub (compute nodes often have no internet),
# the reports take seconds; a queue wait would cost more than they do (sweep_report too,
# in report.smk where it exists).
localrules:
    data,
    report,


METHODS = list(CFG.methods)
SEEDS = CFG.seeds
DATASETS = CFG.datasets  # None: the generated toy
# Test sets, each evaluated on its own; the toy has one, named after its task.
BENCHES = list(DATASETS.test) if DATASETS else [CFG.task]
DIFFICULTY = bool(DATASETS and DATASETS.difficulty.samples > 0)
# A named base model (hub id or folder) replaces the toy's `base` rule.
HUB_BASE = CFG.base.model
# The base model as a factor: the toy builds one base model per base seed, and every method ×
# seed is trained from each (a named model is one base model: config validation allows one seed).
BASE_SEEDS = CFG.base.seeds
VALIDATION = CFG.validation.problems > 0
# Sweep grid points are runs named METHOD/P1=V1,P2=V2 (their own folders, their own jobs).
SWEEPS = layout.sweep_runs(config)
SWEEP_RUNS = [run for runs in SWEEPS.values() for run in runs]
# With sweeps, every run is also evaluated on the validation split (for choosing points).
EVAL_SETS = [*BENCHES, layout.VALIDATION] if SWEEP_RUNS else BENCHES
# Evaluation shards (eval.shards) and published checkpoints (evaluate_models, name -> hub id
# or local folder; each evaluated as seed 0 of its name, rules/eval.smk).
SHARDS = CFG.eval.shards
PUBLISHED = CFG.evaluate_models


wildcard_constraints:
    **layout.WILDCARDS,


def base_model(b):
    """The model run b trains from and sample_base samples: a toy base's folder, or the named model."""
    return HUB_BASE or paths.base_model_dir(b)


def eval_section(wildcards, device=None):
    """The eval section for one test set: its own `eval:` settings replace the section's."""
    return as_json(sections.eval_section(config, wildcards.bench, device))


def merge_section(wildcards):
    return eval_section(wildcards, device="cpu")  # the merge embeds on CPU


# test sets left out of the benchmark average (an analysis set such as a second MATH-500 run)
NOT_AVERAGED = [b for b, s in (DATASETS.test.items() if DATASETS else []) if s.in_average is False]


def problems_of(wildcards):
    """The problem file a test-set name stands for."""
    return paths.problems(wildcards.bench)


def base_input(wildcards):
    """A job's base model (its base_seed wildcard) as an input: the toy's folder, or nothing for a named model."""
    return [] if HUB_BASE else paths.base_model_dir(wildcards.base_seed)


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
    return layout.method_of(wildcards.method)


def hyperparameters(wildcards):
    """Filled-in hyperparameters: `ds: {}` and `ds: {gamma_p: 0.05}` (the default) are one run.

    A sweep point adds its grid values to the method's configured ones. Validated once, when
    the config was loaded (config.hyperparameters); here only read.
    """
    return config.hyperparameters[wildcards.method].resolved()


def method_params(wildcards):
    return as_json(hyperparameters(wildcards))


def run_metrics(methods=None, sets=None):
    """Every trained run's metrics.json: methods (or sweep points) × base seeds × seeds × test sets."""
    return expand(
        layout.metrics(paths.eval_dir()),
        method=METHODS if methods is None else methods,
        base_seed=BASE_SEEDS,
        seed=SEEDS,
        bench=sets or BENCHES,
    )


def base_metrics(sets=None):
    """The base models' metrics.json, one per base seed and test set."""
    return expand(layout.metrics(paths.base_eval_dir()), base_seed=BASE_SEEDS, bench=sets or BENCHES)


def published_metrics(sets=None):
    return expand(layout.metrics(paths.published_dir()), method=list(PUBLISHED), bench=sets or BENCHES)


def train_logs():
    return expand(paths.train_log(), method=METHODS, base_seed=BASE_SEEDS, seed=SEEDS)


# Who an evaluation is, written into its metrics.json (`--identity`; the report reads it):
# the report needs no path to tell method, base model, seed and test set apart.
def base_identity(wildcards):
    b = int(wildcards.base_seed)
    return as_json(layout.base_identity(b, wildcards.bench, base_model(b)))


def run_identity(wildcards):
    w = wildcards
    ident = layout.run_identity(w.method, int(w.base_seed), int(w.seed), w.bench, hyperparameters(w), trained_model(w))
    return as_json(ident)


def published_identity(wildcards):
    return as_json(layout.published_identity(wildcards.method, wildcards.bench, PUBLISHED[wildcards.method]))


def trained_model(wildcards):
    """A run's trained model folder (an input and an argument)."""
    w = wildcards
    return paths.trained_model(w.method, w.base_seed, w.seed)


def published_model(wildcards):
    return PUBLISHED[wildcards.method]


def published_input(wildcards):
    """A published checkpoint as an input: a local folder, or nothing for a hub id (nothing to wait for)."""
    path = published_model(wildcards)
    return path if os.path.isdir(path) else []


def eval_specs():
    """Each test set's sampling budget (report/budgets.py): the report refuses a metrics.json
    sampled otherwise, e.g. one rewritten by a hand-run `divrl evaluate`."""
    specs = {b: sections.eval_section(config, b) for b in EVAL_SETS}
    return as_json({b: {k: spec[k] for k in BUDGET_KEYS if k in spec} for b, spec in specs.items()})


# the published checkpoints' evaluate rules take only their names (rules/eval.smk)
PUBLISHED_NAMES = "|".join(re.escape(name) for name in PUBLISHED)
