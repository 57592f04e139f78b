"""Sweep report: each grid point's pass@k on validation and test, and the point a stated rule picks.

Rule: the best point of a method maximises the mean over runs (seeds; with several base models,
every (base model, seed) run) of validation pass@k at k = select_k (ties: the first in grid order). Only its *test* numbers are reported as
"chosen"; test problems never take part in the choice. Configured methods (e.g. grpo,
ds) are drawn as references.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from divrl.system import atomic
from divrl.system.atomic import replacing
from divrl.workflow.layout import point_path
from divrl.report import identity
from divrl.report.collect import read_metrics
from divrl.report.figures import colours, plt, save


def load(paths: list[str], points: list[str] = (), sweeps: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per (run, base_seed, seed, set, k): pass@k. Base has run "base" and seed -1; a
    missing base seed (a published checkpoint, an old file) is -1.

    paths: the base model and the configured methods (run: the method). points: grid points'
    files, each matched to its point of `sweeps` ({method: ["method/p=v,…", …]}) by the run
    name its identity carries or, failing that, by its hyperparameters.
    """
    rows = []
    for path, is_point in [*((p, False) for p in paths), *((p, True) for p in points)]:
        metrics = read_metrics(path)  # one line naming the file when keys are missing
        who = identity.of(path, metrics)
        run = grid_point(who, sweeps or {}, path) if is_point else who.run
        for k, v in zip(metrics["k"], metrics["pass_at_k"]):
            rows.append({"run": run, "base_seed": -1 if who.base_seed is None else who.base_seed,
                         "seed": -1 if who.seed is None else who.seed, "set": who.test_set, "k": k, "pass_at_k": v})
    return pd.DataFrame(rows)


def grid_point(who: identity.Identity, sweeps: dict[str, list[str]], path) -> str:
    """The grid point ("ds/gamma_p=0.01") a sweep run's metrics belong to."""
    runs = sweeps.get(who.method, [])
    if who.run in runs:
        return who.run
    found = [run for run in runs if who.params is not None and _has_values(who.params, run.split("/", 1)[1])]
    if len(found) != 1:
        raise ValueError(f"sweep report: {path}: matches {len(found)} grid points of {who.method!r} "
                         f"({', '.join(runs) or 'none swept'}); expected one")
    return found[0]


def _has_values(params: dict, point: str) -> bool:
    """params hold the point's values, written as the point's folder name writes them (config.point_path)."""
    pairs = [item.split("=", 1) for item in point.split(",")]
    return all(key in params and point_path({key: params[key]}) == f"{key}={value}" for key, value in pairs)


def _stats(df: pd.DataFrame) -> pd.Series:
    """mean, min, max over runs of the per-run mean over test sets (one number per (base, seed) run)."""
    per_seed = df.groupby(["base_seed", "seed"]).pass_at_k.mean()
    return pd.Series({"mean": per_seed.mean(), "low": per_seed.min(), "high": per_seed.max(),
                      "std": per_seed.std(ddof=1) if len(per_seed) > 1 else 0.0, "seeds": len(per_seed)})


def table(data: pd.DataFrame, sweeps: dict[str, list[str]], select_k: int) -> pd.DataFrame:
    """Rows: every grid point; val/test pass@select_k and test pass@1, and the chosen flag."""
    ks = sorted(data.k.unique())
    k = select_k if select_k in ks else max(q for q in ks if q <= select_k)
    rows = []
    for method, runs in sweeps.items():
        for run in runs:
            d = data[data.run == run]
            val = _stats(d[(d.set == "validation") & (d.k == k)])
            test = _stats(d[(d.set != "validation") & (d.k == k)])
            test1 = _stats(d[(d.set != "validation") & (d.k == 1)])
            rows.append({"method": method, "point": run.split("/", 1)[1], f"val pass@{k}": val["mean"],
                         f"val pass@{k} std": val["std"], f"test pass@{k}": test["mean"], f"test pass@{k} std": test["std"],
                         "test pass@1": test1["mean"], "test pass@1 std": test1["std"], "seeds": int(test["seeds"])})
    out = pd.DataFrame(rows)
    best = out.groupby("method")[f"val pass@{k}"].idxmax()
    out["chosen"] = out.index.isin(best.values)
    out.attrs["k"] = k
    return out


