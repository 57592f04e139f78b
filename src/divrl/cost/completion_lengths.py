"""How long completions are, for the cost estimate: measured where the base model's samples
exist, else the config's prior, else half the limit.

sample_base runs before every training, so after it a dry run reads what the base model
actually wrote: its samples (results/eval/base/base0/<set>/samples/*.parquet, the first
MEASURED_SAMPLES rows), in tokens of the base tokenizer when it loads offline, else at
CHARS_PER_TOKEN characters a token. Before that, cluster.completion_tokens: a prior per task
with its source in the paper config.

Lengths are modelled as exponential with that mean (a long right tail, as reasoning traces
have), cut at each limit: the mean under a limit c is m·(1 − e^(−c/m)), and the longest of
n completions is about m·H_n (H_n the n-th harmonic number), at most c.
"""

from __future__ import annotations

import glob
import math
import os
from dataclasses import dataclass

MEASURED_SAMPLES = 4096  # rows read from the base model's samples (enough for a mean)
CHARS_PER_TOKEN = 4.0  # English/LaTeX text in BPE tokenizers of the Qwen/Llama families, roughly


@dataclass(frozen=True)
class Lengths:
    mean: float  # tokens, before any limit
    source: str

    def mean_under(self, limit: float) -> float:
        """Mean length of completions cut at `limit` tokens."""
        m = self.mean
        return m * (1 - math.exp(-limit / m))

    def longest_of(self, n: float, limit: float) -> float:
        """Expected longest of n completions, cut at `limit`."""
        harmonic = math.log(max(n, 1)) + 0.5772 + 1 / (2 * max(n, 1))
        return min(limit, self.mean * harmonic)


def _base_sample_files(cfg: dict) -> list[str]:
    return sorted(glob.glob(os.path.join(cfg["results"], "eval", "base", "base*", "*", "samples", "*.parquet")))


def _token_counter(cfg: dict):
    """(count, unit): the base tokenizer when it loads without the network, else characters / 4."""
    model = cfg["base"].get("model") or os.path.join(cfg["results"], "base", "base0", "model")
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model, local_files_only=True)
        return (lambda texts: sum(len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"])), "base tokenizer"
    except Exception:  # noqa: BLE001 - no tokenizer offline: fall back to characters
        return (lambda texts: sum(len(t) for t in texts) / CHARS_PER_TOKEN), f"characters / {CHARS_PER_TOKEN:g}"


def measured(cfg: dict) -> Lengths | None:
    """Mean length of the base model's sampled completions, where sample_base has written some."""
    files = _base_sample_files(cfg)
    if not files:
        return None
    import pyarrow.parquet as pq

    texts: list[str] = []
    for path in files:
        try:
            for batch in pq.ParquetFile(path).iter_batches(columns=["text"], batch_size=1024):
                texts.extend(t or "" for t in batch.column(0).to_pylist())
                if len(texts) >= MEASURED_SAMPLES:
                    break
        except OSError:  # a damaged or half-written file: the others still measure
            continue
        if len(texts) >= MEASURED_SAMPLES:
            break
    if not texts:
        return None
    count, unit = _token_counter(cfg)
    where = os.path.dirname(os.path.dirname(files[0]))
    return Lengths(max(1.0, count(texts) / len(texts)), f"measured: {len(texts)} base samples under {where}, {unit}")


def completion_lengths(cfg: dict) -> Lengths:
    """Measured, else cluster.completion_tokens, else half the training limit (an assumption)."""
    found = measured(cfg)
    if found is not None:
        return found
    prior = cfg["cluster"]["completion_tokens"]
    if prior is not None:
        return Lengths(float(prior), "prior: cluster.completion_tokens")
    half = cfg["train"]["max_completion_length"] / 2
    return Lengths(half, "assumed: half of train.max_completion_length (set cluster.completion_tokens)")
