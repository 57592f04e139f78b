"""Honest comparisons: does each method beat the reference (report.reference) and the base model?

Answers with evidence rather than one lucky seed: per-k paired Δpass@k with a bootstrap CI over
problems and seeds, p-values Holm-corrected over every comparison in the table, per-problem
gains and losses against base, the seeds an effect of the configured size needs, and a figure
of per-problem pass@1 changes. The statistics live in divrl.metrics (paired, paired_power,
per_problem, multitest); this module aligns runs on problems and builds the tables; the
markdown is report/compare_md.py, the figure report/pass1_figure.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from divrl.metrics import paired, paired_power, per_problem
from divrl.metrics.multitest import holm
from divrl.report import compare_md
from divrl.report.figures import Paths
from divrl.report.pass1_figure import pass1_change_figure
from divrl.report.tables import order

_COLUMNS = ("method", "seed", "problem", "n", "c")


@dataclass(frozen=True)
class Run:
    """One method's correct counts on the shared problems: counts [S, P] of n [S]."""

    counts: np.ndarray
    n: np.ndarray

    @property
    def seeds(self) -> int:
        return self.counts.shape[0]


# ---- aligning runs on problems ----------------------------------------------------------------


def align(problems: pd.DataFrame) -> tuple[list, dict[str, Run]]:
    """(problem ids, {method: Run}) with every run on the same problems in the same order.

    Rows come from collect.load_problems: one per (method, seed, problem); base has seed None.
    """
    missing = [c for c in _COLUMNS if c not in problems.columns]
    if missing:
        raise ValueError(f"compare: problems table lacks columns {missing}")
    if problems.empty:
        raise ValueError("compare: problems table is empty")
    if "bench" in problems.columns and problems["bench"].nunique() > 1:  # Δ would weight benchmarks by size
        raise ValueError(f"compare: rows span benchmarks {sorted(problems['bench'].unique())}; call write once per benchmark")
    dup = problems.duplicated(["method", "seed", "problem"])
    if dup.any():
        first = problems[dup].iloc[0]
        raise ValueError(f"compare: {int(dup.sum())} duplicate rows, e.g. method {first.method} seed {first.seed} "
                         f"problem {first.problem}")
    ids = sorted(problems["problem"].unique(), key=str)
    runs: dict[str, list[tuple[np.ndarray, int]]] = {}
    for (method, seed), g in problems.groupby(["method", "seed"], dropna=False, sort=True):
        lacking = set(ids) - set(g["problem"])
        if lacking:
            raise ValueError(f"compare: methods were evaluated on different problems: {method} seed {_seed(seed)} lacks "
                             f"{len(lacking)} of the {len(ids)} problem ids (e.g. {min(lacking, key=str)})")
        if g["n"].nunique() != 1:
            raise ValueError(f"compare: {method} seed {_seed(seed)} mixes sample counts n = {sorted(g['n'].unique())}")
        counts = g.set_index("problem").loc[ids, "c"].to_numpy(dtype=np.int64)
        runs.setdefault(method, []).append((counts, int(g["n"].iloc[0])))
    return ids, {m: Run(np.stack([c for c, _ in r]), np.array([n for _, n in r])) for m, r in runs.items()}


def _seed(seed) -> str:
    return "-" if pd.isna(seed) else str(int(seed))


def _targets(methods, reference: str) -> list[tuple[str, str]]:
    """(method, vs) pairs: each method against the reference (when present), then against base."""
    present = set(methods)
    vs = [t for t in (reference, "base") if t in present]
    if not vs:
        raise ValueError(f"compare: neither reference {reference!r} nor 'base' is among methods {sorted(present)}")
    return [(m, t) for m in order(methods, reference) if m != "base" for t in dict.fromkeys(vs) if t != m]


# ---- tables ---------------------------------------------------------------------------------


