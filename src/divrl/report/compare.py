"""Honest comparisons: does each method beat the reference (report.reference) and the base model?

Answers with evidence rather than one lucky seed: per-k Δpass@k with a calibrated t-test over
runs (seeds, and base models as a random factor when there are several: metrics/calibrated.py),
p-values Holm-corrected per opponent, a verdict in words, the seeds or base models an effect
needs, each verdict recomputed on halves of the seeds and per base model (report/replication.py),
per-problem gains and losses against base and a figure of per-problem pass@1 changes. This
module aligns runs on problems and builds the tables; the markdown is report/compare_md.py, the
figure report/pass1_figure.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from divrl.system.atomic import replacing
from divrl.metrics import calibrated, calibrated_power, per_problem
from divrl.metrics.multitest import holm
from divrl.metrics.passk import seed_pass_at_k
from divrl.report import compare_md, replication
from divrl.report.compare_md import scope
from divrl.report.figures import Paths
from divrl.report.pass1_figure import pass1_change_figure
from divrl.report.tables import order

_COLUMNS = ("method", "seed", "problem", "n", "c")


@dataclass(frozen=True)
class Run:
    """One method's correct counts on the shared problems: counts [R, P] of n [R], one row per run.

    bases, seeds: [R] labels of each run (base model seed, RL seed); None where unknown (a result
    folder with one base model, the base model's own seed).
    """

    counts: np.ndarray
    n: np.ndarray
    bases: tuple = ()
    seed_ids: tuple = ()
    # eval.sequential: each problem's N [R, P] (the index of its r-th correct sample, or the cap n)
    # and each run's r [R]; None: every problem has n samples
    sizes: np.ndarray | None = None
    stop_at: np.ndarray | None = None

    @property
    def seeds(self) -> int:
        """Runs of this method (base models × seeds)."""
        return self.counts.shape[0]

    def pass_at(self, ks: list[int]) -> np.ndarray:
        """Unbiased pass@k per run and problem [K, R, P] (fixed N or sequential)."""
        if self.sizes is None:
            return seed_pass_at_k(self.counts, self.n, ks)
        return seed_pass_at_k(self.counts, self.sizes, ks, self.stop_at)

    def pass1_change(self, base: Run) -> np.ndarray:
        """Per-problem pass@1 change against `base` [P] (means over each side's runs); pass@1 of a
        problem stopped by eval.sequential is Haldane's (r − 1)/(N − 1), not c/N."""
        if self.sizes is None and base.sizes is None:
            return per_problem.pass1_change(self.counts, self.n, base.counts, base.n)
        return self.pass_at([1])[0].mean(axis=0) - base.pass_at([1])[0].mean(axis=0)


# ---- aligning runs on problems ----------------------------------------------------------------


def _label(x):
    """A seed or base label as int, or None for a missing one (None, NaN, pandas NA)."""
    return None if x is None or pd.isna(x) else int(x)


def align(problems: pd.DataFrame) -> tuple[list, dict[str, Run]]:
    """(problem ids, {method: Run}) with every run on the same problems in the same order.

    Rows come from collect.load_problems: one per (method, base_seed, seed, problem); the base
    model has seed None; base_seed is absent or None for a single unnamed base model.
    """
    missing = [c for c in _COLUMNS if c not in problems.columns]
    if missing:
        raise ValueError(f"compare: problems table lacks columns {missing}")
    if problems.empty:
        raise ValueError("compare: problems table is empty")
    if "bench" in problems.columns and problems["bench"].nunique() > 1:  # Δ would weight benchmarks by size
        raise ValueError(f"compare: rows span benchmarks {sorted(problems['bench'].unique())}; call write once per benchmark")
    problems = problems if "base_seed" in problems.columns else problems.assign(base_seed=None)
    # labels as int or None in object columns (map() would turn None back into a float NaN)
    problems = problems.assign(base_seed=pd.Series([_label(x) for x in problems["base_seed"]], index=problems.index,
                                                   dtype=object),
                               seed=pd.Series([_label(x) for x in problems["seed"]], index=problems.index, dtype=object))
    dup = problems.duplicated(["method", "base_seed", "seed", "problem"])
    if dup.any():
        first = problems[dup].iloc[0]
        raise ValueError(f"compare: {int(dup.sum())} duplicate rows, e.g. method {first.method}{_on(first.base_seed)} "
                         f"seed {_seed(first.seed)} problem {first.problem}")
    ids = sorted(problems["problem"].unique(), key=str)
    runs: dict[str, list[tuple[np.ndarray, int, object, object]]] = {}
    key = pd.Series([f"{m}\0{b}\0{s}" for m, b, s in zip(problems["method"], problems["base_seed"], problems["seed"])],
                    index=problems.index)  # one string per run: groupby would drop None keys
    for _, g in problems.groupby(key, sort=False):
        method, base_seed, seed = g["method"].iloc[0], g["base_seed"].iloc[0], g["seed"].iloc[0]
        lacking = set(ids) - set(g["problem"])
        if lacking:
            raise ValueError(f"compare: methods were evaluated on different problems: {method}{_on(base_seed)} seed "
                             f"{_seed(seed)} lacks {len(lacking)} of the {len(ids)} problem ids (e.g. {min(lacking, key=str)})")
        if g["n"].nunique() != 1:
            raise ValueError(f"compare: {method}{_on(base_seed)} seed {_seed(seed)} mixes sample counts "
                             f"n = {sorted(g['n'].unique())}")
        by_id = g.set_index("problem").loc[ids]
        counts = by_id["c"].to_numpy(dtype=np.int64)
        sizes = by_id["size"].to_numpy(dtype=np.int64) if "size" in by_id else np.full(len(ids), int(g["n"].iloc[0]))
        stop_at = int(g["stop_at"].iloc[0]) if "stop_at" in g else 0
        runs.setdefault(method, []).append((counts, int(g["n"].iloc[0]), base_seed, seed, sizes, stop_at))
    out = {}
    for method in sorted(runs):
        rows = sorted(runs[method], key=lambda r: (r[2] is None, r[2] or 0, r[3] is None, r[3] or 0))
        sequential = any(r[5] for r in rows)
        out[method] = Run(np.stack([r[0] for r in rows]), np.array([r[1] for r in rows]),
                          tuple(r[2] for r in rows), tuple(r[3] for r in rows),
                          np.stack([r[4] for r in rows]) if sequential else None,
                          np.array([r[5] for r in rows]) if sequential else None)
    return ids, out


def _seed(seed) -> str:
    return "-" if seed is None or pd.isna(seed) else str(int(seed))


def _on(base_seed) -> str:
    return "" if base_seed is None or pd.isna(base_seed) else f" base {int(base_seed)}"


def _targets(methods, reference: str) -> list[tuple[str, str]]:
    """(method, vs) pairs: each method against the reference (when present), then against base."""
    present = set(methods)
    vs = [t for t in (reference, "base") if t in present]
    if not vs:
        raise ValueError(f"compare: neither reference {reference!r} nor 'base' is among methods {sorted(present)}")
    return [(m, t) for m in order(methods, reference) if m != "base" for t in dict.fromkeys(vs) if t != m]


# ---- tables ---------------------------------------------------------------------------------


def stacks(runs: dict[str, Run], ks: list[int]) -> dict[str, calibrated.Runs]:
    """Per method: unbiased pass@k per run and problem [K, R, P] with the runs' base and seed labels."""
    for method, run in runs.items():
        if max(ks) > run.n.min():
            raise ValueError(f"compare: k = {max(ks)} exceeds the n = {run.n.min()} samples of {method}")
    return {m: calibrated.Runs(r.pass_at(ks), r.bases or (None,) * r.seeds,
                               r.seed_ids or (None,) * r.seeds) for m, r in runs.items()}


def comparisons(runs: dict[str, Run], ks: list[int], reference: str, *, alpha: float = 0.05,
                effect: float = 0.02, paired_seeds: bool = False,
                values: dict[str, calibrated.Runs] | None = None) -> pd.DataFrame:
    """One row per (method, vs, k): Δ, CI at level 1 − α, p, Holm p per opponent, verdict, power.

    Holm's family is one opponent's rows (every method and k against the reference; every method
    and k against base): each question the table answers keeps its family-wise error at α.
    values: `stacks(runs, ks)` when the caller has them already.
    """
    values = values or stacks(runs, ks)
    rows = []
    for method, vs in _targets(runs, reference):
        fixed = vs == "base"
        results = calibrated.compare_many(values[method], values[vs], level=1 - alpha, fixed_b=fixed,
                                          paired_seeds=paired_seeds)
        for i, (k, r) in enumerate(zip(ks, results)):
            rows.append({"method": method, "vs": vs, "k": k, "delta": r.delta, "ci_low": r.low, "ci_high": r.high,
                         "p": r.p, "n_problems": values[method].values.shape[2], "seeds": r.runs_a,
                         "seeds_vs": r.runs_b, "bases": r.bases, "scheme": r.scheme, "df": r.df, "se": r.se,
                         "pass_method": values[method].values[i].mean(), "pass_vs": values[vs].values[i].mean(),
                         **power_terms(r, effect, alpha, fixed), "why": r.why, "result": r})
    table = pd.DataFrame(rows)
    p_holm = np.full(len(table), np.nan)
    for _, idx in table.groupby("vs", sort=False).groups.items():
        p_holm[table.index.get_indexer(idx)] = holm(table.loc[idx, "p"].to_numpy())
    table.insert(table.columns.get_loc("p") + 1, "p_holm", p_holm)
    table.insert(table.columns.get_loc("p_holm") + 1, "significant", table["p_holm"] < alpha)
    table.insert(table.columns.get_loc("significant") + 1, "verdict",
                 [verdict(r, effect) for r in table.itertuples()])
    return table


def verdict(row, effect: float) -> str:
    """In words: better / worse (Holm-significant), within ±effect (CI inside it), or cannot tell (and why)."""
    if math.isnan(row.p):
        return f"cannot tell: {row.why}"
    if row.significant:
        return "better" if row.delta > 0 else "worse"
    if -effect < row.ci_low and row.ci_high < effect:
        return f"no difference beyond ±{effect:g}"
    return "cannot tell"


def power_terms(r: calibrated.Result, effect: float, alpha: float, fixed: bool) -> dict:
    """Run-to-run sd, power now and the seeds (one base) or base models (several) an effect needs."""
    return {"sd_run": math.sqrt(r.var_a) if not math.isnan(r.var_a) else math.nan,
            "sd_problem": math.sqrt(r.problem_var) if not math.isnan(r.problem_var) else math.nan,
            "power_now": calibrated_power.power_now(r, effect, alpha, fixed),
            "needed": calibrated_power.needed(r, effect, alpha, fixed),
            "needed_unit": "base models" if r.scheme == "bases" else "seeds"}


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
        change = run.pass1_change(base)
        rows.append({"method": method, "seeds": run.seeds, "problems": run.counts.shape[1],
                     **per_problem.gains_losses(run.counts, base.counts), "mean_dpass1": float(change.mean()),
                     "pass1_rose": int((change > 0).sum()), "pass1_fell": int((change < 0).sum())})
    return pd.DataFrame(rows)


def write(problems: pd.DataFrame, ks: list[int], *, reference: str, compare_csv: Path | None = None,
          compare_md_path: Path | None = None, power_md: Path | None = None, gains_losses_csv: Path | None = None,
          gains_losses_md: Path | None = None, pass1_change: Paths = (), replication_md: Path | None = None,
          alpha: float = 0.05, effect: float = 0.02, paired_seeds: bool = False) -> dict:
    """Write the files given (None or empty: skip) and return a short summary.

    compare.{csv,md}, power.md and replication.md hold one row per (method, opponent, k);
    gains_losses.{csv,md} and the pass@1 change figure need a base run. paired_seeds: the runs
    are coupled (train.coupled_sampling), so seed s of two methods may be paired.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"compare: alpha must lie strictly between 0 and 1 (got {alpha})")
    if not ks or min(ks) < 1:
        raise ValueError(f"compare: ks must be a non-empty list of positive integers (got {ks})")
    _, runs = align(problems)
    present = reference in runs
    values = stacks(runs, ks)  # pass@k per run and problem: the comparisons' and the replication's input
    table = comparisons(runs, ks, reference, alpha=alpha, effect=effect, paired_seeds=paired_seeds, values=values)
    written = []

    def put(path, text_or_frame) -> None:
        with replacing(path) as tmp:
            if isinstance(text_or_frame, str):
                tmp.write_text(text_or_frame)
            else:
                text_or_frame.to_csv(tmp, index=False)
        written.append(str(path))

    if compare_csv:
        put(compare_csv, table.drop(columns="result"))
    if compare_md_path:
        put(compare_md_path, compare_md.compare_md(table, reference, present, alpha, effect, paired_seeds))
    if power_md:
        put(power_md, compare_md.power_md(table, effect, alpha))
    if replication_md:
        halves = replication.table(values, table, alpha=alpha, paired_seeds=paired_seeds)
        put(replication_md, replication.markdown(halves, alpha))
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
        "significant": [f"{r.method} vs {r.vs} k={r.k}: {r.delta:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] "
                        f"({scope(r)})" for r in sig.itertuples()],
        "files": written,
    }
