"""Gather per-run metrics.json files into tidy pandas tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from divrl.report import identity

SCALARS = [
    "mean_at_1", "greedy_pass1", "distinct_correct", "distinct_canonical", "distinct_answers", "embedding_cosine",
    "format_rate", "div_equ", "div_equ_no_equations", "spearman_share_p_gt_005",
]


def read_metrics(path: str | Path, keys: tuple[str, ...] = ("k", "pass_at_k", "n")) -> dict:
    """A metrics.json with the keys a table needs; ValueError naming the file and the key.

    A bare KeyError ('k') named neither the file nor that it was a metrics file.
    """
    try:
        m = json.loads(Path(path).read_text())
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
    """One row per (method, seed, k) with pass@k, plus the scalar metrics."""
    rows = []
    for path in paths:
        m = read_metrics(path)
        who = identity.of(path, m)
        method, seed = who.run, who.seed
        scal = {key: m.get(key, float("nan")) for key in SCALARS}
        potential = m.get("potential_at_k", [float("nan")] * len(m["k"]))
        for k, v, pot in zip(m["k"], m["pass_at_k"], potential):
            rows.append({"method": method, "seed": seed, "n": m["n"], "k": k, "pass_at_k": v, "potential_at_k": pot, **scal})
    if not rows:
        raise ValueError("report: no metrics files given")
    return pd.DataFrame(rows)


def load_problems(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (method, seed, problem): correct count c, n, Spearman rho and p."""
    rows = []
    for path in paths:
        m = read_metrics(path, ("n", "per_problem"))
        who = identity.of(path, m)
        method, seed = who.run, who.seed
        for p in m["per_problem"]:
            rows.append({"method": method, "seed": seed, "problem": p["id"], "n": m["n"], "c": p["c"],
                         "spearman_rho": p.get("spearman_rho"), "spearman_p": p.get("spearman_p")})
    return pd.DataFrame(rows)
