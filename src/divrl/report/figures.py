"""Figures: pass@k against k, and pass@k − base, one line per method with seed bands.

With several base models (base.seeds) a method's line and band are over all its runs (base
models × seeds, pooled), and the base model's over the base models."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # no display on clusters and CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from divrl.system.atomic import replacing
from divrl.report.collect import RUN, n_bases, n_runs, with_base_seed  # noqa: E402
from divrl.report.tables import minus_base, order  # noqa: E402

# A figure is written to every path given for it, in the format its suffix names (the rules
# declare a PNG, which `snakemake --report` shows, and a PDF for papers).
Paths = Sequence[str | Path]


def colours(methods, reference: str | None) -> dict[str, tuple]:
    """The same colour for a method in every figure; base is black. tab20 past 10 methods."""
    rest = [m for m in order(methods, reference) if m != "base"]
    palette = plt.get_cmap("tab10" if len(rest) <= 10 else "tab20").colors
    out = {m: palette[i % len(palette)] for i, m in enumerate(rest)}
    out["base"] = (0, 0, 0)
    return out


def _lines(ax, runs: pd.DataFrame, value: str, col: dict, reference: str | None) -> None:
    for method in order(runs.method.unique(), reference):
        df = runs[runs.method == method]
        g = df.groupby("k")[value]
        mean, lo, hi = g.mean(), g.min(), g.max()
        runs_n = n_runs(df)
        style = dict(color=col[method], lw=2 if method == "base" else 1.6)
        if method == "base":
            label = "base model" if runs_n == 1 else f"base models (mean of {runs_n})"
            ax.plot(mean.index, mean.values, ls="--", marker="o", ms=3, label=label, **style)
        else:
            bases = n_bases(df)
            what = f"{runs_n} seeds" if bases < 2 else f"{runs_n} runs: {bases} bases × seeds"
            ax.plot(mean.index, mean.values, marker="o", ms=3, label=f"{method} (n={what})", **style)
        if runs_n > 1:
            ax.fill_between(mean.index, lo.values, hi.values, color=col[method], alpha=0.15, lw=0)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k (samples drawn per problem, log scale)")
    ax.grid(alpha=0.3)


def passk(runs: pd.DataFrame, paths: Paths, title: str, reference: str | None) -> None:
    col = colours(runs.method.unique(), reference)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _lines(ax, runs, "pass_at_k", col, reference)
    ax.set_ylabel("pass@k (share of test problems solved)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title + "\nline: mean over seeds; band: min–max over seeds", fontsize=10)
    _legend(ax, runs.method.nunique(), loc="lower right")
    save(fig, paths)


def passk_minus_base(runs: pd.DataFrame, paths: Paths, title: str, reference: str | None) -> None:
    if not (runs.method == "base").any():
        raise ValueError("report: the pass@k − base figure needs the base model's metrics among the inputs")
    col = colours(runs.method.unique(), reference)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _lines(ax, minus_base(runs), "minus_base", col, reference)
    ax.axhline(0, color="black", lw=1, ls="--", label="base model")
    ax.set_ylabel("pass@k − base pass@k")
    ax.set_title(title + "\nabove 0: better than the base model at that k", fontsize=10)
    _legend(ax, runs.method.nunique(), loc="best")
    save(fig, paths)


def accuracy_vs_diversity(runs: pd.DataFrame, paths: Paths, title: str, reference: str | None) -> None:
    """pass@1 against distinct correct answers: one point per method, error bars over seeds."""
    col = colours(runs.method.unique(), reference)
    per_seed = with_base_seed(runs[runs.k == 1]).groupby(RUN, dropna=False)[["pass_at_k", "distinct_correct"]].first()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for method in order(runs.method.unique(), reference):
        d = per_seed.loc[method]
        x, y = d["distinct_correct"], d["pass_at_k"]
        ax.errorbar(x.mean(), y.mean(), xerr=x.std(ddof=1) if len(d) > 1 else None,
                    yerr=y.std(ddof=1) if len(d) > 1 else None, fmt="o" if method != "base" else "s",
                    color=col[method], ms=7, capsize=3, label=method if method != "base" else "base model")
    ax.set_xlabel("distinct correct answers per problem (strings)")
    ax.set_ylabel("pass@1")
    ax.set_title(title + "\nup: more accurate; right: more diverse; bars: ±1 std over runs (seeds, base models)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    _legend(ax, runs.method.nunique(), loc="best")
    save(fig, paths)


def training_curves(logs: pd.DataFrame, paths: Paths, label: str, reference: str | None) -> None:
    """One panel per logged quantity, one line per method (mean over seeds, band min–max)."""
    from divrl.report.curves import PANELS

    if logs is None or not len(logs):
        raise ValueError("report: the training-curve figure needs train_log.json files (--train-logs)")
    col = colours(logs.method.unique(), reference)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, (key, (name, unit)) in zip(axes.flat, PANELS.items()):
        for method in order(logs.method.unique(), reference):
            g = logs[logs.method == method].groupby("step")[key]
            mean = g.mean()
            ax.plot(mean.index, mean.values, color=col[method], lw=1.4, label=method)
            ax.fill_between(mean.index, g.min().values, g.max().values, color=col[method], alpha=0.12, lw=0)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("RL step")
    axes[0, 0].legend(fontsize=7, loc="best")
    fig.suptitle(f"RL training, {label} (line: mean over seeds; band: min–max)", fontsize=11)
    save(fig, paths)


def spearman_hist(problems: pd.DataFrame, paths: Paths, reference: str | None) -> None:
    """DRA's Figure-2 analysis: per-prompt Spearman(reward, embedding diversity)."""
    col = colours(problems.method.unique(), reference)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    bins = [i / 10 for i in range(-10, 11)]
    for method in order(problems.method.unique(), reference):
        d = problems[(problems.method == method) & problems.spearman_rho.notna()]
        if d.empty:
            continue
        share = (d.spearman_p > 0.05).mean()
        ax.hist(d.spearman_rho, bins=bins, histtype="step", lw=1.6, color=col[method], density=True,
                label=f"{method}: p > 0.05 for {share:.0%} of {len(d)} prompts")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Spearman ρ between a completion's reward and its embedding diversity (per prompt)")
    ax.set_ylabel("density over prompts")
    ax.set_title("Does reward already favour diverse completions? (DRA-GRPO's Figure 2)\n"
                 "mass near 0 and large p-value shares: reward ignores diversity", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    save(fig, paths)


def _legend(ax, n_entries: int, **kw) -> None:
    """Inside the axes for a few lines; outside on the right when many would hide the data."""
    if n_entries > 8:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    else:
        ax.legend(fontsize=8, **kw)


def save(fig, paths: Paths | str | Path) -> None:
    """Write the figure to each path (format from its suffix), then free it."""
    fig.tight_layout()
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        with replacing(path) as tmp:
            fig.savefig(tmp, dpi=130)  # dpi: PNG only; a PDF is vector
    plt.close(fig)


def title(label: str, runs: pd.DataFrame) -> str:
    """The figures' first title line: the test set (or 'Countdown toy') and its sample count."""
    return f"{label}, {int(runs['n'].iloc[0])} samples per test problem"
