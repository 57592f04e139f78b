"""The real evaluation path on synthetic completions (eval_scale.py --only real).

Per problem, as a shard job and its merge do: N synthetic completions of about --chars
characters (words, numbers and a final answer: a correct one in several equivalent
forms, wrong ones, some without an answer), scored by the task (reward + answer keys,
divrl.eval.evaluate.score_problem), written as one row group of the Parquet shard; then the
file read back problem by problem into every metric (divrl.eval.metrics_stream, MiniLM
embeddings of the first --diversity-samples). Generation of the synthetic text is timed
apart: it stands for the GPU's work.
"""

from __future__ import annotations

import random
import resource
import tempfile
import time
from pathlib import Path

from divrl.eval import store
from divrl.eval.metrics_stream import Metrics
from divrl.eval.evaluate import EvalSpec, score_problem
from divrl.tasks.registry import get

WORDS = ("so we need to reach the target with each number once try subtract add multiply divide "
         "that gives which is too large small close not equal let me check again maybe instead").split()
FULL = (500, 8192)  # the DS paper's scale (problems × samples) the extrapolation is for


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss: KiB on Linux


def problem_of(task: str, q: int, rng: random.Random) -> dict:
    a, b, c = rng.randint(1, 50), rng.randint(1, 50), rng.randint(1, 20)
    if task == "math":
        return {"id": f"m{q}", "prompt": "", "task": "math", "answer": str(a * b - c)}
    return {"id": f"c{q}", "prompt": "", "task": "countdown_tinyzero", "numbers": [a, b, c], "target": a + b - c}


def completion(task: str, p: dict, chars: int, rng: random.Random, rate: float) -> str:
    """About `chars` characters of reasoning, then an answer: right (one of several forms), wrong or none."""
    think = []
    size = 0
    while size < chars:
        w = rng.choice(WORDS) if rng.random() < 0.8 else str(rng.randint(1, 999))
        think.append(w)
        size += len(w) + 1
    body = " ".join(think)
    u = rng.random()
    if task == "math":
        ans = p["answer"] if u < rate else str(rng.randint(-99, 999))
        return f"{body}\n</think>\n\\boxed{{{ans}}}" if u < 0.95 else body
    a, b, c = p["numbers"]
    right = [f"{a} + {b} - {c}", f"{b} + {a} - {c}", f"({a} + {b}) - {c}", f"{a} - {c} + {b}"]
    ans = rng.choice(right) if u < rate else f"{a} * {b} - {c}" if u < 0.9 else f"{a} + {b} + {c}"
    return f"{body} </think>\n<answer>{ans}</answer>" if u < 0.95 else body


def run(args) -> dict:
    p_count, n = args.problems, args.samples
    spec = EvalSpec(n_samples=n, diversity_samples=args.diversity_samples, div_equ_samples=16)
    task = get(args.task)
    rng = random.Random(0)
    out = Path(args.out or tempfile.mkdtemp()) / "0-of-1.parquet"
    emb_name = f"embeddings, first {args.diversity_samples} per problem (shard job: GPU there, CPU here)"
    t = {"synthetic completions (stands for sampling)": 0.0, "scoring (reward + answer keys)": 0.0, emb_name: 0.0}
    embed = None
    if args.diversity_samples:
        from divrl.models import embedding

        embedding.embed(["warm up"])  # the encoder's load is a constant, not per sample
        embed = embedding.embed
    stats = Metrics(spec, task.equations_of, embed).embedding_stats
    rss: dict[str, float] = {"imports": rss_gb()}
    problems = [problem_of(args.task, q, rng) for q in range(p_count)]

    def tables():
        for q, p in enumerate(problems):
            t0 = time.perf_counter()
            rate = rng.betavariate(0.3, 0.7)
            texts = [completion(args.task, p, args.chars, rng, rate) for _ in range(n)]
            t1 = time.perf_counter()
            scored = score_problem(task, p, texts, min(16, n))
            t2 = time.perf_counter()
            cos, (rho, pval) = stats(texts, scored[0])
            t["synthetic completions (stands for sampling)"] += t1 - t0
            t["scoring (reward + answer keys)"] += t2 - t1
            t[emb_name] += time.perf_counter() - t2
            yield store.table_of(q, p["id"], texts, *scored, stats=(cos, rho, pval))

    t0 = time.perf_counter()
    store.write(out, tables(), {"benchmark": True})
    t["write Parquet (zstd)"] = time.perf_counter() - t0 - sum(t.values())
    rss["generate + score + write"] = rss_gb()

    acc = Metrics(spec, task.equations_of, None)  # the merge: embedding metrics come from the shard
    t0 = time.perf_counter()
    for q, (_, _, cols) in enumerate(store.problems([out])):
        acc.add(problems[q], cols)
    metrics = acc.result()
    t["read + every metric (merge job, streamed)"] = time.perf_counter() - t0
    rss["read + metrics"] = rss_gb()

    samples = p_count * n
    scale = FULL[0] * FULL[1] / samples
    scale_emb = FULL[0] / p_count  # embeddings grow with problems only (a fixed number per problem)
    size = out.stat().st_size
    print(f"real path: {args.task}, {p_count} problems × {n} samples × ~{args.chars} chars, measured on this machine")
    width = max(map(len, t))
    print(f"  {'stage':<{width}}  {'seconds':>9}  {'µs/sample':>9}  {'at 500 × 8192 (extrapolated)':>30}")
    goal = 0.0
    for name, sec in t.items():
        factor = scale_emb if name.startswith("embeddings") else scale
        full = sec * factor
        if name.startswith(("scoring", "read")):
            goal += full
        print(f"  {name:<{width}}  {sec:9.2f}  {1e6 * sec / samples:9.1f}  {full / 60:26.1f} min")
    print(f"  scoring + metrics (CPU) at 500 × 8192, extrapolated: {goal / 60:.1f} min (goal ≤ 10 min on 2 cores)")
    print(f"  Parquet: {size / 2**20:.1f} MiB, {size / samples:.1f} bytes/sample "
          f"(raw text {args.chars} chars); at 500 × 8192: {size * scale / 2**30:.2f} GiB per evaluation")
    print("  peak RSS (GB, process so far): " + ", ".join(f"{k} {v:.2f}" for k, v in rss.items()))
    print(f"  pass@1 {metrics['pass_at_k'][0]:.3f}, distinct canonical {metrics['distinct_canonical']:.2f}, "
          f"div_equ {metrics['div_equ']:.3f}")
    return {"seconds": t, "rss_gb": rss, "bytes_per_sample": size / samples}
