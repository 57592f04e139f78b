"""Markdown of the calibrated comparisons (report/compare.py): compare.md, gains_losses.md, power.md.

Each table carries its caption: what Δ, the CI and p are, what the flags mean, and which
assumptions the power numbers rest on, so a table read alone is not misread.
"""

from __future__ import annotations

import math

import pandas as pd



def _p(p: float) -> str:
    if math.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def scope(row) -> str:
    """What a row's verdict is about, in words: over how many base models and seeds."""
    runs = f"{row.seeds} vs {row.seeds_vs} runs" if row.vs != "base" else f"{row.seeds} runs vs the base model"
    if row.scheme == "bases":
        return f"over {row.bases} base models (random), {runs}"
    what = "coupled seeds, paired" if row.scheme == "paired" else "seeds"
    return f"one base model ({what}; another base may differ), {runs}"


def _ci(row) -> str:
    return "–" if math.isnan(row.ci_low) else f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}]"


def compare_md(table: pd.DataFrame, reference: str, present: bool, alpha: float, effect: float,
               paired_seeds: bool = False) -> str:
    level = f"{1 - alpha:.0%}"
    head = ["method", "vs", "k", "Δ pass@k", f"{level} CI", "p", "p (Holm)", "verdict", "df", "scope"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.itertuples():
        cells = [row.method, row.vs, str(row.k), f"{row.delta:+.3f}", _ci(row), _p(row.p), _p(row.p_holm),
                 ("**" + row.verdict + "**") if row.significant else row.verdict, _num(row.df, ".1f"), scope(row)]
        lines.append("| " + " | ".join(cells) + " |")
    what = (f"Each method against the reference `{reference}` and against `base`." if present else
            f"The reference `{reference}` is not among the runs: every method is compared with `base` only.")
    tests = {"bases": "with several base models, a t-test on the per-base differences (base model as a random "
                      "factor, df = bases − 1)",
             "welch": "with one base model, Welch's t on run means (Welch–Satterthwaite df)",
             "paired": "with one base model and coupled rollouts, a paired t over seeds (df = seeds − 1)"}
    used = "; ".join(tests[s] for s in dict.fromkeys(table.scheme) if s in tests)
    caption = (
        f"{what} Δ = mean over the {table.n_problems.iloc[0]} test problems of unbiased pass@k, averaged over the "
        f"method's runs, minus the same for the opponent; > 0: the method is better. Test: {used}; a method × "
        f"problem term (new test problems) widens SE without adding df (divrl/metrics/calibrated.py; "
        f"calibration: docs/statistics.md). CI: Δ ± t·SE at {level}, not adjusted. p (Holm): Holm–Bonferroni over "
        f"the rows against the same opponent. Verdict: **better**/**worse** where p (Holm) < {alpha}; 'no difference "
        f"beyond ±{effect:g}' where the CI lies inside ±{effect:g}; otherwise 'cannot tell' — the runs cannot "
        f"separate the methods (power.md says how many runs would). A verdict holds for its scope: over one base "
        f"model it may not hold for another (replication.md recomputes it per base and on halves of the seeds)."
    )
    opponents = " and ".join(t for t in dict.fromkeys((reference, "base")) if t in set(table["vs"]))
    return f"# Does each method beat {opponents}?\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"


def gains_losses_md(table: pd.DataFrame) -> str:
    head = ["method", "seeds", "solvable by base", "gained", "lost", "net", "gained / seed", "lost / seed",
            "mean Δpass@1", "pass@1 rose / fell"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples():
        lines.append("| " + " | ".join([r.method, str(r.seeds), f"{r.solvable_by_base} of {r.problems}", str(r.gained),
                                        str(r.lost), f"{r.net:+d}", f"{r.gained_per_seed:.1f}", f"{r.lost_per_seed:.1f}",
                                        f"{r.mean_dpass1:+.3f}", f"{r.pass1_rose} / {r.pass1_fell}"]) + " |")
    caption = (
        "Problems gained and lost against the base model. Solved = at least one correct sample; a method's runs "
        "are pooled (solved by any run; with several base models, base is pooled over them too). gained: base solved none of its samples, the method solved it; lost: base "
        "solved it, no seed of the method did. Pooling gives the method seeds × n samples against base's n, which "
        "favours gains: gained / seed and lost / seed are the same counts per run alone, averaged (equal budgets). "
        "Δpass@1: per-problem mean over seeds of c/n minus base's c/n; rose / fell: problems where it went up / down."
    )
    return "# Per-problem gains and losses against base\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"


def power_md(table: pd.DataFrame, effect: float, alpha: float) -> str:
    head = ["method", "vs", "k", "scope", "SE now", f"power now (δ = {effect})", "needed for power 0.8",
            "sd between runs", "sd method × problem"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples():
        need = "–" if math.isnan(r.needed) else f"{_num(r.needed)} {r.needed_unit}"
        lines.append("| " + " | ".join([r.method, r.vs, str(r.k), scope(r), _num(r.se, ".4f"), _num(r.power_now, ".2f"),
                                        need, _num(r.sd_run, ".4f"), _num(r.sd_problem, ".4f")]) + " |")
    caption = (
        f"Chance that the test of compare.md detects a true Δpass@k of {effect} at α = {alpha} (two-sided, before "
        "Holm), and the seeds per method (one base model; against base only the method is rerun) or base models "
        "(several; at today's seeds per base) that would give it power 0.8 on the same "
        f"{table.n_problems.iloc[0]} problems: noncentral t with the test's df (divrl/metrics/calibrated_power.py). "
        "The variances are estimated from today's runs and are themselves uncertain with few of them. sd between "
        "runs: the method's run-to-run sd of mean pass@k (seed luck and finite samples; one base model); sd method "
        "× problem: the spread of the true per-problem difference. inf: no number of runs is enough with this many "
        "problems; –: unmeasured (one run)."
    )
    return f"# Runs needed to detect Δ = {effect}\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"


def _num(x: float, fmt: str = ".0f") -> str:
    if math.isnan(x):
        return "–"
    return "inf" if math.isinf(x) else format(x, fmt)

