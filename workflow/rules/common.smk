# Validation, path helpers and wildcard constraints shared by all rules.
import json
import os
import sys

from divrl import methods
from divrl.config import ConfigError, validate

# Jobs call `divrl`: find the one installed beside this Snakemake even when its
# virtualenv is not activated (a conda env, when used, is activated first and wins).
envvars:
    "PATH",


os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

try:
    config = validate(config)  # defaults filled in; one-line error before any job runs
except ConfigError as err:
    sys.stderr.write(f"{err}\n")
    sys.exit(1)

R = config["results"]
METHODS = list(config["methods"])
SEEDS = config["seeds"]


wildcard_constraints:
    method="[a-z0-9_]+",
    seed=r"\d+",


def as_json(value):
    """A config section as a single-quoted JSON shell word (rules pass it to `divrl`)."""
    return "'" + json.dumps(value, sort_keys=True).replace("'", "'\\''") + "'"


def with_device(section):
    """A rule's config section plus device/dtype; `threads` travels as --threads (no rerun)."""
    values = {k: v for k, v in config[section].items() if k != "threads"}
    return {**values, "device": config["device"], "dtype": config["dtype"]}


def gpus():
    return 1 if config["device"] == "cuda" else 0


def method_params(wildcards):
    """Filled-in hyperparameters: `ds: {}` and `ds: {gamma_p: 0.05}` (the default) are one run."""
    return as_json(methods.get(wildcards.method).params(config["methods"][wildcards.method]))


def run_metrics():
    return expand(f"{R}/eval/{{method}}/seed{{seed}}/metrics.json", method=METHODS, seed=SEEDS)


def train_logs():
    return expand(f"{R}/train/{{method}}/seed{{seed}}/train_log.json", method=METHODS, seed=SEEDS)


# sample_base and evaluate differ only in the model they sample from
EVALUATE_SHELL = (
    "divrl evaluate --params {params.section} --threads {threads} --model {input.model}"
    " --problems {input.problems} --out-dir $(dirname {output.metrics}) > {log} 2>&1"
)
