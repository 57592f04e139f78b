"""How fast a GPU generates and trains a given model: the cost estimate's physics.

Decoding one token for each of B sequences reads every weight once (2 bytes a parameter in
bf16) plus each sequence's KV cache, and does 2·P (+ attention) FLOPs per sequence: at small B
the step is bound by memory bandwidth, at large B by compute. Each step also pays a fixed
launch/scheduling overhead that depends on the engine (vLLM with CUDA graphs, vLLM eager, HF
generate). Training costs ≈ 6·P FLOPs per token for the policy (forward + backward), 2·P more
for the recomputed forward of gradient checkpointing, and 2·P for each extra forward (the
reference model when beta > 0, old log-probs when updates are off-policy).

Peak numbers come from NVIDIA's datasheets (dense bf16, i.e. without the 2:4-sparsity
doubling the datasheets print first); the utilisation factors below are stated assumptions,
checked against published wall times in docs/cost.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Gpu:
    tflops: float  # dense bf16 tensor TFLOPS
    bandwidth_gbs: float  # memory bandwidth, GB/s
    memory_gb: float
    source: str


# Dense bf16 = the datasheet's "BF16 Tensor Core" figure without sparsity (the starred one halved).
GPUS = {
    "a100_40gb": Gpu(312, 1555, 40, "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (SXM)"),
    "a100_80gb": Gpu(312, 2039, 80, "same A100 datasheet (80GB SXM)"),
    "h100_sxm": Gpu(989, 3350, 80, "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet (H100 SXM: 1,979 with sparsity)"),
    "h200": Gpu(989, 4800, 141, "https://www.nvidia.com/en-us/data-center/h200/ (H200 SXM)"),
    "a40": Gpu(149.7, 696, 48, "https://images.nvidia.com/content/Solutions/data-center/a40/nvidia-a40-datasheet.pdf"),
    "l40s": Gpu(362, 864, 48, "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"),
    "a6000": Gpu(154.8, 768, 48, "https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf (RTX A6000: 309.7 with sparsity)"),
    "rtx4090": Gpu(165.2, 1008, 24, "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf (bf16, fp32 accumulate)"),
    # device: cpu (the toy): a rough server CPU, so a toy's estimate stays minutes, not zero
    "cpu": Gpu(1.0, 50, 64, "ours: order of magnitude of a many-core AVX-512 server"),
}

# Stated utilisation (the assumptions the estimate rests on; docs/cost.md checks them):
BANDWIDTH_USE = 0.7  # share of peak memory bandwidth a decode step achieves (weights + KV reads)
DECODE_FLOPS_USE = 0.5  # share of peak FLOPs at compute-bound (large-batch) decode and prefill
TRAIN_FLOPS_USE = 0.3  # model FLOPs utilisation of HF training under DeepSpeed ZeRO-2 (recompute counted)
# Fixed seconds per decode step on top of the roofline: kernel launches and scheduling.
# vLLM with CUDA graphs replays a step as one graph; without them (enforce_eager, the
# open-rs/DRA recipes) every layer's kernels are launched from Python, and HF generate adds
# its own per-layer Python work and pads every sequence to the longest.
STEP_OVERHEAD = {"vllm": (0.002, 0.0), "vllm_eager": (0.003, 0.0005), "hf": (0.005, 0.001)}  # (base, per layer)
VLLM_MAX_NUM_SEQS = 256  # vLLM's default max_num_seqs for offline LLM() (ours: the evaluation sets none)


@dataclass(frozen=True)
class Arch:
    params: float
    layers: int
    hidden: int
    kv_heads: int
    head_dim: int
    source: str

    @property
    def weight_bytes(self) -> float:
        return 2 * self.params  # bf16

    @property
    def kv_bytes_per_token(self) -> float:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2  # K and V, bf16

    def flops_per_token(self, context: float) -> float:
        """Forward FLOPs of one token attending to `context` earlier ones: 2·P for the matrix
        products with the weights, 4·layers·hidden·context for QKᵀ and attention × V."""
        return 2 * self.params + 4 * self.layers * self.hidden * context


# The paper models, from each hub repository's config.json (hidden_size, num_hidden_layers,
# num_key_value_heads, head_dim or hidden/heads) and its model card's parameter count.
MODELS = {
    "Qwen/Qwen2.5-3B-Instruct": Arch(3.09e9, 36, 2048, 2, 128, "huggingface.co/Qwen/Qwen2.5-3B-Instruct config.json"),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": Arch(1.78e9, 28, 1536, 2, 128, "huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B config.json (untied embeddings)"),
    "Qwen/Qwen2.5-Math-1.5B": Arch(1.54e9, 28, 1536, 2, 128, "huggingface.co/Qwen/Qwen2.5-Math-1.5B config.json"),
    "Qwen/Qwen2.5-Math-7B": Arch(7.62e9, 28, 3584, 4, 128, "huggingface.co/Qwen/Qwen2.5-Math-7B config.json"),
    "Qwen/Qwen2.5-7B": Arch(7.62e9, 28, 3584, 4, 128, "huggingface.co/Qwen/Qwen2.5-7B config.json"),
    "Qwen/Qwen3-1.7B": Arch(2.03e9, 28, 2048, 8, 128, "huggingface.co/Qwen/Qwen3-1.7B config.json"),
    "mistralai/Ministral-8B-Instruct-2410": Arch(8.02e9, 36, 4096, 8, 128, "huggingface.co/mistralai/Ministral-8B-Instruct-2410 config.json"),
}


def _from_config_json(path: Path, source: str) -> Arch:
    """An Arch from a transformers config.json (Qwen2/Llama/Mistral field names)."""
    c = json.loads(path.read_text())
    hidden, layers, vocab = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    heads = c["num_attention_heads"]
    kv, head_dim = c.get("num_key_value_heads", heads), c.get("head_dim") or hidden // heads
    inter = c.get("intermediate_size", 4 * hidden)
    # attention q,o (hidden²·2) + k,v (hidden·kv·head_dim·2) + gated MLP (3·hidden·inter) per layer
    per_layer = 2 * hidden * heads * head_dim + 2 * hidden * kv * head_dim + 3 * hidden * inter
    embeddings = vocab * hidden * (1 if c.get("tie_word_embeddings") else 2)
    return Arch(layers * per_layer + embeddings, layers, hidden, kv, head_dim, source)


def _cached_config(model: str) -> Path | None:
    """config.json of a local folder or of the Hugging Face cache, never the network."""
    if Path(model, "config.json").is_file():
        return Path(model, "config.json")
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(model, "config.json")
    except Exception:  # no huggingface_hub, or a path that is no repo id (a folder not built yet): no shape
        return None
    return Path(hit) if isinstance(hit, str) else None


def arch_of(base: dict) -> Arch:
    """The base model's shape: its config.json where it is on disk, else the table of paper
    models, else a guess from base.params_b; the toy from its own keys."""
    model = base.get("model")
    if model is None:  # the toy transformer: no GQA, a small vocabulary
        h, n = base["hidden_size"], base["num_layers"]
        return Arch(12 * n * h * h, n, h, base["num_heads"], h // base["num_heads"], "the toy (base.hidden_size, num_layers)")
    cached = _cached_config(model)
    if cached is not None:
        return _from_config_json(cached, f"{cached}")
    if model in MODELS:
        return MODELS[model]
    params = (base.get("params_b") or 1.5) * 1e9
    # ours: a Qwen2.5-like shape of that size (28 layers, GQA with 4 KV heads of 128)
    hidden = int(math.sqrt(params / (12 * 28)))
    return Arch(params, 28, hidden, 4, 128, f"guessed from base.params_b ({model}'s config.json not on disk)")


def decode_step_seconds(arch: Arch, gpu: Gpu, batch: float, context: float, engine: str) -> float:
    """One decode step of `batch` sequences at mean `context` tokens on one GPU: the slower of
    reading weights + KV cache and computing, plus the engine's fixed overhead."""
    memory = (arch.weight_bytes + batch * context * arch.kv_bytes_per_token) / (gpu.bandwidth_gbs * 1e9 * BANDWIDTH_USE)
    compute = batch * arch.flops_per_token(context) / (gpu.tflops * 1e12 * DECODE_FLOPS_USE)
    base, per_layer = STEP_OVERHEAD[engine]
    return max(memory, compute) + base + per_layer * arch.layers


