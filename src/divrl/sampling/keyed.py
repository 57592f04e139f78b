"""Keyed sampling: sample j of problem q depends only on (seed, q's id, j).

A shared torch generator makes a sample depend on everything drawn before it (which
problems share a batch, how many shards, the batch size). Here every random number is a
hash of (seed, problem key, sample index, position, token), and a token is drawn with
the Gumbel-max trick, argmax(logits' + Gumbel noise) ~ softmax(logits'), where logits'
are the logits after temperature, top-k and top-p. Exact ancestral sampling, but with
no random state: any split of the work into calls and jobs draws the same tokens given
the same logits.

The hash is murmur3's 32-bit finaliser on int64 tensors with every product kept below
2^63, so CPU and GPU compute the same bits. 32-bit uniforms bound the noise at ~23
nats: a token more than 23 nats below the best is never drawn (probability < 1e-10).
"""

from __future__ import annotations

import hashlib

import torch

M32 = 0xFFFFFFFF


def _mul32(h: torch.Tensor, c: int) -> torch.Tensor:
    """(h * c) mod 2^32 for h < 2^32 without int64 overflow (c split in 16-bit halves)."""
    lo = h * (c & 0xFFFF)
    hi = ((h * (c >> 16)) & 0xFFFF) << 16
    return (lo + hi) & M32


def fmix32(h: torch.Tensor) -> torch.Tensor:
    """murmur3's finaliser: a bijection of 32-bit values that mixes every bit."""
    h = h ^ (h >> 16)
    h = _mul32(h, 0x85EBCA6B)
    h = h ^ (h >> 13)
    h = _mul32(h, 0xC2B2AE35)
    return h ^ (h >> 16)


def problem_key(seed: int, key: str) -> int:
    """32 bits from (evaluation seed, problem id): stable across processes and Python versions."""
    digest = hashlib.blake2b(f"{seed}\0{key}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def row_keys(seed: int, key: str, first: int, count: int, device="cpu") -> torch.Tensor:
    """[count] int64 keys of samples first … first+count−1 of one problem."""
    idx = torch.arange(first, first + count, dtype=torch.int64, device=device)
    return fmix32(fmix32(idx) ^ problem_key(seed, key))


def rollout_rows(seed: int, step: int, keys: list[str], index: list[int], device="cpu") -> torch.Tensor:
    """[B] int64 keys of training rollout rows: row b is sample index[b] of problem keys[b]
    in the rollout of optimizer step `step` (train.coupled_sampling). "train" keeps these
    streams apart from evaluation's (same seed and problem, other numbers)."""
    pks = {k: problem_key(seed, f"train\0{step}\0{k}") for k in set(keys)}
    idx = torch.tensor(index, dtype=torch.int64, device=device)
    return fmix32(fmix32(idx) ^ torch.tensor([pks[k] for k in keys], dtype=torch.int64, device=device))


def gumbel(rows: torch.Tensor, position: int, vocab: int) -> torch.Tensor:
    """[B, V] float32 Gumbel noise for the token at `position` of each keyed row."""
    step = int(fmix32(torch.tensor([position * 0x9E3779B1 & M32], dtype=torch.int64))[0])
    tokens = fmix32(torch.arange(vocab, dtype=torch.int64, device=rows.device) ^ 0x5BD1E995)
    h = fmix32(fmix32(rows ^ step)[:, None] ^ tokens[None, :])
    u = (h.double() + 0.5) / 2.0**32
    return (-torch.log(-torch.log(u))).float()


class GumbelPick:
    """A transformers logits processor: adds each row's keyed Gumbel noise to the warped
    scores, so that greedy decoding (do_sample=False) draws the keyed sample."""

    def __init__(self, rows: torch.Tensor):
        self.rows = rows

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        rows = self.rows.to(scores.device)
        out = scores.float().clone()  # -inf (cut by top-k/top-p) stays -inf
        # the hash holds several int64 [rows, vocab] temporaries: at 1024 rows × a 152k
        # vocabulary that is ~1.2 GB each, so noise is made a block of rows at a time
        block = max(1, _MAX_ELEMENTS // max(1, scores.shape[1]))
        for a in range(0, rows.numel(), block):
            out[a : a + block] += gumbel(rows[a : a + block], input_ids.shape[1], scores.shape[1])
        return out


_MAX_ELEMENTS = 1 << 24  # per noise block: 128 MB of int64
