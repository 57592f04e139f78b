# Validation, path helpers and wildcard constraints shared by all rules.
import json
import os
import sys

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
    return {**config[section], "device": config["device"], "dtype": config["dtype"]}


def gpus():
    return 1 if config["device"] == "cuda" else 0


def method_params(wildcards):
    return as_json(config["methods"][wildcards.method])


def run_metrics():
    return expand(f"{R}/eval/{{method}}/seed{{seed}}/metrics.json", method=METHODS, seed=SEEDS)


def train_logs():
    return expand(f"{R}/train/{{method}}/seed{{seed}}/train_log.json", method=METHODS, seed=SEEDS)
