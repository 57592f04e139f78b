"""Samples saved by sequential pass@k (stop at r correct samples) at the precision of fixed-N.

    nice python benchmarks/sequential_passk.py [--toy METRICS_JSON] [--samples-parquet FILE]
        [--replicates 200] [--round 64] [--seed 0]

Two problem sets, each evaluated many times by simulation with its per-problem success
rates held fixed:
  (i) synthetic, shaped like the DS-GRPO Countdown curves: 512 problems, cap 8192;
      65 % solved about half the time (p ~ U(0.2, 0.9)), 15 % moderate (p log-uniform in
      [0.01, 0.2]), 12 % rare successes (p log-uniform in [1e-4, 1e-2]), 8 % never solved
      (p = 0). Its pass@8 is 0.69 (the paper's Table 7: GRPO Countdown pass@8 73.4).
  (ii) the toy: rates c/n of a metrics.json's `per_problem` (default
      results/eval/grpo/base0/seed0/countdown/metrics.json), cap n.
Fixed-N draws the cap for every problem; sequential draws until r correct (or the cap)
and uses divrl.metrics.sequential. Two 95 % CI widths of the mean pass@k over problems:
  * sampling: replicate simulation (same problems, fresh samples; 3.92 × SD of the
    replicate means): the noise that the number of samples controls;
  * total: percentile bootstrap over problems (1000 resamples, averaged over 20
    replicates): the CI a paper reports, which also counts which problems were drawn.
r is the smallest of 2, 4, …, 1024 whose total width is within 10 % of fixed-N's at every k;
a second table gives, per k, the smallest r whose *sampling* width is within 10 %.
Bytes per sample: a samples Parquet's file size / rows if one is found, else an assumption;
time: completion tokens and tokens/s assumptions (printed).
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import time

import numpy as np
from scipy.stats import binom

from divrl.metrics.passk import pass_at_k_many
from divrl.metrics.sequential import pass_at_k_sequential_many

R_GRID = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
TOLERANCE = 1.10
BOOT_REPLICATES, BOOT_RESAMPLES = 20, 1000
# Assumptions for bytes and time at 512 × 8192 (override on the command line):
TOKENS_PER_SAMPLE = 300  # TinyZero Countdown answers are a few hundred tokens (issue 22)
TOKENS_PER_SECOND = 20000  # cluster.sample_tokens_per_second default: vLLM, 3B model, one A100
BYTES_PER_SAMPLE = 450  # ~1200 chars (300 tokens × 4 chars) at ~0.35 B/char zstd + ~30 B other columns


def synthetic_mix(problems: int, rng) -> np.ndarray:
    shares = {"half": 0.65, "moderate": 0.15, "rare": 0.12}
    counts = {name: round(share * problems) for name, share in shares.items()}
    never = problems - sum(counts.values())
    return np.concatenate([
        rng.uniform(0.2, 0.9, counts["half"]),
        10 ** rng.uniform(-2, math.log10(0.2), counts["moderate"]),
        10 ** rng.uniform(-4, -2, counts["rare"]),
        np.zeros(never),
    ])


class Sequential:
    """Exact draws of (drawn, correct) for every problem, given its rate, cap and r."""

    def __init__(self, rates, cap, r):
        self.rates, self.cap, self.r = rates, cap, r
        # given N_r > cap (fewer than r correct in the cap), the count is Binomial(cap, p) cut below r
        pmf = binom.pmf(np.arange(r)[None, :], cap, rates[:, None])
        pmf[pmf.sum(axis=1) == 0, 0] = 1.0  # p = 0, or p so high that fewer than r is never seen
        self.cdf = np.cumsum(pmf / pmf.sum(axis=1, keepdims=True), axis=1)

    def draw(self, rng):
        solvable = self.rates > 0
        stop = np.full(self.rates.shape, self.cap + 1)
        stop[solvable] = self.r + rng.negative_binomial(self.r, self.rates[solvable])  # index of r-th correct
        stopped = stop <= self.cap
        below = (rng.random(self.rates.shape)[:, None] > self.cdf).sum(axis=1)
        return np.where(stopped, stop, self.cap), np.where(stopped, self.r, np.minimum(below, self.r - 1))


def widths(estimates, boot_index):
    """estimates [replicates, P] → (sampling width, total width)."""
    sampling = 3.92 * estimates.mean(axis=1).std(ddof=1)
    boot = [np.percentile(e[boot_index].mean(axis=1), [2.5, 97.5]) for e in estimates[:BOOT_REPLICATES]]
    return sampling, float(np.mean([hi - lo for lo, hi in boot]))


def evaluate(rates, cap, ks, replicates, round_size, rng):
    p = len(rates)
    boot_index = rng.integers(0, p, size=(BOOT_RESAMPLES, p))
    fixed = np.empty((len(ks), replicates, p))
    for rep in range(replicates):
        c = rng.binomial(cap, rates)
        for i, k in enumerate(ks):
            fixed[i, rep] = pass_at_k_many(cap, c, k)
    fixed_w = [widths(fixed[i], boot_index) for i in range(len(ks))]
    rows = {}
    for r in R_GRID:
        if r > cap:
            break
        design = Sequential(rates, cap, r)
        seq = np.empty((len(ks), replicates, p))
        drawn_total = generated_total = 0
        for rep in range(replicates):
            drawn, correct = design.draw(rng)
            drawn_total += drawn.sum()
            generated_total += np.minimum(-(-drawn // round_size) * round_size, cap).sum()
            for i, k in enumerate(ks):
                seq[i, rep] = pass_at_k_sequential_many(drawn, correct, k, r)
        rows[r] = {"w": [widths(seq[i], boot_index) for i in range(len(ks))],
                   "drawn": drawn_total / replicates, "generated": generated_total / replicates}
    return fixed_w, rows


def ratio(a, b):
    return 1.0 if a == b == 0 else a / b if b else math.inf


def report(name, rates, cap, ks, args, rng):
    t0 = time.perf_counter()
    fixed_w, rows = evaluate(rates, cap, ks, args.replicates, args.round, rng)
    truth = [float(np.mean(-np.expm1(k * np.log1p(-np.minimum(rates, 1 - 1e-16))))) for k in ks]
    ok = [r for r, row in rows.items() if all(ratio(s[1], f[1]) <= TOLERANCE for s, f in zip(row["w"], fixed_w))]
    fixed_total = len(rates) * cap
    print(f"\n== {name}: {len(rates)} problems, cap {cap}, {args.replicates} replicates "
          f"({time.perf_counter() - t0:.0f} s) ==")
    print("true mean pass@k: " + ", ".join(f"k={k} {v:.3f}" for k, v in zip(ks, truth)))
    if not ok:
        print(f"no r up to {max(rows)} keeps the total CI within 10 % at every k")
        return None
    r = ok[0]
    row = rows[r]
    print(f"sequential r = {r} (smallest r with total CI width ≤ {TOLERANCE:.2f} × fixed-N at every k)")
    print(f"samples: fixed-N {fixed_total:,}; sequential {row['drawn']:,.0f} to the stop "
          f"({100 * (1 - row['drawn'] / fixed_total):.1f} % saved), {row['generated']:,.0f} generated in rounds of "
          f"{args.round} ({100 * (1 - row['generated'] / fixed_total):.1f} % saved)")
    print(f"{'k':>6} | {'total CI (bootstrap over problems)':^34} | {'sampling CI (replicates)':^34}")
    print(f"{'':>6} | {'fixed-N':>10} {'sequential':>11} {'ratio':>9} | {'fixed-N':>10} {'sequential':>11} {'ratio':>9}")
    for k, f, s in zip(ks, fixed_w, row["w"]):
        print(f"{k:>6} | {f[1]:10.4f} {s[1]:11.4f} {ratio(s[1], f[1]):9.2f} | {f[0]:10.5f} {s[0]:11.5f} {ratio(s[0], f[0]):9.2f}")
    print("per k, smallest r with the SAMPLING CI width ≤ 1.10 × fixed-N (samples saved, to the stop):")
    for i, k in enumerate(ks):
        good = [q for q, rw in rows.items() if ratio(rw["w"][i][0], fixed_w[i][0]) <= TOLERANCE]
        print(f"  k={k}: " + (f"r = {good[0]} ({100 * (1 - rows[good[0]]['drawn'] / fixed_total):.1f} % saved)"
                               if good else f"none up to r = {max(rows)}"))
    return row["drawn"] / fixed_total, row["generated"] / fixed_total


def bytes_per_sample(path):
    candidates = [path] if path else sorted(glob.glob("results/eval/**/samples/*.parquet", recursive=True))
    if not candidates:
        return None
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(candidates[0]).metadata
    chars = float(np.mean([len(t or "") for t in pq.read_table(candidates[0], columns=["text"])["text"].to_pylist()]))
    return os.path.getsize(candidates[0]) / meta.num_rows, chars, candidates[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--toy", default="results/eval/grpo/base0/seed0/countdown/metrics.json")
    ap.add_argument("--samples-parquet", default=None)
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--round", type=int, default=64, help="samples per problem per round (also the diversity prefix)")
    ap.add_argument("--tokens-per-sample", type=float, default=TOKENS_PER_SAMPLE)
    ap.add_argument("--tokens-per-second", type=float, default=TOKENS_PER_SECOND)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    cap = 8192
    saved = report("synthetic DS-Countdown-shaped mix", synthetic_mix(512, rng), cap, [1, 8, 64, 512, cap], args, rng)

    if os.path.exists(args.toy):
        metrics = json.load(open(args.toy))
        n = int(metrics["n"])
        rates = np.array([row["c"] for row in metrics["per_problem"]], dtype=float) / n
        report(f"toy ({args.toy})", rates, n, [k for k in (1, 8, 64, 512) if k < n] + [n], args, rng)
    else:
        print(f"\n(toy skipped: no {args.toy}; pass --toy PATH to a metrics.json)")

    if saved:
        drawn_share, generated_share = saved
        measured = bytes_per_sample(args.samples_parquet)
        per_sample = BYTES_PER_SAMPLE
        print("\n== at 512 problems × 8192 samples (synthetic mix) ==")
        if measured:
            print(f"measured {measured[0]:.1f} B/sample in {measured[2]} (mean completion {measured[1]:.0f} chars)"
                  + ("; too short to stand for Countdown, the assumption below is used" if measured[1] < 300 else ""))
            if measured[1] >= 300:
                per_sample = measured[0]
        print(f"bytes/sample used: {per_sample:.0f}" + ("" if per_sample != BYTES_PER_SAMPLE else
              " (assumed: ~1200-char completion, zstd ~0.35 B/char, ~30 B other columns)"))
        total = 512 * cap
        for label, share in (("to the stop", drawn_share), (f"rounds of {args.round}", generated_share)):
            kept = total * share
            hours = (total - kept) * args.tokens_per_sample / args.tokens_per_second / 3600
            print(f"  {label:>13}: {kept:,.0f} of {total:,} samples; saves {(total - kept) * per_sample / 2**30:.2f} of "
                  f"{total * per_sample / 2**30:.2f} GiB and {hours:.1f} of "
                  f"{total * args.tokens_per_sample / args.tokens_per_second / 3600:.1f} generation hours per evaluation "
                  f"({args.tokens_per_sample:g} tokens/sample at {args.tokens_per_second:g} tokens/s, assumed)")


if __name__ == "__main__":
    main()
