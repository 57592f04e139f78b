"""Config checks beyond the schema: values that validate but cannot run.

Each raises ConfigError with one line naming the key (or the file and line), so
`snakemake -n` refuses the config before any job starts instead of a job failing
minutes (or hours, on a cluster queue) later.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from divrl.system import textio
from divrl.system.errors import ConfigError
from divrl.models.locate import looks_like_data_path, looks_local


def check_runnable(cfg: dict) -> None:
    """After the schema: an output folder, distinct seeds, existing local paths, one loss per method."""
    if not cfg["results"].strip():
        # "" would put every output at the file-system root (/data, /base, …)
        raise ConfigError("config: results: empty; name the output folder (e.g. results)")
    for key, seeds in (("seeds", cfg["seeds"]), ("base.seeds", cfg["base"]["seeds"])):
        twice = next((s for i, s in enumerate(seeds) if s in seeds[:i]), None)
        if twice is not None:
            raise ConfigError(f"config: {key}: seed {twice} is listed twice (both runs would write the same folder)")
    _check_base_seeds(cfg)
    check_k_lists(cfg)
    _check_paths(cfg)
    _check_loss_type(cfg)
    _check_published(cfg)
    _check_toy_context(cfg)
    _check_save_steps(cfg)


def _check_save_steps(cfg: dict) -> None:
    """A checkpoint must fall between generated batches: TRL keeps the completions of one
    generation (steps_per_generation × num_iterations micro-steps) in memory, not in the
    checkpoint, so a run resumed from a checkpoint inside such a batch generates anew and
    trains another model (train/time_limit.py stops at the same boundary)."""
    t = cfg["train"]
    micro = t["steps_per_generation"] * t["num_iterations"]
    every = micro // math.gcd(micro, t["gradient_accumulation_steps"])  # optimizer steps per generated batch
    if t["save_steps"] % every:
        raise ConfigError(
            f"config: train.save_steps = {t['save_steps']} saves inside a generated batch (a batch lasts {every} "
            f"optimizer steps: steps_per_generation {t['steps_per_generation']} × num_iterations {t['num_iterations']} "
            f"micro-steps over gradient_accumulation_steps {t['gradient_accumulation_steps']}); a resumed run would "
            f"differ: use a multiple of {every}")


def _check_toy_context(cfg: dict) -> None:
    """The toy model's context (base.max_positions) must hold a prompt and its completion: a
    completion limit at or above it leaves no room for any prompt (sampling refuses each one
    later, after the base model is built). A named model's context is checked at the data step."""
    if cfg["base"]["model"]:
        return
    limit = cfg["base"]["max_positions"]
    lengths = [("eval.max_new_tokens", cfg["eval"]["max_new_tokens"]),
               ("train.max_completion_length", cfg["train"]["max_completion_length"])]
    for name, src in ((cfg.get("datasets") or {}).get("test") or {}).items():
        own = (src.get("eval") or {}).get("max_new_tokens")
        if own is not None:
            lengths.append((f"datasets.test.{name}.eval.max_new_tokens", own))
    for key, tokens in lengths:
        if tokens >= limit:
            raise ConfigError(f"config: {key} = {tokens} leaves no room for a prompt in the toy model's context "
                              f"(base.max_positions = {limit}); raise base.max_positions or lower {key}")


def check_k_lists(cfg: dict) -> None:
    """report.k_show: increasing, no repeats, each k in 1..n for eval.n_samples and every test set's
    own n_samples (pass@k needs k <= n; a larger k would drop out of every table without a word)."""
    ks = cfg["report"]["k_show"]
    where = "config: report.k_show"
    if not ks:
        raise ConfigError(f"{where}: empty; name at least one k (e.g. [1])")
    # k >= 1: the schema's items minimum, checked before this
    if any(b <= a for a, b in zip(ks, ks[1:])):
        raise ConfigError(f"{where}: {ks} must be increasing without repeats")
    limits = [("eval.n_samples", cfg["eval"]["n_samples"])]
    for name, src in ((cfg.get("datasets") or {}).get("test") or {}).items():
        own = (src.get("eval") or {}).get("n_samples")
        if own is not None:
            limits.append((f"datasets.test.{name}.eval.n_samples", own))
    for key, n in limits:
        if ks[-1] > n:
            raise ConfigError(f"{where}: k = {ks[-1]} exceeds {key} = {n} (pass@k needs k ≤ n)")


