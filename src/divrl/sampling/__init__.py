"""Sampling backends behind one interface: `sample(model_dir, prompts, spec) -> [[str]]`.

Evaluation draws N completions per prompt (N up to 8192 for pass@k curves). On a CPU
or a single small GPU the Hugging Face `generate` backend does; at paper scale vLLM
is one to two orders of magnitude faster. Both take the same `SampleSpec` and return
spec.n strings per prompt, in prompt order, so metrics never know which one ran.
Backends are imported only when chosen: vLLM is an optional, GPU-only dependency.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass

from divrl.settings.evaluation import EvalSpec

# backend name -> module with `sample(model_dir, prompts, spec)`
BACKENDS = {"hf": "divrl.sampling.hf", "vllm": "divrl.sampling.vllm"}


# Defaults are the eval section's (settings.evaluation): a SampleSpec built by hand samples
# like an evaluation unless told otherwise. `of(spec)` builds one from an eval spec.
_EVAL = EvalSpec()


@dataclass(frozen=True)
class SampleSpec:
    n: int = _EVAL.n_samples  # samples per prompt
    temperature: float = _EVAL.temperature  # 0: greedy decoding (argmax; top_p, top_k and seed unused)
    top_p: float = _EVAL.top_p
    top_k: int = _EVAL.top_k  # keep the k most likely tokens; 0: off (pure ancestral sampling)
    max_new_tokens: int = _EVAL.max_new_tokens
    # Sequences per generate call. HF: one padded batch (bounds activation memory).
    # vLLM: one engine call, which schedules internally; it bounds the finished results
    # held at once, so it can be far larger (e.g. 16384).
    batch_size: int = _EVAL.batch_size
    seed: int = _EVAL.seed
    # index of the first sample: a call draws samples first … first+n−1 of each prompt (the
    # rounds of sequential evaluation continue where the last one stopped; keys stay the same)
    first: int = 0
    device: str = _EVAL.device  # HF only; vLLM always runs on the GPU(s)
    dtype: str = _EVAL.dtype
    backend: str = _EVAL.backend  # one of BACKENDS
    # vLLM engine knobs (ignored by HF)
    tensor_parallel_size: int = _EVAL.tensor_parallel_size  # GPUs one model is split over
    gpu_memory_utilization: float = _EVAL.gpu_memory_utilization  # share of GPU memory for weights + KV cache
    max_model_len: int | None = _EVAL.max_model_len  # prompt + completion tokens; None: the model config's

    @classmethod
    def of(cls, spec: EvalSpec, n: int | None = None) -> SampleSpec:
        """The sampling part of an eval spec (evaluation, the difficulty filter): every key the
        two share, by name, so a new sampling key cannot be left out; n defaults to n_samples."""
        shared = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(spec)}
        return cls(n=n or spec.n_samples, **{k: getattr(spec, k) for k in sorted(shared)})


def greedy(spec: SampleSpec) -> SampleSpec:
    """One greedy completion per prompt with spec's length, batching and engine."""
    return dataclasses.replace(spec, n=1, temperature=0.0, top_p=1.0, top_k=0)


def _backend(spec: SampleSpec):
    if spec.backend not in BACKENDS:
        raise ValueError(f"unknown sampling backend {spec.backend!r}; known: {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[spec.backend])


def sample(model_dir: str, prompts: list[str], spec: SampleSpec, keys: list[str] | None = None) -> list[list[str]]:
    """spec.n completions for every prompt, in prompt order, from the chosen backend."""
    return _backend(spec).sample(model_dir, prompts, spec, keys)


def sample_many(model_dir: str, prompts: list[str], specs: list[SampleSpec], keys: list[str] | None = None) -> list[list[list[str]]]:
    """One `sample` result per spec, the model loaded once (a second vLLM engine would not
    fit beside the first on the GPU). Engine settings (backend, dtype, device, vLLM knobs,
    engine seed) are the first spec's.

    keys: one per prompt (evaluation passes problem ids; default: the prompts). Sample j
    of a prompt is drawn from randomness keyed by (spec.seed, its key, j) alone, so
    splitting prompts over calls or jobs changes no sample (sampling/keyed.py).
    """
    if len({s.backend for s in specs}) > 1:
        raise ValueError("sample_many: every spec must name the same backend")
    if keys is not None and len(keys) != len(prompts):
        raise ValueError(f"sample_many: {len(keys)} keys for {len(prompts)} prompts")
    return _backend(specs[0]).sample_many(model_dir, prompts, specs, keys)


def sampler(model_dir: str, specs: list[SampleSpec]):
    """The model loaded once; returns `fn(prompts, keys=None, specs=specs)` -> `sample_many`'s
    result. Evaluation samples a shard chunk by chunk with it (each chunk saved as it finishes),
    and sequential evaluation round by round (other n and first; engine settings stay the first's)."""
    if len({s.backend for s in specs}) > 1:
        raise ValueError("sampler: every spec must name the same backend")
    return _backend(specs[0]).sampler(model_dir, specs)


__all__ = ["BACKENDS", "SampleSpec", "greedy", "sample", "sample_many", "sampler"]