def comparisons(runs: dict[str, Run], ks: list[int], reference: str, *, alpha: float = 0.05,
                effect: float = 0.02, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per (method, vs, k): Δ, CI at level 1 − α, p, Holm p over all rows, power terms."""
    for method, run in runs.items():
        if max(ks) > run.n.min():
            raise ValueError(f"compare: k = {max(ks)} exceeds the n = {run.n.min()} samples of {method}")
    values = {m: paired.seed_pass_at_k(r.counts, r.n, ks) for m, r in runs.items()}  # [K, S, P]
    rows = []
    for method, vs in _targets(runs, reference):
        a, b = values[method], values[vs]
        results = paired.paired_bootstrap_many(a, b, level=1 - alpha, n_boot=n_boot, seed=seed)
        for i, (k, r) in enumerate(zip(ks, results)):
            rows.append({"method": method, "vs": vs, "k": k, "delta": r.delta, "ci_low": r.low, "ci_high": r.high,
                         "p": r.p, "n_problems": r.n_problems, "seeds": r.seeds_a, "seeds_vs": r.seeds_b,
                         "pass_method": a[i].mean(), "pass_vs": b[i].mean(),
                         **_power_terms(a[i], b[i], vs == "base", effect, alpha)})
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("p") + 1, "p_holm", holm(table["p"].to_numpy()))
    table.insert(table.columns.get_loc("p_holm") + 1, "significant", table["p_holm"] < alpha)
    return table


def _power_terms(a: np.ndarray, b: np.ndarray, b_fixed: bool, effect: float, alpha: float) -> dict:
    """Variance components, the seed share of Var(Δ̂), power now, and seeds/problems needed."""
    v = paired_power.variance_components(a, b, b_fixed=b_fixed)
    s_a, s_b, p = a.shape[0], b.shape[0], a.shape[1]
    var = v.var(s_a, s_b, p)
    return {
        "se": math.sqrt(var), "seed_share": (v.seed_a / s_a + v.seed_b / s_b) / var if var > 0 else float("nan"),
        "sd_seed": math.sqrt(v.seed_a), "sd_cell": math.sqrt(v.cell_a), "sd_problem": math.sqrt(v.problem),
        "power_now": paired_power.power(v, effect, s_a, s_b, p, alpha=alpha),
        "seeds_needed": paired_power.required_seeds(v, effect, p, alpha=alpha, b_fixed=b_fixed),
        "problems_needed": paired_power.required_problems(v, effect, s_a, s_b, alpha=alpha),
        "components": v,
    }


def gains_losses(runs: dict[str, Run], reference: str | None) -> pd.DataFrame:
    """Per method: problems gained/lost against base (per_problem.gains_losses) and pass@1 change."""
    if "base" not in runs:
        raise ValueError("compare: gains and losses need a 'base' run")
    base = runs["base"]
    rows = []
    for method in order(runs, reference):
        if method == "base":
            continue
        run = runs[method]
        change = per_problem.pass1_change(run.counts, run.n, base.counts, base.n)
        rows.append({"method": method, "seeds": run.seeds, "problems": run.counts.shape[1],
                     **per_problem.gains_losses(run.counts, base.counts), "mean_dpass1": float(change.mean()),
                     "pass1_rose": int((change > 0).sum()), "pass1_fell": int((change < 0).sum())})
    return pd.DataFrame(rows)


def write(problems: pd.DataFrame, ks: list[int], *, reference: str, compare_csv: Path | None = None,
          compare_md_path: Path | None = None, power_md: Path | None = None, gains_losses_csv: Path | None = None,
          gains_losses_md: Path | None = None, pass1_change: Paths = (), alpha: float = 0.05, effect: float = 0.02,
          n_boot: int = 2000, seed: int = 0) -> dict:
    """Write the files given (None or empty: skip) and return a short summary.

    compare.{csv,md} and power.md hold one row per (method, opponent, k); gains_losses.{csv,md}
    and the pass@1 change figure need a base run.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"compare: alpha must lie strictly between 0 and 1 (got {alpha})")
    if not ks or min(ks) < 1:
        raise ValueError(f"compare: ks must be a non-empty list of positive integers (got {ks})")
    _, runs = align(problems)
    present = reference in runs
    table = comparisons(runs, ks, reference, alpha=alpha, effect=effect, n_boot=n_boot, seed=seed)
    written = []

    def put(path, text_or_frame) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text_or_frame, str):
            Path(path).write_text(text_or_frame)
        else:
            text_or_frame.to_csv(path, index=False)
        written.append(str(path))

    if compare_csv:
        put(compare_csv, table.drop(columns="components"))
    if compare_md_path:
        put(compare_md_path, compare_md.compare_md(table, reference, present, alpha, n_boot))
    if power_md:
        put(power_md, compare_md.power_md(table, effect, alpha))
    if gains_losses_csv or gains_losses_md or pass1_change:
        if "base" not in runs:
            raise ValueError("compare: gains and losses and the pass@1 change figure need a 'base' run")
        losses = gains_losses(runs, reference)
        if gains_losses_csv:
            put(gains_losses_csv, losses)
        if gains_losses_md:
            put(gains_losses_md, compare_md.gains_losses_md(losses))
        if pass1_change:
            pass1_change_figure(runs, losses, pass1_change, reference)
            written += [str(p) for p in pass1_change]
    sig = table[table.significant]
    return {
        "reference": reference if present else None,
        "comparisons": len(table),
        "significant": [f"{r.method} vs {r.vs} k={r.k}: {r.delta:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
                        for r in sig.itertuples()],
        "files": written,
    }
