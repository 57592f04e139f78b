"""Figures: pass@k against k, and pass@k − base, one line per method with seed bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on clusters and CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from divrl.report.tables import minus_base, order  # noqa: E402

_PALETTE = plt.get_cmap("tab10").colors


def colours(methods) -> dict[str, tuple]:
    """The same colour for a method in every figure; base is black."""
    rest = [m for m in order(methods) if m != "base"]
    out = {m: _PALETTE[i % len(_PALETTE)] for i, m in enumerate(rest)}
    out["base"] = (0, 0, 0)
    return out


def _lines(ax, runs: pd.DataFrame, value: str, col: dict) -> None:
    for method in order(runs.method.unique()):
        df = runs[runs.method == method]
        g = df.groupby("k")[value]
        mean, lo, hi = g.mean(), g.min(), g.max()
        n_seeds = df.seed.nunique()
        style = dict(color=col[method], lw=2 if method == "base" else 1.6)
        if method == "base":
            ax.plot(mean.index, mean.values, ls="--", marker="o", ms=3, label="base model", **style)
            continue
        ax.plot(mean.index, mean.values, marker="o", ms=3, label=f"{method} (n={n_seeds} seeds)", **style)
        if n_seeds > 1:
            ax.fill_between(mean.index, lo.values, hi.values, color=col[method], alpha=0.15, lw=0)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k (samples drawn per problem, log scale)")
    ax.grid(alpha=0.3)


def passk(runs: pd.DataFrame, path: Path, title: str) -> None:
    col = colours(runs.method.unique())
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _lines(ax, runs, "pass_at_k", col)
    ax.set_ylabel("pass@k (share of test problems solved)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title + "\nline: mean over seeds; band: min–max over seeds", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def passk_minus_base(runs: pd.DataFrame, path: Path, title: str) -> None:
    col = colours(runs.method.unique())
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _lines(ax, minus_base(runs), "minus_base", col)
    ax.axhline(0, color="black", lw=1, ls="--", label="base model")
    ax.set_ylabel("pass@k − base pass@k")
    ax.set_title(title + "\nabove 0: better than the base model at that k", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    _save(fig, path)


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)


def write(runs: pd.DataFrame, out_dir: str | Path) -> None:
    out = Path(out_dir)
    n = int(runs["n"].iloc[0])
    title = f"Countdown toy, {n} samples per test problem"
    passk(runs, out / "passk.png", title)
    if (runs.method == "base").any():
        passk_minus_base(runs, out / "passk_minus_base.png", title)
