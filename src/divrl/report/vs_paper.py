"""Scorecard: our numbers against the published ones (the config's `paper:` section).

The report_paper rule writes tables/vs_paper.{md,csv} and, when the paper prints curves,
figures/vs_paper.{png,pdf}.
Published values are percent as printed; ours are turned into percent.

Ours is the mean ± std (ddof 1) over seeds of the per-seed value (with several base models,
over every (base model, seed) run, pooled; pass@k − base subtracts each run's own base model).
Its 95 % CI:
- two or more seeds: a t-interval over seeds, mean ± t(0.975, S−1)·std/√S. Seeds are
  what a reproduction varies, so this is the interval a published value should fall in.
  With several base models, over the per-base means with B − 1 df (runs on one base are
  correlated; the base is a random factor, as in compare.md).
- one seed: the percentile bootstrap over problems of metrics/stats.bootstrap_ci (2000
  draws), test sets resampled separately for `avg`. It holds only the sampling of
  problems, not of training runs, so it is narrower than a seed interval would be.
- no CI where a metric has no per-problem values (Div-Equ).
R1-zero-Div's Table 3 prints N-gram diversity and 100 − Self-BLEU (its "Div-Self-BLEU",
higher = more diverse); ours come from each problem's ngram_diversity and 1 − self_bleu in
metrics.json (metrics/ngram.py), so they get the bootstrap over problems like pass@k.
A published range (DS's "gains of 0.2%–2.9%") agrees when our CI overlaps it; its
difference is the distance to the nearer end (0 inside).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from divrl.system import textio
from divrl.system.atomic import replacing
from divrl.metrics.passk import pass_at_k_rows
from divrl.report import identity

_KIND = {"pass_at_k": "pass@{k}", "mean_at_1": "Avg@N", "greedy_at_1": "greedy pass@1", "div_equ": "Div-Equ",
         "minus_base": "pass@{k} − base", "minus_grpo": "pass@{k} − GRPO",
         "ngram_diversity": "N-gram diversity", "self_bleu": "100 − Self-BLEU"}
N_BOOT = 2000


def load(paths: list[str | Path]) -> dict[tuple, dict]:
    """(method, (base seed, seed), test set) -> metrics.json contents: a run is its base model and
    its seed (seed None for the base model, base seed None for a published checkpoint or an old file)."""
    out = {}
    for path in paths:
        m = json.loads(textio.read_text(path))
        who = identity.of(path, m)
        out[(who.run, (who.base_seed, who.seed), who.test_set)] = m
    return out


def _run_order(run: tuple) -> tuple:
    return tuple(-1 if x is None else x for x in run)


def _pass_at_k(m: dict, probs: list[dict], k: int):
    """pass@k per problem of one metrics file: fixed N, or eval.sequential (per-problem N)."""
    return pass_at_k_rows([p.get("n", m["n"]) for p in probs], [p["c"] for p in probs], k, int(m.get("sequential") or 0))


def _per_problem(m: dict, metric: str, k: int) -> dict | None:
    """problem id -> its value (a fraction), or None when the metric has no per-problem form."""
    probs = m.get("per_problem", [])
    if metric == "pass_at_k":
        if k > m["n"] or not probs:
            return None
        vals = _pass_at_k(m, probs, k)
        return {p["id"]: float(v) for p, v in zip(probs, vals)}
    if metric == "mean_at_1":
        if m.get("sequential"):  # Haldane's (r − 1)/(N − 1) for a stopped problem, not c/N
            return {p["id"]: float(v) for p, v in zip(probs, _pass_at_k(m, probs, 1))} or None
        return {p["id"]: p["c"] / m["n"] for p in probs} or None
    if metric == "greedy_at_1" and probs and all("greedy_correct" in p for p in probs):
        return {p["id"]: float(p["greedy_correct"]) for p in probs}
    if metric in ("ngram_diversity", "self_bleu"):  # None: one sample, no Self-BLEU; absent: older file
        flip = metric == "self_bleu"  # the paper prints 100 − Self-BLEU
        return {p["id"]: 1.0 - p[metric] if flip else p[metric] for p in probs if p.get(metric) is not None} or None
    return None


def _scalar(m: dict, metric: str) -> float | None:
    """A metric that only exists as one number per run."""
    key = {"div_equ": "div_equ", "greedy_at_1": "greedy_pass1", "mean_at_1": "mean_at_1"}.get(metric)
    v = m.get(key) if key else None
    return float(v) if v is not None else None


def _bench(data: dict, method: str, seed, b: str, metric: str, k: int) -> tuple[float | None, np.ndarray | None]:
    """One run's value on one test set, and its per-problem values (for the bootstrap)."""
    m = data.get((method, seed, b))
    if m is None:
        return None, None
    if metric not in ("minus_base", "minus_grpo"):
        per = _per_problem(m, metric, k)
        if per is None:
            return _scalar(m, metric), None
        arr = np.array(list(per.values()))
        return float(arr.mean()), arr
    mine = _per_problem(m, "pass_at_k", k)
    if metric == "minus_base":  # the run's own base model; without one (published), every base model
        own = ("base", (seed[0], None), b)
        refs = [data[own]] if own in data else [v for (meth, _, bb), v in data.items() if meth == "base" and bb == b]
    else:
        refs = [v for (meth, _, bb), v in data.items() if meth == "grpo" and bb == b]
    refs = [r for r in (_per_problem(x, "pass_at_k", k) for x in refs) if r is not None]
    if mine is None or not refs:
        return None, None
    ids = [i for i in mine if all(i in r for r in refs)]  # paired on the same problems
    arr = np.array([mine[i] - np.mean([r[i] for r in refs]) for i in ids])
    return (float(arr.mean()), arr) if len(arr) else (None, None)


