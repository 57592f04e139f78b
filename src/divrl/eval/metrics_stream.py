"""Evaluation metrics streamed over problems: memory holds one problem's samples plus a
few numbers per problem, never all P × N completions (N = 8192 at paper scale).

`Metrics.add` takes one problem's scored samples (eval.store's columns), `Metrics.result`
forms metrics.json. Per problem the definitions are those of divrl.metrics (pass@k from
the correct count, distinct correct, embedding cosine and Spearman over the first
diversity_samples; Div-Equ, distinct answers, N-gram diversity and Self-BLEU over the first
div_equ_samples: R1-zero-Div's Table 3 computes its three diversity columns on the same
5 responses per question).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from divrl.eval import rounds
from divrl.eval.store import GREEDY, STATS
from divrl.metrics.diversity import mean_pairwise_cosine
from divrl.metrics.ngram import ngram_diversity, self_bleu
from divrl.metrics.passk import k_grid, pass_at_k_rows
from divrl.metrics.sequential import stop_index
from divrl.metrics.potential import distinct_answers, div_equ, potential_at_k
from divrl.metrics.stats import share_uncorrelated, spearman_reward_diversity


def _answer_key(key: str | None) -> str:
    """distinct_answers counts answers only: a text without one (None) is not counted."""
    if key is None:
        raise ValueError("no answer")
    return key


class Metrics:
    """Accumulates per-problem values; `embed(texts) -> [len, d]` unit vectors (torch or numpy)."""

    def __init__(self, spec, equations: Callable[[str], list[str]], embed: Callable | None):
        self.spec, self.n = spec, spec.n_samples
        # eval.sequential = r: problems stop at their r-th correct sample; every one has the prefix
        self.r, self.prefix, self.ends = getattr(spec, "sequential", 0), rounds.prefix(spec), rounds.ends(spec)
        self.m = spec.diversity_samples or self.n
        self.m_equ = min(spec.div_equ_samples, self.n)
        self.equations, self.embed = equations, embed
        self.rows: list[dict] = []
        self.greedy: list[bool] = []
        self.formatted = self.drawn = 0

    def add(self, problem: dict, cols: dict) -> None:
        """One problem (its row of the test file) and its samples' columns."""
        pid = problem["id"]
        order = sorted(range(len(cols["sample"])), key=cols["sample"].__getitem__)
        sampled = [i for i in order if cols["sample"][i] != GREEDY]
        texts = [cols["text"][i] for i in sampled]
        rewards = [float(cols["reward"][i]) for i in sampled]
        correct = [bool(cols["correct"][i]) for i in sampled]
        answers = [cols["answer"][i] for i in sampled]
        row = {"id": pid, **self._counts(pid, correct, [cols["sample"][i] for i in sampled])}
        # distinct correct answers among the samples every problem has (all n with fixed N)
        head = slice(0, self.prefix)
        ok_texts = {t.strip(): a for t, a, ok in zip(texts[head], answers[head], correct[head]) if ok}
        row.update(distinct_correct=len(ok_texts), distinct_canonical=len({a or t for t, a in ok_texts.items()}))
        stored = [cols[k][sampled[0]] for k in STATS] if "cosine" in cols else [None]
        if stored[0] is not None:  # the shard job computed them (on its GPU)
            row["cosine"], row["spearman_rho"], row["spearman_p"] = stored
        else:
            row["cosine"], (row["spearman_rho"], row["spearman_p"]) = self.embedding_stats(texts, rewards)
        row["n_solutions"] = len(problem.get("solutions", []))
        row["div_equ"] = div_equ([texts], m=self.m_equ, equations=self.equations).per_problem[0]
        heads = texts[: self.m_equ]
        row["ngram_diversity"], row["self_bleu"] = ngram_diversity(heads), self_bleu(heads)
        row["_answers"] = distinct_answers([answers], m=self.m_equ, canonical=_answer_key)
        greedy = [bool(cols["correct"][i]) for i in order if cols["sample"][i] == GREEDY]
        if greedy:
            row["greedy_correct"] = greedy[0]
            self.greedy.append(greedy[0])
        self.formatted += sum(r > 0 for r in rewards)
        self.drawn += len(sampled)
        self.rows.append(row)

    def _counts(self, pid, correct: list[bool], index: list[int]) -> dict:
        """{"c": correct count} with fixed N; {"n": N, "c": c, "drawn": …} with eval.sequential,
        (N, c) the estimator's pair (metrics/sequential.py), checked against the round schedule."""
        if index != list(range(len(index))):
            raise ValueError(f"evaluate: problem {pid} lacks samples (indices are not 0..{len(index) - 1})")
        if not self.r:
            if len(correct) != self.n:
                raise ValueError(f"evaluate: problem {pid} has {len(correct)} samples, expected n_samples={self.n}")
            return {"c": sum(correct)}
        drawn, hits = len(correct), sum(correct)
        if drawn not in self.ends:
            raise ValueError(f"evaluate: problem {pid} has {drawn} samples, not a round's end {self.ends}")
        if rounds.needs_more(hits, drawn, self.spec):
            raise ValueError(f"evaluate: problem {pid} stopped at {drawn} samples with {hits} correct "
                             f"(eval.sequential = {self.r} needs more)")
        n, c = stop_index(correct, self.r, cap=self.n)
        return {"n": n, "c": c, "drawn": drawn}

    def embed_ahead(self, text_lists: list[list[str]]) -> None:
        """Embed the heads of several problems in one call, so that a caching `embed`
        (embedding.CachedEmbedder) answers each problem's `embedding_stats` from its cache:
        one batched encoder call per chunk instead of one small call per problem."""
        heads = sorted({t.strip() for texts in text_lists for t in texts[: self.m]})
        if self.embed is not None and heads:
            self.embed(heads)

    def embedding_stats(self, texts: list[str], rewards: list[float]) -> tuple[float, tuple[float, float]]:
        """Mean pairwise cosine and Spearman(reward, diversity) over the first m samples."""
        heads = [t.strip() for t in texts[: self.m]]
        rewards = rewards[: self.m]
        if self.embed is None or not heads:
            return float("nan"), (float("nan"), float("nan"))
        uniq = sorted(set(heads))
        vecs = self.embed(uniq)
        lookup = {t: vecs[i] for i, t in enumerate(uniq)}
        cosine = mean_pairwise_cosine(Counter(heads), lookup)
        if len(heads) < 2:
            return cosine, (float("nan"), float("nan"))
        return cosine, spearman_reward_diversity(rewards, np.stack([np.asarray(lookup[t]) for t in heads]))

    def result(self) -> dict:
        if not self.rows:
            raise ValueError("evaluate: no problems in the samples")
        if self.greedy and len(self.greedy) != len(self.rows):
            raise ValueError(f"evaluate: {len(self.greedy)} of {len(self.rows)} problems have a greedy decode")
        n, rows = self.n, self.rows
        counts = np.array([r["c"] for r in rows])
        sizes = np.array([r.get("n", n) for r in rows])  # per problem: N (sequential) or n
        ks = k_grid(n)
        per_k = np.stack([pass_at_k_rows(sizes, counts, k, self.r) for k in ks])  # [K, P]
        answers = [r.pop("_answers") for r in rows]
        shares = [r["div_equ"] for r in rows if r["div_equ"] is not None]
        sampled = per_k[0] if self.r else counts / n  # pass@1 of the samples (k = 1 is first)
        pass1, extra = sampled, {}
        if self.r:
            extra.update(sequential=self.r, first_round=self.prefix, samples_drawn=self.drawn)
        if self.greedy:
            pass1 = np.array(self.greedy, dtype=np.float64)
            extra["greedy_pass1"] = float(pass1.mean())
        cosine = [r["cosine"] for r in rows]
        bleu = [r["self_bleu"] for r in rows if r["self_bleu"] is not None]  # None: a single sample
        return {
            "n": n,
            "n_problems": len(rows),
            "k": ks,
            "pass_at_k": [float(v) for v in per_k.mean(axis=1)],
            # Potential@k weighs problems by 1 − Pass@1: greedy Pass@1 as in the paper when
            # there is a greedy decode, else the sampled c/n (potential_pass1 says which)
            "potential_at_k": [float(v) for v in np.atleast_1d(potential_at_k(per_k, pass1))],
            "potential_at_k_sampled": [float(v) for v in np.atleast_1d(potential_at_k(per_k, sampled))],
            "potential_pass1": "greedy" if self.greedy else "sampled",
            **extra,
            "mean_at_1": float(sampled.mean()),
            "format_rate": self.formatted / self.drawn,
            "distinct_correct": float(np.mean([r["distinct_correct"] for r in rows])),
            "distinct_canonical": float(np.mean([r["distinct_canonical"] for r in rows])),
            "embedding_cosine": float(np.nanmean(cosine)) if not np.all(np.isnan(cosine)) else float("nan"),
            "div_equ": float(np.mean(shares)) if shares else float("nan"),  # unique / all equations (R1-zero-Div)
            "div_equ_samples": self.m_equ,
            "div_equ_no_equations": len(rows) - len(shares),  # problems left out of div_equ's mean
            # share of distinct final answers among the same samples (divrl's former "div_equ")
            "distinct_answers": float(np.mean(answers)),
            # R1-zero-Div Table 3 (metrics/ngram.py), over the div_equ_samples: its Div-N-gram is
            # 100 × ngram_diversity, its Div-Self-BLEU 100 × (1 − self_bleu)
            "ngram_diversity": float(np.mean([r["ngram_diversity"] for r in rows])),
            "self_bleu": float(np.mean(bleu)) if bleu else float("nan"),
            "spearman_share_p_gt_005": share_uncorrelated([r["spearman_p"] for r in rows]),
            "per_problem": rows,
        }