def kv_capacity_sequences(arch: Arch, gpu: Gpu, memory_share: float, context: float) -> float:
    """Sequences of `context` tokens whose KV cache fits the engine's share of GPU memory."""
    free = gpu.memory_gb * 1e9 * memory_share - arch.weight_bytes
    return max(1.0, free / (arch.kv_bytes_per_token * context))


def generation_seconds(arch: Arch, gpu: Gpu, sequences: float, prompt: float, mean: float, longest: float,
                       engine: str, concurrency: float) -> float:
    """Seconds for one GPU to generate `sequences` completions of `mean` tokens on average,
    the longest `longest`, at most `concurrency` at once.

    vLLM: the bulk runs at full concurrency (sequences × mean tokens at B per step) but the
    batch cannot end before its longest completion, decoded at small batch: the larger of the
    two. HF generate pads: every sequence takes a step until the longest ends. Prefill: the
    prompts at compute-bound speed."""
    prefill = sequences * prompt * arch.flops_per_token(prompt / 2) / (gpu.tflops * 1e12 * DECODE_FLOPS_USE)
    if engine == "hf":
        waves = math.ceil(sequences / concurrency)
        per_wave = min(sequences, concurrency)
        return prefill + waves * longest * decode_step_seconds(arch, gpu, per_wave, prompt + longest / 2, engine)
    batch = min(sequences, concurrency)
    bulk = sequences * mean / batch * decode_step_seconds(arch, gpu, batch, prompt + mean / 2, engine)
    tail = longest * decode_step_seconds(arch, gpu, 1, prompt + longest / 2, engine)
    return prefill + max(bulk, tail)


def train_flops_per_token(arch: Arch, context: float, checkpointing: bool) -> float:
    """Policy FLOPs per trained token: forward + backward (3 forwards), one more with
    gradient checkpointing (the recomputed forward)."""
    return (4 if checkpointing else 3) * arch.flops_per_token(context)
