"""Where every file of a results folder lies, and who a metrics.json is: the one owner.

    {R}/data/train.jsonl, test/{SET}.jsonl, …       the problems (`data`, `difficulty`)
    {R}/base/base{B}/model                          a toy base model, B one of base.seeds
    {R}/train/{METHOD}/base{B}/seed{S}/             run (B, METHOD, S): RL seed S from base model B;
    {R}/eval/{METHOD}/base{B}/seed{S}/{SET}/          METHOD is a method or a sweep point METHOD/P=V,…
    {R}/eval/base/base{B}/{SET}/                    the base model B on a test set (also a named base)
    {R}/eval/{NAME}/seed0/{SET}/                    a published checkpoint (evaluate_models): no base
    {R}/checkpoints/…, logs/RULE/…, benchmarks/RULE/…  beside the run they belong to
An evaluation folder holds metrics.json and samples/I-of-S.parquet (shard I of S).

The rules (workflow/rules/*.smk) get every path here: called without values, a path
function gives the rules' pattern (Snakemake wildcards {method}, {base_seed}, {seed},
{bench}, {shard}); with values, the path. The report does not read paths: each
metrics.json carries its identity (`--identity`, built below; read back by `from_dict`).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

BASE = "base"  # the base model's method, run and folder name below eval/
PUBLISHED_SEED = 0  # a published checkpoint is evaluated as seed 0 of its name
VALIDATION = "validation"  # the split held out from training, evaluated like a test set (sweeps)

# What each wildcard may match. A sweep point's second folder always holds "=", so
# METHOD/baseB/… is never taken for one.
WILDCARDS = {
    "method": r"[a-z0-9_]+(/[A-Za-z0-9_.,+\-]*=[A-Za-z0-9_.=,+\-]*)?",
    "base_seed": r"\d+",
    "seed": r"\d+",
    "bench": "[A-Za-z0-9_]+",
    "shard": r"\d+",
}


@dataclass(frozen=True)
class Layout:
    """The paths below one results folder."""

    results: str

    # ---- problems
    def data(self, name: str) -> str:
        """A file of `divrl data` or `divrl difficulty` below data/ (train.jsonl, stats.json, …)."""
        return f"{self.results}/data/{name}"

    def test_problems(self, bench="{bench}") -> str:
        return self.data(f"test/{bench}.jsonl")

    def problems(self, bench: str) -> str:
        """The problem file a set name stands for (the validation split lives beside train)."""
        return self.data(f"{VALIDATION}.jsonl") if bench == VALIDATION else self.test_problems(bench)

    # ---- models and runs
    def base_model_dir(self, b="{base_seed}") -> str:
        return f"{self.results}/base/{base_name(b)}/model"

    def train_dir(self, method="{method}", b="{base_seed}", seed="{seed}") -> str:
        return f"{self.results}/train/{run_name(method, b, seed)}"

    def trained_model(self, method="{method}", b="{base_seed}", seed="{seed}") -> str:
        return f"{self.train_dir(method, b, seed)}/model"

    def train_log(self, method="{method}", b="{base_seed}", seed="{seed}") -> str:
        return f"{self.train_dir(method, b, seed)}/train_log.json"

    def checkpoints_dir(self, method="{method}", b="{base_seed}", seed="{seed}") -> str:
        return f"{self.results}/checkpoints/{run_name(method, b, seed)}"

    # ---- evaluations (folders: pass them to metrics() and samples())
    def base_eval_dir(self, b="{base_seed}", bench="{bench}") -> str:
        return f"{self.results}/eval/{BASE}/{base_name(b)}/{bench}"

    def eval_dir(self, method="{method}", b="{base_seed}", seed="{seed}", bench="{bench}") -> str:
        return f"{self.results}/eval/{run_name(method, b, seed)}/{bench}"

    def published_dir(self, name="{method}", bench="{bench}") -> str:
        return f"{self.results}/eval/{published_name(name)}/{bench}"

    # ---- what each job leaves beside its outputs: RULE and the job's name below it
    def log(self, *parts: str) -> str:
        return f"{self.results}/logs/{'/'.join(parts)}.log"

    def benchmark(self, *parts: str) -> str:
        return f"{self.results}/benchmarks/{'/'.join(parts)}.tsv"

    # ---- the report: one test set directly in tables/ and figures/, several in SET/ each
    def tables(self, bench: str | None = None) -> str:
        return f"{self.results}/tables" + (f"/{bench}" if bench else "")

    def figures(self, bench: str | None = None) -> str:
        return f"{self.results}/figures" + (f"/{bench}" if bench else "")


def base_name(b="{base_seed}") -> str:
    """A base model's folder name below base/, eval/base/, logs/ and benchmarks/."""
    return f"base{b}"


def run_name(method="{method}", b="{base_seed}", seed="{seed}") -> str:
    """A trained run's folders below train/, eval/, checkpoints/, logs/ and benchmarks/."""
    return f"{method}/{base_name(b)}/seed{seed}"


