"""The per-problem pass@1 change figure: what a mean over problems hides (report/compare.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from divrl.report.figures import Paths, colours, plt, save


def pass1_change_figure(runs: dict, losses: pd.DataFrame, paths: Paths, reference: str | None) -> None:
    """Small multiples: each method's per-problem pass@1 change vs base, problems sorted by it."""
    base = runs["base"]
    methods = list(losses["method"])
    col = colours(runs, reference)
    ncols = min(4, len(methods))
    nrows = math.ceil(len(methods) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(7.0, 3.4 * ncols), 2.8 * nrows + 0.6), sharey=True,
                             squeeze=False)
    for ax, row in zip(axes.flat, losses.itertuples()):
        run = runs[row.method]
        change = np.sort(run.pass1_change(base))
        x = (np.arange(change.size) + 0.5) / change.size
        ax.fill_between(x, change, 0, where=change > 0, color="tab:green", alpha=0.35, lw=0, step="mid")
        ax.fill_between(x, change, 0, where=change < 0, color="tab:red", alpha=0.35, lw=0, step="mid")
        ax.step(x, change, where="mid", color=col[row.method], lw=1.4)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{row.method} ({row.seeds} run{'s' if row.seeds != 1 else ''})", fontsize=9)
        ax.text(0.03, 0.97, f"mean Δ {row.mean_dpass1:+.3f}\nrose {row.pass1_rose}, fell {row.pass1_fell} "
                f"of {row.problems}\ngained {row.gained}, lost {row.lost}", transform=ax.transAxes, va="top",
                fontsize=7, bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9})
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(methods):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("share of problems (sorted by change)")
    for ax in axes[:, 0]:
        ax.set_ylabel("pass@1 − base pass@1")
    fig.suptitle("Per-problem pass@1 change against the base model (method: mean over seeds)\n"
                 "green: easier than for base, red: harder; gained: base never solved it, a seed did; "
                 "lost: the reverse", fontsize=9)
    save(fig, paths)

