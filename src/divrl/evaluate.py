"""Evaluate a policy: N samples per test problem, then pass@k and diversity metrics.

Writes `samples.jsonl` (every completion with its reward, so any metric can be
recomputed later) and `metrics.json` (aggregates plus per-problem values).
With `greedy` (default) one greedy decode per problem is added: R1-zero-Div reports
greedy Pass@1 and forms Potential@k from it.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from divrl import embedding
from divrl.metrics.diversity import distinct_correct, mean_pairwise_cosine
from divrl.metrics.passk import k_grid, pass_at_k_many
from divrl.metrics.potential import distinct_answers, div_equ, potential_at_k
from divrl.metrics.stats import share_uncorrelated, spearman_reward_diversity
from divrl.sampling import SampleSpec, greedy as greedy_of, sample_many
from divrl.tasks.problems import task_of
from divrl.tasks.registry import CORRECT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalSpec:
    n_samples: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0  # 0: off (DS Countdown evaluates with top-k 50)
    greedy: bool = True  # one greedy decode per problem: greedy Pass@1, Potential@k
    max_new_tokens: int = 16
    batch_size: int = 1024
    seed: int = 1234
    diversity_samples: int = 64  # samples per problem for the embedding metrics (0: all)
    div_equ_samples: int = 16  # R1-zero-Div's Div-Equ uses 16 samples per prompt
    embedding_model: str = "minilm"
    backend: str = "hf"  # "vllm" at paper scale (N in the thousands)
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None
    device: str = "cpu"
    dtype: str = "float32"


def score(problems: list[dict], completions: list[list[str]], spec: EvalSpec,
          greedy: list[str] | None = None) -> tuple[dict, list[list[float]]]:
    """Metrics from sampled completions and, if given, one greedy completion per problem
    (no model needed: testable on fixed text)."""
    n = spec.n_samples
    task = task_of(problems)
    rewards = [[task.reward(c, p) for c in cs] for p, cs in zip(problems, completions)]
    correct = [[r == CORRECT for r in rs] for rs in rewards]
    # each problem's answer key per text, computed once (distinct correct and distinct answers)
    keys = [{t: task.canonical(t, p) for t in set(cs)} for p, cs in zip(problems, completions)]
    counts = np.array([sum(ok) for ok in correct])
    ks = k_grid(n)
    per_k = np.stack([pass_at_k_many(n, counts, k) for k in ks])  # [K, P]
    distinct = [distinct_correct(cs, ok, lambda t, k=k: k.get(t)) for cs, ok, k in zip(completions, correct, keys)]

    # Embedding metrics use the first m samples of each problem: the mean pairwise cosine
    # (each distinct text embedded once) and DRA's Spearman(reward, diversity) per prompt.
    m = spec.diversity_samples or n
    heads = [[c.strip() for c in cs[:m]] for cs in completions]
    texts = sorted(set().union(*heads))
    vecs = embedding.embed(texts, spec.embedding_model, spec.device) if texts else None
    lookup = {t: vecs[i] for i, t in enumerate(texts)}
    cosine = [mean_pairwise_cosine(Counter(h), lookup) for h in heads]
    spearman = [
        spearman_reward_diversity(rs[:m], np.stack([lookup[t].numpy() for t in h])) if len(h) > 1 else (np.nan, np.nan)
        for rs, h in zip(rewards, heads)
    ]

    per_problem = [
        {"id": p["id"], "c": int(c), "distinct_correct": d[0], "distinct_canonical": d[1], "cosine": cos,
         "spearman_rho": rho, "spearman_p": pval, "n_solutions": len(p.get("solutions", []))}
        for p, c, d, cos, (rho, pval) in zip(problems, counts, distinct, cosine, spearman)
    ]
    m_equ = min(spec.div_equ_samples, n)
    equ = div_equ(completions, m=m_equ, equations=task.equations_of)
    for row, share in zip(per_problem, equ.per_problem):
        row["div_equ"] = share  # None: no equation in the first m samples
    pass1 = counts / n  # sampled Pass@1 (mean of n), the fallback without a greedy decode
    extra = {}
    if greedy is not None:
        hits = np.array([task.reward(g, p) == CORRECT for p, g in zip(problems, greedy)])
        for row, ok in zip(per_problem, hits):
            row["greedy_correct"] = bool(ok)
        pass1 = hits.astype(np.float64)
        extra["greedy_pass1"] = float(hits.mean())
    return {
        "n": n,
        "n_problems": len(problems),
        "k": ks,
        "pass_at_k": [float(v) for v in per_k.mean(axis=1)],
        # Potential@k weighs problems by 1 − Pass@1: greedy Pass@1 as in the paper when
        # there is a greedy decode, else the sampled c/n (potential_pass1 says which)
        "potential_at_k": [float(v) for v in np.atleast_1d(potential_at_k(per_k, pass1))],
        "potential_at_k_sampled": [float(v) for v in np.atleast_1d(potential_at_k(per_k, counts / n))],
        "potential_pass1": "greedy" if greedy is not None else "sampled",
        **extra,
        "mean_at_1": float(counts.mean() / n),
        "format_rate": float(np.mean([[r > 0 for r in rs] for rs in rewards])),
        "distinct_correct": float(np.mean([d[0] for d in distinct])),
        "distinct_canonical": float(np.mean([d[1] for d in distinct])),
        "embedding_cosine": float(np.nanmean(cosine)),
        "div_equ": equ.value,  # unique / all equations (R1-zero-Div); NaN if no problem has one
        "div_equ_samples": m_equ,
        "div_equ_no_equations": equ.no_equations,  # problems left out of div_equ's mean
        # share of distinct final answers among the same samples (divrl's former "div_equ")
        "distinct_answers": distinct_answers([[k[t] for t in cs] for cs, k in zip(completions, keys)], m=m_equ, canonical=_answer_key),
        "spearman_share_p_gt_005": share_uncorrelated([p for _, p in spearman]),
        "per_problem": per_problem,
    }, rewards


def sampling_of(spec: EvalSpec, n: int | None = None) -> SampleSpec:
    """The sampling part of an evaluation spec (also used by the difficulty filter)."""
    return SampleSpec(
        n=n or spec.n_samples, temperature=spec.temperature, top_p=spec.top_p, top_k=spec.top_k,
        max_new_tokens=spec.max_new_tokens,
        batch_size=spec.batch_size, seed=spec.seed, device=spec.device, dtype=spec.dtype, backend=spec.backend,
        tensor_parallel_size=spec.tensor_parallel_size, gpu_memory_utilization=spec.gpu_memory_utilization,
        max_model_len=spec.max_model_len,
    )


def _answer_key(key: str | None) -> str:
    """distinct_answers counts answers only: a text without one (None) is not counted."""
    if key is None:
        raise ValueError("no answer")
    return key


def evaluate(model_dir: str, problems: list[dict], spec: EvalSpec, out_dir: str | Path) -> dict:
    t0 = time.time()
    sample_spec = sampling_of(spec)
    specs = [sample_spec, greedy_of(sample_spec)] if spec.greedy else [sample_spec]
    # one model load for both (a second vLLM engine would not fit beside the first)
    completions, *rest = sample_many(model_dir, [p["prompt"] for p in problems], specs)
    greedy = [g[0] for g in rest[0]] if rest else None
    t_sample = time.time() - t0
    metrics, rewards = score(problems, completions, spec, greedy)
    metrics.update(model=str(model_dir), spec=asdict(spec), seconds_sampling=t_sample, seconds=time.time() - t0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "samples.jsonl", "w") as fh:
        for i, (p, cs, rs) in enumerate(zip(problems, completions, rewards)):
            row = {"id": p["id"], "completions": cs, "rewards": rs}
            if greedy is not None:
                row["greedy"] = greedy[i]
            fh.write(json.dumps(row) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    head = ", ".join(f"pass@{k}={v:.3f}" for k, v in zip(metrics["k"], metrics["pass_at_k"]) if k in (1, 8, 64, metrics["n"]))
    greedy_note = f"; greedy pass@1={metrics['greedy_pass1']:.3f}" if "greedy_pass1" in metrics else ""
    log.info("%s: %s%s; distinct correct %.2f; %.0fs", model_dir, head, greedy_note, metrics["distinct_correct"], metrics["seconds"])
    return metrics
