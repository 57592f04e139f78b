"""Time evaluation at the DS paper's scale: 500 problems × 8192 samples.

    python benchmarks/eval_scale.py [--problems 500] [--samples 8192] [--seeds 3] [--only counts|real]
        [--task countdown_tinyzero|math] [--chars 2000] [--diversity-samples 64]

`real` (eval_real.py): the path a shard and its merge take on synthetic completions of
realistic length: scoring (reward + answer keys), writing the Parquet shard, reading it
back and every metric streamed per problem (embeddings of the first diversity samples
included), with seconds, bytes per sample and peak RSS per stage, plus a linear
extrapolation to 500 × 8192 when run smaller (the CPU here is shared: measure small).

`counts`: builds synthetic correctness data per seed (a [P, N] boolean matrix drawn from a
per-problem success rate, reduced to correct counts and pass@1 = c/N), then times:
pass@k on the log grid k = 1..N (`pass_at_k_many`), Potential@k on that grid and at
every k = 1..N, mean ± std over seeds, and a 2000-resample bootstrap CI of pass@k at
k = 1, 64, N over [S, P]. Prints seconds per metric, the total and peak memory
(tracemalloc: Python/numpy allocations; ru_maxrss: the whole process).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from divrl.metrics.passk import k_grid, pass_at_k_many
from divrl.metrics.potential import mean_at_k, potential_at_k
from divrl.metrics.stats import bootstrap_ci, seed_summary


def synthetic(p: int, n: int, seed: int) -> np.ndarray:
    """[P, N] correctness: per-problem rates from Beta(0.3, 0.7), many near 0 or 1 as in RL evals."""
    rng = np.random.default_rng(seed)
    rate = rng.beta(0.3, 0.7, size=p)
    return rng.random((p, n), dtype=np.float32) < rate[:, None].astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=500)
    ap.add_argument("--samples", type=int, default=8192)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--only", choices=["counts", "real"], default=None, help="one part only (default: both)")
    ap.add_argument("--task", choices=["countdown_tinyzero", "math"], default="countdown_tinyzero")
    ap.add_argument("--chars", type=int, default=2000, help="characters per synthetic completion (~4 per token)")
    ap.add_argument("--diversity-samples", type=int, default=64, help="samples per problem embedded (0: no embeddings)")
    ap.add_argument("--out", default=None, help="where the real path writes its Parquet file (default: a temp dir)")
    args = ap.parse_args()
    if args.only != "counts":
        from eval_real import run

        run(args)
    if args.only != "real":
        counts_part(args)


def counts_part(args) -> None:
    n, seeds = args.samples, range(args.seeds)
    times: dict[str, float] = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        times[name] = time.perf_counter() - t0
        return out

    tracemalloc.start()
    counts = timed("build data (bool [P, N] per seed → counts)", lambda: np.stack([synthetic(args.problems, n, s).sum(1) for s in seeds]))
    ks = k_grid(n)
    pass1 = timed("pass@1 = mean@1 per problem", lambda: np.stack([mean_at_k(c, n, 1) for c in counts]))
    passk = timed(f"pass@k, log grid ({len(ks)} k) × seeds", lambda: np.stack([np.stack([pass_at_k_many(n, c, k) for k in ks]) for c in counts]))  # [S, K, P]
    pot = timed("Potential@k, log grid × seeds", lambda: np.stack([potential_at_k(passk[s], pass1[s]) for s in seeds]))  # [S, K]
    dense = timed(f"Potential@k, every k = 1..{n} (seed 0)", lambda: potential_at_k(np.stack([pass_at_k_many(n, counts[0], k) for k in range(1, n + 1)]), pass1[0]))
    summary = timed("seed summary (pass@k and Potential@k curves)", lambda: (seed_summary(passk.mean(axis=2)), seed_summary(pot)))
    boot_ks = [k for k in (1, 64, n) if k in ks]
    cis = timed(f"bootstrap CI, {args.n_boot} resamples, pass@k at k={boot_ks}",
                lambda: {k: bootstrap_ci(passk[:, ks.index(k)], n_boot=args.n_boot) for k in boot_ks})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"{args.problems} problems × {n} samples × {args.seeds} seeds")
    width = max(map(len, times))
    for name, sec in times.items():
        print(f"  {name:<{width}}  {sec:8.3f} s")
    total = sum(times.values())
    print(f"  {'total':<{width}}  {total:8.3f} s   (metrics only: {total - next(iter(times.values())):.3f} s)")
    print(f"peak traced memory {peak / 2**20:.1f} MiB; process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")
    mean, std = summary[0]["mean"], summary[0]["std"]
    print("pass@k  " + "  ".join(f"k={k}: {m:.3f}±{s:.3f}" for k, m, s in zip(ks, mean, std) if k in boot_ks))
    print("CI      " + "  ".join(f"k={k}: [{lo:.3f}, {hi:.3f}]" for k, (lo, hi) in cis.items()))
    pm = summary[1]["mean"]
    print("Pot@k   " + "  ".join(f"k={k}: {v:.3f}" for k, v in zip(ks, pm) if k in boot_ks) + f"   (dense curve: {dense.shape[0]} k)")


if __name__ == "__main__":
    main()