def published_name(name="{method}") -> str:
    """A published checkpoint's folders below eval/, logs/evaluate/ and benchmarks/evaluate/."""
    return f"{name}/seed{PUBLISHED_SEED}"


def metrics(folder: str) -> str:
    """An evaluation's metrics.json (folder: base_eval_dir, eval_dir or published_dir)."""
    return f"{folder}/metrics.json"


def samples(folder: str, shard="{shard}", shards="{shards}") -> str:
    """Shard I of S of an evaluation's samples (one job: 0-of-1)."""
    return f"{folder}/samples/{shard}-of-{shards}.parquet"


def shard_files(folder: str, shards: int) -> list[str]:
    """All S sample files of an evaluation, in shard order (what the merge reads)."""
    return [samples(folder, i, shards) for i in range(shards)]


# ---- sweeps: each grid point is a run of its own, named METHOD/P1=V1,P2=V2
def sweep_points(cfg: dict) -> dict[str, list[dict]]:
    """method -> its grid points (dicts of swept hyperparameters), in the config's order."""
    out = {}
    for method, grid in cfg["sweeps"].items():
        names = list(grid)
        out[method] = [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]
    return out


def point_path(point: dict) -> str:
    """A grid point as a readable folder name: gamma_p=0.05,gamma_n=0."""
    return ",".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in point.items())


def point_run(method: str, point: dict) -> str:
    """A grid point's run name: METHOD/P=V,…"""
    return f"{method}/{point_path(point)}"


def sweep_runs(cfg: dict) -> dict[str, list[str]]:
    """method -> its grid points' run names (METHOD/P=V,…), in the config's order."""
    return {m: [point_run(m, p) for p in points] for m, points in sweep_points(cfg).items()}


def method_of(run: str) -> str:
    """The registry name of a run: `ds` for ds and for its sweep points ds/gamma_p=…"""
    return run.split("/")[0]


# ---- who an evaluation is: written into its metrics.json (`divrl evaluate --identity`), so a
# file says what it is wherever it lies; the report reads it back with from_dict.
#   {"method": str ("base" for the base model), "run": str (METHOD, or METHOD/P=V,… for a
#    sweep grid point), "seed": int | null, "base_seed": int | null (the base model a run was
#    trained from, and which base model a "base" row is; null for published checkpoints and
#    files written before the base model became a factor), "test_set": str,
#    "params": {hyperparameters}, "model": str}
def base_identity(b: int, bench: str, model: str) -> dict:
    """Base model b on one test set: no RL seed, no hyperparameters."""
    return {"method": BASE, "run": BASE, "seed": None, "base_seed": b, "test_set": bench, "params": {}, "model": model}


def run_identity(run: str, b: int, seed: int, bench: str, params: dict, model: str) -> dict:
    """A trained run (a method or a sweep point) on one test set."""
    return {"method": method_of(run), "run": run, "seed": seed, "base_seed": b, "test_set": bench, "params": params,
            "model": model}


def published_identity(name: str, bench: str, model: str) -> dict:
    """A published checkpoint: no hyperparameters of ours, no base model of ours."""
    return {"method": name, "run": name, "seed": PUBLISHED_SEED, "base_seed": None, "test_set": bench, "params": {},
            "model": model}


@dataclass(frozen=True)
class Identity:
    """method: registry name, "base" or a published checkpoint's name; run: the run's folder name
    (METHOD, or METHOD/P=V,… for a sweep grid point); base_seed: the base model (None: published,
    or unknown in old files); params: None when unknown (old files)."""

    method: str
    seed: int | None
    test_set: str
    run: str
    params: dict | None = field(default=None, compare=False)
    base_seed: int | None = None


def from_dict(ident, path="metrics.json", who: str = "report") -> Identity:
    """An `identity` section, checked: a wrong type names the file and the key.
    who: the verb named in errors (the writer checks with the same rules)."""
    if not isinstance(ident, dict):
        raise ValueError(f"{who}: {path}: 'identity' must be an object (got {type(ident).__name__})")
    for key, kinds in (("method", str), ("test_set", str), ("seed", (int, type(None)))):
        if key not in ident:
            raise ValueError(f"{who}: {path}: identity lacks {key!r} (rerun its evaluate job)")
        if not isinstance(ident[key], kinds) or isinstance(ident[key], bool):
            raise ValueError(f"{who}: {path}: identity.{key} has the wrong type ({ident[key]!r})")
    base_seed = ident.get("base_seed")  # absent in files written before it existed: unknown
    if base_seed is not None and (not isinstance(base_seed, int) or isinstance(base_seed, bool) or base_seed < 0):
        raise ValueError(f"{who}: {path}: identity.base_seed must be a non-negative integer or null (got {base_seed!r})")
    if (ident["method"] == BASE) != (ident["seed"] is None):
        raise ValueError(f"{who}: {path}: identity gives seed {ident['seed']} to method {ident['method']!r} "
                         "(the base model has no seed; a trained run has one)")
    params = ident.get("params")
    return Identity(ident["method"], ident["seed"], ident["test_set"], ident.get("run") or ident["method"],
                    dict(params) if isinstance(params, dict) else None, base_seed)