def _check_base_seeds(cfg: dict) -> None:
    """Several base models are built only by the toy: a named model is one base model, and one base
    model's pass rates choose the training problems of the difficulty filter."""
    seeds = cfg["base"]["seeds"]
    if len(seeds) < 2:
        return
    if cfg["base"]["model"]:
        raise ConfigError(f"config: base.seeds: {seeds} asks for {len(seeds)} base models, but base.model names one "
                          f"({cfg['base']['model']}); keep one seed (e.g. base.seeds: [{seeds[0]}])")
    if cfg["datasets"] and cfg["datasets"]["difficulty"]["samples"] > 0:
        raise ConfigError(f"config: base.seeds: {seeds} with datasets.difficulty: one base model's pass rates would "
                          "choose every base model's training problems; keep one base seed or set difficulty.samples: 0")


def _check_published(cfg: dict) -> None:
    """evaluate_models: names of their own (they become rows and folders), existing local folders."""
    for name, model in cfg.get("evaluate_models", {}).items():
        if name == "base" or name in cfg["methods"] or name in cfg.get("sweeps", {}):
            raise ConfigError(f"config: evaluate_models.{name}: the name is taken by {'the base model' if name == 'base' else 'a method'}; pick another")
        if _missing(model, data=False):
            raise ConfigError(f"config: evaluate_models.{name}: local folder {model!r} does not exist (a hub id looks like org/name)")


def _missing(name: str, data: bool) -> bool:
    local = looks_like_data_path(name) if data else looks_local(name)
    return local and not Path(name).expanduser().exists()


def _check_paths(cfg: dict) -> None:
    """Local model and data paths must exist now (hub ids "org/name" are resolved by the jobs)."""
    model = cfg["base"]["model"]
    if model and _missing(model, data=False):
        raise ConfigError(f"config: base.model: local folder {model!r} does not exist (a hub id looks like org/name)")
    ds = cfg["datasets"]
    if not ds:
        return
    sources = [(f"datasets.train.{i}.source", s["source"]) for i, s in enumerate(ds["train"])]
    sources += [(f"datasets.test.{name}.source", s["source"]) for name, s in ds["test"].items()]
    for where, source in sources:
        if _missing(source, data=True):
            raise ConfigError(f"config: {where}: local path {source!r} does not exist (a hub id looks like org/name)")


# (train.loss_type, a method's own loss_type) that aggregate alike: the method keeps its own
SAME_AGGREGATION = {("dapo", "cispo")}


def _check_loss_type(cfg: dict) -> None:
    """train.loss_type must not replace the loss a method is defined by.

    A method whose loss_type is the registry default ("grpo") has no loss of its own, so a
    global aggregation may be held fixed across methods (DS math runs grpo and ds under
    `dapo`). cispo, dapo, dr_grpo (and dra_ on them) are their loss: cispo under `grpo`
    silently became PPO clipping with ε_high = ε_max = 5. One pair is allowed: cispo under
    `dapo` (TRL normalises both losses by the tokens of the batch, grpo_trainer.py's
    `loss_type in ["cispo", "dapo", ...]` branch), so a config that holds `dapo` for every
    method can run CISPO with its own loss (train/run.py gives a method its own loss).
    """
    from divrl import methods

    wanted = cfg["train"]["loss_type"]
    if not wanted:
        return
    for name in dict.fromkeys([*cfg["methods"], *cfg["sweeps"]]):
        method = methods.get(name)
        own = method.loss_type
        if method.defines_loss and own != wanted and (wanted, own) not in SAME_AGGREGATION:
            raise ConfigError(
                f"config: train.loss_type: {wanted!r} would replace the loss_type {own!r} that defines method {name!r}; "
                f"unset train.loss_type (or set it to {own!r})"
            )


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML keeps the later silently)."""

    path = "?"

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may repeat keys on purpose
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConfigError(
                    f"config: {self.path} line {key_node.start_mark.line + 1}: key {key!r} is given twice "
                    "(the later value would silently win)"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path):
    """The YAML document of `path`; ConfigError for a duplicate key (file and line)."""
    loader = _StrictLoader(textio.read_text(path))
    loader.path = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:  # a syntax error: the file and the line it starts on
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        what = "; ".join(s for s in (err.context, err.problem) if s)
        raise ConfigError(f"config: {where}: not valid YAML ({what})") from None
    finally:
        loader.dispose()
