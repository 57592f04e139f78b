"""Sampling with vLLM (GPU; `pip install 'divrl[vllm]'`), for paper-scale evaluation.

Same contract as the HF backend: spec.n completions per prompt, in prompt order,
ancestral sampling with temperature, top_p and top_k from the spec (top_k 0: off);
temperature 0 is greedy decoding, which vLLM does itself at temperature 0.

Why it looks the way it does:
- The work is cut into engine calls of at most spec.batch_size sequences (a prompt
  with n > batch_size is split over several requests), so results held in memory
  stay bounded with N = 8192 samples per prompt. vLLM schedules each call itself.
- Keyed samples: every sample is its own request (n=1) with its own seed, a hash of
  (spec.seed, the prompt's key, sample index) (sampling/keyed.py), so which shard, call
  or batch drew it does not choose its random numbers. What that guarantees: the same
  sample gets the same random stream; its tokens are the same wherever the logits are
  bit-identical, which vLLM does not promise across different batch compositions
  (rarely, a near-tie then flips a token; the distribution is exact either way).
  Seeded requests take vLLM's per-request-generator path, somewhat slower than unseeded.
  Greedy requests need no seed.
- top_k=-1 means "off" in every vLLM release (recent ones also take 0; older ones
  reject 0), unlike HF where 0 is off: the spec's 0 is sent as -1.
- `LLM.generate` returns one output per request, in request order (it sorts by
  request id), each with `.outputs[j].text`.
"""

from __future__ import annotations

from tqdm import tqdm

from divrl.sampling import SampleSpec
from divrl.sampling.keyed import row_keys

INSTALL_HINT = "sampling backend 'vllm' needs vLLM: pip install 'divrl[vllm]' (GPU machines)"
TOP_K_OFF = -1


def plan(n_prompts: int, n: int, batch_size: int) -> list[list[tuple[int, int]]]:
    """Engine calls as lists of requests (prompt index, samples), prompts in order.

    Every call holds at most max(batch_size, 1) sequences; a prompt's n samples are
    split into requests of at most batch_size each.
    """
    cap = max(1, batch_size)
    calls: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    room = cap
    for i in range(n_prompts):
        left = n
        while left:
            if room == 0:
                calls.append(current)
                current, room = [], cap
            k = min(left, room)
            current.append((i, k))
            left -= k
            room -= k
    if current:
        calls.append(current)
    return calls


def _import_vllm():
    try:
        import vllm
    except ImportError as err:
        raise ValueError(INSTALL_HINT) from err
    return vllm


def load_engine(model_dir: str, spec: SampleSpec):
    vllm = _import_vllm()
    return vllm, vllm.LLM(
        model=str(model_dir),
        dtype=spec.dtype,
        seed=spec.seed,
        tensor_parallel_size=spec.tensor_parallel_size,
        gpu_memory_utilization=spec.gpu_memory_utilization,
        max_model_len=spec.max_model_len,
    )


def params_of(vllm, spec: SampleSpec, k: int, seed: int | None = None):
    """SamplingParams for one request of k samples (greedy: temperature 0, vLLM's own)."""
    return vllm.SamplingParams(
        n=k, temperature=spec.temperature, top_p=spec.top_p, top_k=spec.top_k or TOP_K_OFF, max_tokens=spec.max_new_tokens,
        seed=seed,
    )


def requests_of(vllm, spec: SampleSpec, call: list[tuple[int, int]], drawn: list[int], keys: list[str]) -> list[tuple[int, object]]:
    """(prompt index, SamplingParams) per request of one call: one seeded n=1 request per
    sample, or one request per prompt when greedy (no randomness to key)."""
    if spec.temperature == 0:
        return [(i, params_of(vllm, spec, k)) for i, k in call]
    out = []
    for i, k in call:
        seeds = row_keys(spec.seed, keys[i], drawn[i], k).tolist()
        out.extend((i, params_of(vllm, spec, 1, s)) for s in seeds)
        drawn[i] += k
    return out


def sample(model_dir: str, prompts: list[str], spec: SampleSpec, keys: list[str] | None = None) -> list[list[str]]:
    """spec.n completions for every prompt, in prompt order."""
    return sample_many(model_dir, prompts, [spec], keys)[0]


def sample_many(model_dir: str, prompts: list[str], specs: list[SampleSpec], keys: list[str] | None = None) -> list[list[list[str]]]:
    """`sample` for each spec from one engine (the first spec's engine settings)."""
    return sampler(model_dir, specs)(prompts, keys)


def sampler(model_dir: str, specs: list[SampleSpec]):
    """Start one engine, then `fn(prompts, keys=None, specs=specs)` -> one result per spec."""
    vllm, llm = load_engine(model_dir, specs[0])
    return lambda prompts, keys=None, specs=specs: [_generate(vllm, llm, prompts, s, keys or prompts) for s in specs]


def _generate(vllm, llm, prompts: list[str], spec: SampleSpec, keys: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in prompts]
    drawn = [spec.first] * len(prompts)  # the next sample index of each prompt (its seeds' key)
    desc = "greedy (vllm)" if spec.temperature == 0 else "sample (vllm)"
    bar = tqdm(total=len(prompts) * spec.n, desc=desc, unit="seq", mininterval=2)
    for call in plan(len(prompts), spec.n, spec.batch_size):
        requests = requests_of(vllm, spec, call, drawn, keys)
        results = llm.generate([prompts[i] for i, _ in requests], [p for _, p in requests], use_tqdm=False)
        if len(results) != len(requests):
            raise ValueError(f"vLLM returned {len(results)} outputs for {len(requests)} requests")
        for (i, params), result in zip(requests, results):
            k = params.n
            if getattr(result, "prompt", None) not in (None, prompts[i]):
                raise ValueError(f"vLLM returned outputs out of prompt order (request for prompt {i})")
            texts = [c.text for c in result.outputs]
            if len(texts) != k:
                raise ValueError(f"vLLM returned {len(texts)} completions for a request of n={k}")
            out[i].extend(texts)
        bar.update(sum(k for _, k in call))
    bar.close()
    return out
