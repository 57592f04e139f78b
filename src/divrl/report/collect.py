"""Gather per-run metrics.json files into tidy pandas tables.

A run is (method, base_seed, seed): method the run's name (a method, a sweep point METHOD/P=V,…,
a published checkpoint, or "base"), base_seed the base model it was trained from (for "base":
which base model it is), seed its RL seed (NaN for "base"). base_seed is a nullable integer
column (pandas "Int64"): <NA> for published checkpoints and for files written before the base
model became a factor. Group by RUN with dropna=False (a missing base or seed is a key of its
own, not a dropped row); n_runs counts a method's runs over base models and seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from divrl.system import textio
from divrl.report import identity

RUN = ["method", "base_seed", "seed"]  # the columns that name one run

SCALARS = [
    "mean_at_1", "greedy_pass1", "distinct_correct", "distinct_canonical", "distinct_answers", "embedding_cosine",
    "format_rate", "div_equ", "div_equ_no_equations", "spearman_share_p_gt_005",
]


def read_metrics(path: str | Path, keys: tuple[str, ...] = ("k", "pass_at_k", "n")) -> dict:
    """A metrics.json with the keys a table needs; ValueError naming the file and the key.

    A bare KeyError ('k') named neither the file nor that it was a metrics file.
    """
    try:
        m = json.loads(textio.read_text(path))
    except json.JSONDecodeError as err:
        raise ValueError(f"report: {path}: not JSON ({err.msg}, line {err.lineno}); rerun its evaluate job") from None
    if not isinstance(m, dict):
        raise ValueError(f"report: {path}: expected a JSON object of metrics, got {type(m).__name__}")
    for key in keys:
        if key not in m:
            raise ValueError(f"report: {path}: no key {key!r} (not a complete divrl metrics.json; rerun its evaluate job)")
    return m


def by_test_set(paths: list[str | Path]) -> dict[str, list[str | Path]]:
    """Metrics files grouped by the test set their identity names, in first-seen order."""
    out: dict[str, list[str | Path]] = {}
    for path in paths:
        out.setdefault(identity.of(path).test_set, []).append(path)
    return out


def load_runs(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (method, base_seed, seed, k) with pass@k, plus the scalar metrics."""
    rows = []
    for path in paths:
        m = read_metrics(path)
        who = identity.of(path, m)
        scal = {key: m.get(key, float("nan")) for key in SCALARS}
        potential = m.get("potential_at_k", [float("nan")] * len(m["k"]))
        for k, v, pot in zip(m["k"], m["pass_at_k"], potential):
            rows.append({"method": who.run, "base_seed": who.base_seed, "seed": who.seed, "n": m["n"], "k": k,
                         "pass_at_k": v, "potential_at_k": pot, **scal})
    if not rows:
        raise ValueError("report: no metrics files given")
    return _typed(pd.DataFrame(rows))


def load_problems(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (method, base_seed, seed, problem): correct count c, n, Spearman rho and p.

    With eval.sequential (metrics.json `sequential` = r): size is the problem's N (the index of its
    r-th correct sample, or the cap n) and stop_at is r; with fixed N, size = n and stop_at = 0.
    """
    rows = []
    for path in paths:
        m = read_metrics(path, ("n", "per_problem"))
        who = identity.of(path, m)
        stop_at = int(m.get("sequential") or 0)
        for p in m["per_problem"]:
            rows.append({"method": who.run, "base_seed": who.base_seed, "seed": who.seed, "problem": p["id"],
                         "n": m["n"], "c": p["c"], "size": p.get("n", m["n"]), "stop_at": stop_at,
                         "spearman_rho": p.get("spearman_rho"), "spearman_p": p.get("spearman_p")})
    return _typed(pd.DataFrame(rows, columns=[*RUN, "problem", "n", "c", "size", "stop_at", "spearman_rho",
                                              "spearman_p"]))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """base_seed as a nullable integer (all-None or mixed columns would be object or float)."""
    return df.assign(base_seed=with_base_seed(df)["base_seed"].astype("Int64"))


def with_base_seed(df: pd.DataFrame) -> pd.DataFrame:
    """df with a base_seed column (<NA> throughout when a caller built it without one)."""
    return df if "base_seed" in df.columns else df.assign(base_seed=pd.Series(pd.NA, index=df.index, dtype="Int64"))


def n_runs(df: pd.DataFrame) -> int:
    """Distinct runs (base model, seed) among the rows (those of one method)."""
    return len(with_base_seed(df)[["base_seed", "seed"]].drop_duplicates())


def n_bases(df: pd.DataFrame) -> int:
    """Distinct known base models among the rows (0 when none is named: old files, published only)."""
    return int(with_base_seed(df)["base_seed"].nunique())