def markdown(tab: pd.DataFrame, refs: pd.DataFrame) -> str:
    k = tab.attrs["k"]
    extra = ["test pass@1"] if k != 1 else []  # the same column twice otherwise
    head = ["method", "grid point", f"validation pass@{k}", f"test pass@{k}", *extra, "seeds", "chosen"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in tab.iterrows():
        cell = lambda c, row=row: f"{row[c]:.3f} ± {row[c + ' std']:.3f}"  # noqa: E731
        cells = [row.method, f"`{row.point}`", cell(f"val pass@{k}"), cell(f"test pass@{k}"), *map(cell, extra),
                 str(row.seeds), "**yes**" if row.chosen else ""]
        lines.append("| " + " | ".join(cells) + " |")
    for name, r in refs.iterrows():
        cells = [f"{name} (reference)", "as configured", f"{r['val']:.3f}", f"{r['test']:.3f}",
                 *([f"{r['test1']:.3f}"] if extra else []), str(int(r["seeds"])), ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        f"\n\nGrid points of each swept method, mean ± std over runs (seeds × base models; test: mean over the test sets). "
        f"Chosen: the point with the highest mean validation pass@{k} (validation = problems held out from "
        "training); its test numbers are an honest estimate because the test problems took no part in the choice.\n"
    )


def references(data: pd.DataFrame, runs: list[str], k: int) -> pd.DataFrame:
    out = {}
    for run in runs:
        d = data[data.run == run]
        out[run] = {"val": _stats(d[(d.set == "validation") & (d.k == k)])["mean"],
                    "test": _stats(d[(d.set != "validation") & (d.k == k)])["mean"],
                    "test1": _stats(d[(d.set != "validation") & (d.k == 1)])["mean"],
                    "seeds": len(d[["base_seed", "seed"]].drop_duplicates())}
    return pd.DataFrame.from_dict(out, orient="index")


def _x(points: list[str]) -> tuple[list, str, bool]:
    """Numeric x for a one-parameter grid (log axis when it spans a decade), else labels."""
    pairs = [p.split(",") for p in points]
    if all(len(p) == 1 for p in pairs):
        name = pairs[0][0].split("=")[0]
        try:
            values = [float(p[0].split("=", 1)[1]) for p in pairs]
        except ValueError:
            return list(range(len(points))), "grid point", False
        positive = [v for v in values if v > 0]
        return values, name, bool(positive) and len(positive) == len(values) and max(values) / min(values) >= 10
    return list(range(len(points))), "grid point", False


def figure(data: pd.DataFrame, tab: pd.DataFrame, refs: pd.DataFrame, paths) -> None:
    k = tab.attrs["k"]
    methods = list(dict.fromkeys(tab.method))
    fig, axes = plt.subplots(1, len(methods), figsize=(5.5 * len(methods), 4), squeeze=False)
    col = colours(methods, None)  # no reference among grid points: alphabetical
    for ax, method in zip(axes[0], methods):
        sub = tab[tab.method == method]
        x, xlabel, log = _x(list(sub.point))
        for split, style in (("validation", "--"), ("test", "-")):
            stats = [_stats(data[(data.run == f"{method}/{p}") & ((data.set == "validation") == (split == "validation")) & (data.k == k)])
                     for p in sub.point]
            mean = np.array([s["mean"] for s in stats])
            ax.plot(x, mean, style, marker="o", color=col[method], label=f"{method}: {split}")
            ax.fill_between(x, [s["low"] for s in stats], [s["high"] for s in stats], color=col[method], alpha=0.15, lw=0)
        chosen = sub.reset_index(drop=True).chosen.idxmax()
        ax.axvline(x[chosen], color="grey", lw=0.8, ls=":", label="chosen on validation")
        # references in greys with their own dash patterns: a swept method may also be one
        for (name, r), dash, grey in zip(refs.iterrows(), ["-.", ":", (0, (6, 2)), (0, (1, 1, 3, 1))] * 4,
                                         np.linspace(0.0, 0.6, max(len(refs), 1))):
            ax.axhline(r["test"], color=str(grey), ls=dash, lw=1.3, label=f"{name}, as configured (test)")
        if log:
            ax.set_xscale("log")
        if xlabel == "grid point":
            ax.set_xticks(x, list(sub.point), rotation=30, ha="right", fontsize=7)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"pass@{k}")
        ax.set_title(f"{method}: sweep (band: seed range)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    save(fig, paths)


def write(paths: list[str], sweeps: dict[str, list[str]], select_k: int, *, points: list[str] = (),
          table_md: Path | None = None, table_csv: Path | None = None, figure_paths=()) -> str:
    """Write the files given (None or empty: skip); returns the markdown table."""
    data = load(paths, points, sweeps)
    tab = table(data, sweeps, select_k)
    swept = {run for runs in sweeps.values() for run in runs}
    refs = references(data, [r for r in dict.fromkeys(data.run) if r not in swept and r != "base"], tab.attrs["k"])
    md = markdown(tab, refs)
    if table_csv:
        with replacing(table_csv) as tmp:
            tab.to_csv(tmp, index=False)
    if table_md:
        atomic.write_text(table_md, md)
    if figure_paths:
        figure(data, tab, refs, figure_paths)
    return md
