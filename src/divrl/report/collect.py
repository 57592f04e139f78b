"""Gather per-run metrics.json files into tidy pandas tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

# …/METHOD/seedS/FILE (train logs) or …/METHOD/seedS/BENCH/FILE (evaluation)
_RUN = re.compile(r"(?P<method>[^/]+)/seed(?P<seed>\d+)/(?:(?P<bench>[^/]+)/)?(?P<file>[^/]+)$")
SCALARS = [
    "mean_at_1", "greedy_pass1", "distinct_correct", "distinct_canonical", "distinct_answers", "embedding_cosine",
    "format_rate", "div_equ", "div_equ_no_equations", "spearman_share_p_gt_005",
]


def label(path: str | Path) -> tuple[str, int | None]:
    """(method, seed) from …/{method}/seed{seed}[/{bench}]/FILE; ("base", None) for …/base[/{bench}]/FILE."""
    text = Path(path).as_posix()
    m = _RUN.search(text)
    if m:
        return m["method"], int(m["seed"])
    if "base" in (Path(text).parent.name, Path(text).parent.parent.name):
        return "base", None
    raise ValueError(f"report: cannot tell method and seed from path {path}")


def bench(path: str | Path) -> str:
    """The test set of …/eval/…/{bench}/metrics.json ("test" for the older layout without one)."""
    folder = Path(path).parent.name
    return "test" if folder == "base" or re.fullmatch(r"seed\d+", folder) else folder


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


def load_runs(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (method, seed, k) with pass@k, plus the scalar metrics."""
    rows = []
    for path in paths:
        method, seed = label(path)
        m = read_metrics(path)
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
        method, seed = label(path)
        m = read_metrics(path, ("n", "per_problem"))
        for p in m["per_problem"]:
            rows.append({"method": method, "seed": seed, "problem": p["id"], "n": m["n"], "c": p["c"],
                         "spearman_rho": p.get("spearman_rho"), "spearman_p": p.get("spearman_p")})
    return pd.DataFrame(rows)
