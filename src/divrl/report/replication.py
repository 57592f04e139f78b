"""replication.md: does each verdict survive on two disjoint halves of the seeds, and per base model?

A difference is called *established* only where the calibrated test over all runs says so
(compare.md's Holm-significant verdict) and the estimate on each half of the seeds has the same
sign. The halves are the seeds at even and at odd positions of the sorted seed list, the same
split for both methods (so coupled seeds stay paired); the base model, evaluated once per base,
belongs to both halves. Per base model: the within-base test (Welch, or paired for coupled
runs), whose scope is that one base model. A half with too few runs for a test still shows
its Δ: the sign is what the check reads.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from divrl.metrics import calibrated


def subset(runs: calibrated.Runs, keep) -> calibrated.Runs | None:
    """The runs whose (base, seed) label pair satisfies keep(base, seed); None when none does."""
    idx = [i for i, (b, s) in enumerate(zip(runs.bases, runs.seeds)) if keep(b, s)]
    if not idx:
        return None
    return calibrated.Runs(runs.values[:, idx], tuple(runs.bases[i] for i in idx), tuple(runs.seeds[i] for i in idx))


def halves(a: calibrated.Runs, b: calibrated.Runs) -> list[set]:
    """Two disjoint seed sets: even and odd positions of the sorted seeds both methods used."""
    seeds = sorted({s for s in (*a.seeds, *b.seeds) if s is not None})
    return [set(seeds[0::2]), set(seeds[1::2])]


def _in(half: set):
    return lambda base, seed: seed is None or seed in half


def table(values: dict[str, calibrated.Runs], compared: pd.DataFrame, *, alpha: float = 0.05,
          paired_seeds: bool = False) -> pd.DataFrame:
    """One row per row of compare's table: the full verdict, each half's Δ and p, each base's Δ."""
    rows = []
    ks = list(dict.fromkeys(compared.k))
    for row in compared.itertuples():
        a, b, i = values[row.method], values[row.vs], ks.index(row.k)
        fixed = row.vs == "base"
        test = lambda x, y: calibrated.compare_one(x, y, i, level=1 - alpha, fixed_b=fixed,  # noqa: E731
                                                   paired_seeds=paired_seeds)
        parts = []
        for half in halves(a, b):
            x, y = subset(a, _in(half)), subset(b, _in(half))
            parts.append(test(x, y) if x is not None and y is not None else None)
        bases = [base for base in dict.fromkeys(a.bases) if base is not None and base in set(b.bases)]
        per_base = {}
        if len(bases) >= 2:
            for base in bases:
                on = lambda bb, s, base=base: bb == base  # noqa: E731
                per_base[base] = test(subset(a, on), subset(b, on))
        agree = all(h is not None and np.sign(h.delta) == np.sign(row.delta) and h.delta != 0 for h in parts)
        rows.append({"method": row.method, "vs": row.vs, "k": row.k, "delta": row.delta, "p_holm": row.p_holm,
                     "verdict": row.verdict, "significant": bool(row.significant), "halves": parts,
                     "per_base": per_base, "halves_agree": agree, "established": bool(row.significant) and agree})
    return pd.DataFrame(rows)


def _half(r) -> str:
    if r is None:
        return "no runs"
    p = "–" if math.isnan(r.p) else ("<0.001" if r.p < 0.001 else f"{r.p:.3f}")
    return f"{r.delta:+.3f} (p {p}, {r.runs_a} vs {r.runs_b} runs)"


def markdown(rep: pd.DataFrame, alpha: float) -> str:
    head = ["method", "vs", "k", "Δ all runs", "verdict (compare.md)", "half A", "half B", "per base model",
            "established"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rep.itertuples():
        bases = ", ".join(f"b{base}: {t.delta:+.3f}" for base, t in r.per_base.items()) or "one base model"
        lines.append("| " + " | ".join([r.method, r.vs, str(r.k), f"{r.delta:+.3f}", r.verdict, _half(r.halves[0]),
                                        _half(r.halves[1]), bases, "**yes**" if r.established else "no"]) + " |")
    n_est, n_sig = int(rep.established.sum()), int(rep.significant.sum())
    summary = (f"{n_est} of {len(rep)} differences are established; {n_sig} are significant over all runs "
               f"(p (Holm) < {alpha}).")
    if n_sig > n_est:
        summary += f" {n_sig - n_est} significant difference(s) change sign on a half of the seeds: read them as unsettled."
    caption = (
        "Each verdict of compare.md recomputed on two disjoint halves of the seeds (half A: seeds at even positions "
        "of the sorted seed list, half B: odd; the same split for both methods; the base model belongs to both) and, "
        "with several base models, on each base model alone (Δ per base: the within-base difference; the scope of "
        "each is that one base model). Established: significant over all runs (p (Holm) < "
        f"{alpha}) and the same sign on both halves. A half with one run per side shows its Δ without a test (p –)."
    )
    return "# Do the verdicts replicate?\n\n" + summary + "\n\n" + "\n".join(lines) + "\n\n" + caption + "\n"
