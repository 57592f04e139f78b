"""Markdown of the paired comparisons (report/compare.py): compare.md, gains_losses.md, power.md.

Each table carries its caption: what Δ, the CI and p are, what the flags mean, and which
assumptions the power numbers rest on, so a table read alone is not misread.
"""

from __future__ import annotations

import math

import pandas as pd

from divrl.metrics import paired_power

# Below this many seeds a seed-dominated variance rests on too few degrees of freedom (metrics/paired.py).
FEW_SEEDS = 5


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _flag(row) -> str:
    """† seed-dominated with few seeds (p may be optimistic); ‡ a trained method with one seed."""
    one_seed = row.seeds == 1 or (row.vs != "base" and row.seeds_vs == 1)
    if one_seed:
        return "‡"
    few = min(row.seeds, row.seeds_vs if row.vs != "base" else row.seeds) < FEW_SEEDS
    return "†" if few and row.seed_share > 0.5 else ""


def compare_md(table: pd.DataFrame, reference: str, present: bool, alpha: float, n_boot: int) -> str:
    level = f"{1 - alpha:.0%}"
    head = ["method", "vs", "k", "Δ pass@k", f"{level} CI", "p", "p (Holm)", "significant", "problems", "seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.itertuples():
        seeds = f"{row.seeds} vs {row.seeds_vs}" if row.vs != "base" else f"{row.seeds} vs 1 (base)"
        cells = [row.method, row.vs, str(row.k), f"{row.delta:+.3f}", f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}]",
                 _p(row.p) + _flag(row), _p(row.p_holm), "yes" if row.significant else "no", str(row.n_problems), seeds]
        lines.append("| " + " | ".join(cells) + " |")
    scope = (f"Each method against the reference `{reference}` and against `base`." if present else
             f"The reference `{reference}` is not among the runs: every method is compared with `base` only.")
    caption = (
        f"{scope} Δ = mean over the {table.n_problems.iloc[0]} test problems of (unbiased pass@k averaged over the "
        f"method's seeds − the same for the other); > 0: the method is better. CI: paired percentile bootstrap "
        f"({n_boot} resamples) over problems and, within each method, over seeds. p: two-sided, from the same "
        f"bootstrap; p (Holm): Holm–Bonferroni over all {len(table)} rows of this table (every method, opponent and "
        f"k); significant: p (Holm) < {alpha}. The CI is not adjusted, so it can exclude 0 where the Holm p does not. "
        "Scheme and calibration: divrl/metrics/paired.py."
    )
    notes = []
    if (flags := table.apply(_flag, axis=1)).eq("†").any():
        notes.append(f"† seed-to-seed variation is over half of the variance and fewer than {FEW_SEEDS} seeds "
                     "measure it: p may be optimistic (see power.md for the seeds needed).")
    if flags.eq("‡").any():
        notes.append("‡ a trained method with one seed: seed-to-seed variation is unmeasured, so CI and p cover "
                     "problem sampling only.")
    opponents = " and ".join(t for t in dict.fromkeys((reference, "base")) if t in set(table["vs"]))
    return f"# Does each method beat {opponents}?\n\n" + "\n".join(lines) + "\n\n" + caption + "\n" + \
        "".join("\n" + n + "\n" for n in notes)


def gains_losses_md(table: pd.DataFrame) -> str:
    head = ["method", "seeds", "solvable by base", "gained", "lost", "net", "gained / seed", "lost / seed",
            "mean Δpass@1", "pass@1 rose / fell"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples():
        lines.append("| " + " | ".join([r.method, str(r.seeds), f"{r.solvable_by_base} of {r.problems}", str(r.gained),
                                        str(r.lost), f"{r.net:+d}", f"{r.gained_per_seed:.1f}", f"{r.lost_per_seed:.1f}",
                                        f"{r.mean_dpass1:+.3f}", f"{r.pass1_rose} / {r.pass1_fell}"]) + " |")
    caption = (
        "Problems gained and lost against the base model. Solved = at least one correct sample; a method's seeds "
        "are pooled (solved by any seed). gained: base solved none of its samples, the method solved it; lost: base "
        "solved it, no seed of the method did. Pooling gives the method seeds × n samples against base's n, which "
        "favours gains: gained / seed and lost / seed are the same counts per seed alone, averaged (equal budgets). "
        "Δpass@1: per-problem mean over seeds of c/n minus base's c/n; rose / fell: problems where it went up / down."
    )
    return "# Per-problem gains and losses against base\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"


def power_md(table: pd.DataFrame, effect: float, alpha: float) -> str:
    m = len(table)
    head = ["method", "vs", "k", "seeds now", "SE now", f"power now (δ = {effect})", "seeds needed",
            f"seeds needed at α/{m}", "problems needed", "sd seed", "sd cell"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples():
        strict = paired_power.required_seeds(r.components, effect, r.n_problems, alpha=alpha / m, b_fixed=r.vs == "base")
        seeds = f"{r.seeds} vs {r.seeds_vs}" if r.vs != "base" else f"{r.seeds} vs 1 (base)"
        lines.append("| " + " | ".join([r.method, r.vs, str(r.k), seeds, f"{r.se:.4f}", _num(r.power_now, ".2f"),
                                        _num(r.seeds_needed), _num(strict), _num(r.problems_needed),
                                        _num(r.sd_seed, ".4f"), _num(r.sd_cell, ".4f")]) + " |")
    caption = (
        f"Seeds per method needed to detect a true Δpass@k of {effect} with power 0.8 in a two-sided test at "
        f"α = {alpha} (normal approximation: δ/SE ≥ z_(1−α/2) + z_0.8), on the same {table.n_problems.iloc[0]} "
        "problems; against base only the method is rerun, against a trained reference both get that many seeds. "
        f"SE² = V_problem/P + σ²_seed/S + σ²_cell/(S·P) per method, from two-way ANOVA of seed × problem pass@k "
        f"(sd seed: seed-to-seed sd of a method's mean pass@k; sd cell: per-seed-and-problem sd). 'at α/{m}': the "
        "worst case once Holm corrects for every row. problems needed: at the current seeds. inf: no number of "
        "seeds is enough with this many problems; –: unmeasured (a trained method with one seed)."
    )
    return f"# Seeds needed to detect Δ = {effect}\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"


def _num(x: float, fmt: str = ".0f") -> str:
    if math.isnan(x):
        return "–"
    return "inf" if math.isinf(x) else format(x, fmt)