def _boot(per_bench: list[np.ndarray], seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % bootstrap of the mean over test sets of the mean over problems."""
    if len(per_bench) == 1:
        from divrl.metrics.stats import bootstrap_ci

        return bootstrap_ci(per_bench[0], n_boot=N_BOOT, seed=seed)
    rng = np.random.default_rng(seed)
    means = np.mean([v[rng.integers(0, len(v), (N_BOOT, len(v)))].mean(axis=1) for v in per_bench], axis=0)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def ours(data: dict, row: dict, not_averaged=()) -> dict:
    """mean, std, seeds, CI (fractions) for one published row; NaN where we have nothing."""
    method, metric, k, b = row["method"], row["metric"], row.get("k", 1), row["bench"]
    out = {"mean": math.nan, "std": math.nan, "seeds": 0, "ci_low": math.nan, "ci_high": math.nan, "ci": ""}
    # avg: every test set but the validation split and sets kept out of the benchmark average
    left_out = {"validation", *not_averaged}
    benches = sorted({bb for (_, _, bb) in data if bb not in left_out}) if b == "avg" else [b]
    seeds = sorted({s for (mm, s, _) in data if mm == method}, key=_run_order)
    pinned = [s for s in seeds if row.get("seed") is not None and s[1] == row["seed"]]  # every base model's
    seeds = pinned or seeds
    per_seed, per_problem, bases = [], None, []
    for s in seeds:
        got = [_bench(data, method, s, bb, metric, k) for bb in benches]
        if any(v is None for v, _ in got):
            continue
        per_seed.append(np.mean([v for v, _ in got]))
        bases.append(s[0])
        per_problem = [a for _, a in got] if all(a is not None for _, a in got) else None
    if not per_seed:
        out["ci"] = "not run, k > N, or not in its metrics.json"
        return out
    v = np.array(per_seed)
    out.update(mean=float(v.mean()), std=float(v.std(ddof=1)) if len(v) > 1 else 0.0, seeds=len(v))
    # several base models: runs on one base are correlated, so the t-interval is over per-base
    # means with B − 1 df (base as a random factor, as in compare.md: metrics/calibrated.py)
    by_base = {b: v[[i for i, x in enumerate(bases) if x == b]].mean() for b in dict.fromkeys(bases)}
    units, unit = (np.array(list(by_base.values())), "base models") if len(by_base) > 1 and None not in by_base \
        else (v, "seeds")
    if len(units) > 1:
        from scipy.stats import t

        half = float(t.ppf(0.975, len(units) - 1) * units.std(ddof=1) / math.sqrt(len(units)))
        out.update(ci_low=float(units.mean()) - half, ci_high=float(units.mean()) + half,
                   ci=f"t over {len(units)} {unit}")
    elif per_problem is not None:
        lo, hi = _boot(per_problem)
        out.update(ci_low=lo, ci_high=hi, ci="bootstrap over problems")
    else:
        out["ci"] = "none (one seed, no per-problem values)"
    return out


def rows_of(paper: dict) -> list[dict]:
    """The published rows, with every curve point as a row of its own."""
    rows = [dict(r) for r in paper.get("rows", [])]
    for c in paper.get("curves", []):
        for k, v in zip(c["k"], c["value"]):
            rows.append({"table": c["table"], "method": c["method"], "bench": c["bench"], "metric": c["metric"],
                         "k": k, "value": v, "note": c.get("note", "")})
    return rows


def table(data: dict, paper: dict, not_averaged=()) -> pd.DataFrame:
    out = []
    for row in rows_of(paper):
        o = ours(data, row, not_averaged)
        lo_p, hi_p = row.get("range") or (row["value"], row["value"])
        mean, lo, hi = (100 * o[x] for x in ("mean", "ci_low", "ci_high"))
        diff = mean - hi_p if mean > hi_p else mean - lo_p if mean < lo_p else 0.0
        inside = "" if math.isnan(lo) else "yes" if lo <= hi_p and hi >= lo_p else "no"
        out.append({"table": row["table"], "method": row["method"], "bench": row["bench"],
                    "metric": _KIND[row["metric"]].format(k=row.get("k", 1)), "published_low": lo_p,
                    "published_high": hi_p, "ours_mean": mean, "ours_std": 100 * o["std"], "seeds": o["seeds"],
                    "diff": diff if not math.isnan(mean) else math.nan, "ci_low": lo, "ci_high": hi,
                    "ci_method": o["ci"], "inside_ci": inside, "seed": row.get("seed"), "note": row.get("note", "")})
    return pd.DataFrame(out)


def markdown(df: pd.DataFrame, source: str) -> str:
    head = ["table", "method", "test set", "metric", "published", "ours (mean ± std, seeds)", "ours − published",
            "our 95 % CI", "published inside"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in df.itertuples():
        pub = f"{r.published_low:.2f}" if r.published_low == r.published_high else f"{r.published_low:.1f}–{r.published_high:.1f}"
        if math.isnan(r.ours_mean):
            mine, diff, ci = f"– ({r.ci_method})", "–", "–"
        else:
            pinned = r.seed is not None and r.seed == r.seed  # None or NaN: every seed
            mine = f"{r.ours_mean:.2f} ± {r.ours_std:.2f} ({r.seeds})" + (f", seed {int(r.seed)}" if pinned else "")
            diff = f"{r.diff:+.2f}"
            ci = f"[{r.ci_low:.2f}, {r.ci_high:.2f}] ({r.ci_method})" if not math.isnan(r.ci_low) else r.ci_method
        lines.append("| " + " | ".join([r.table, r.method, r.bench, r.metric, pub, mine, diff, ci, r.inside_ci or "–"]) + " |")
    notes = sorted({f"{r.table}, {r.method}: {r.note}" for r in df.itertuples() if r.note})
    caption = (
        f"Published numbers ({source or 'the config’s paper: section'}) against ours, all in percent. "
        "avg: mean over every test set. Ours: mean ± std (ddof 1) over seeds. 95 % CI: with ≥ 2 seeds a "
        "t-interval over seeds; with one seed a percentile bootstrap over problems (2000 draws; test sets "
        "resampled separately for avg), which omits run-to-run variation. A published range agrees when the "
        "CI overlaps it; its difference is to the nearer end."
    )
    return "\n".join(lines) + "\n\n" + caption + "\n" + "".join(f"\n- {n}" for n in notes) + ("\n" if notes else "")


def figure(data: dict, paper: dict, paths, reference: str | None = None) -> None:
    """Each published curve (dashed, markers) over ours (solid, 95 % CI band), one panel per test set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from divrl.report.figures import colours, save

    curves = paper["curves"]
    panels = sorted({c["bench"] for c in curves})
    col = colours({c["method"] for c in curves}, reference)
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5), squeeze=False)
    for ax, b in zip(axes[0], panels):
        for c in (c for c in curves if c["bench"] == b):
            ax.plot(c["k"], c["value"], ls="--", marker="s", ms=4, color=col[c["method"]], label=f"{c['method']} published ({c['table']})")
            runs = [m for (mm, _, bb), m in data.items() if mm == c["method"] and bb == b]
            ks = sorted({k for m in runs for k in m["k"]} | {k for k in c["k"] if runs and k <= min(m["n"] for m in runs)})
            got = [(k, ours(data, {**c, "k": k})) for k in ks]
            got = [(k, o) for k, o in got if not math.isnan(o["mean"])]
            if got:
                x = [k for k, _ in got]
                ax.plot(x, [100 * o["mean"] for _, o in got], marker="o", ms=3, color=col[c["method"]], label=f"{c['method']} ours")
                ax.fill_between(x, [100 * o["ci_low"] for _, o in got], [100 * o["ci_high"] for _, o in got],
                                color=col[c["method"]], alpha=0.15, lw=0)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k (samples per problem, log scale)")
        ax.set_ylabel("percentage points" if curves[0]["metric"] == "minus_base" else "percent")
        ax.set_title(f"{b}: {_KIND[curves[0]['metric']].format(k='k')}, published (dashed) vs ours (band: 95 % CI)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, paths)


def write(metrics: list[str | Path], paper: dict, *, md: Path | None = None, csv: Path | None = None,
          figure_paths=(), not_averaged=(), reference: str | None = None) -> str | None:
    """The scorecard files given (None or empty: skip); returns its markdown, None without a paper section."""
    if not (paper.get("rows") or paper.get("curves")):
        return None
    if figure_paths and not paper.get("curves"):
        raise ValueError("report: the vs_paper figure needs published curves (paper.curves)")
    data = load(metrics)
    df = table(data, paper, not_averaged)
    text = markdown(df, paper.get("source", ""))
    for path, put in ((csv, lambda p: df.to_csv(p, index=False)), (md, lambda p: Path(p).write_text(text))):
        if path:
            with replacing(path) as tmp:
                put(tmp)
    if figure_paths:
        figure(data, paper, figure_paths, reference)
    return text
