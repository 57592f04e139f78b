"""`eval`: sampling-based evaluation on the test problems (and the difficulty filter's sampling)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from divrl.settings.model import neutral, settings
from divrl.settings.placement import Placement


@settings
class EvalCore:
    """Every eval key but `threads` (which travels as --threads, so it reruns nothing)."""

    n_samples: int = Field(128, ge=1, description="Samples per problem (N); pass@k for k = 1, 2, 4, … N.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus threshold (1 = off).")
    top_k: int = Field(0, ge=0, description="Keep the k most likely tokens (0 = off; DS Countdown evaluates with 50). Also used by the difficulty filter.")
    greedy: bool = Field(True, description="One greedy decode per problem as well: greedy Pass@1 (R1-zero-Div's accuracy) and Potential@k from it (off: Potential@k uses the sampled pass@1).")
    max_new_tokens: int = Field(16, ge=1, description="Max tokens per completion.")
    sequential: int = Field(0, ge=0, description="Sequential evaluation: sample each problem in rounds and stop once it has this many correct samples (r; 0 = off: every problem gets n_samples, the cap). pass@k stays unbiased (inverse binomial sampling: divrl.metrics.sequential; docs/statistics.md); a problem solved half the time stops after ~2r samples instead of n_samples. Diversity metrics read the first_round prefix every problem gets.")
    first_round: int = Field(64, ge=1, description="With eval.sequential: samples every problem gets first (at least diversity_samples and div_equ_samples; distinct correct answers are counted among them); later rounds double what a problem has drawn, up to n_samples.")
    batch_size: int = neutral(1024, ge=1, description="Sequences per generate call.")
    seed: int = Field(1234, ge=0, description="Sampling seed (same for every model).")
    diversity_samples: int = Field(16, ge=0, description="Samples per problem in the embedding metrics (cosine, Spearman) (0 = all).")
    div_equ_samples: int = Field(16, ge=1, description="Samples per problem for Div-Equ, unique / all equations in them (R1-zero-Div uses 16), for distinct_answers, and for N-gram diversity and Self-BLEU (R1-zero-Div Table 3 uses 5).")
    embedding_model: str = Field("minilm", description="Sentence encoder for the diversity metric.")
    backend: Literal["hf", "vllm"] = Field("hf", description="Sampling backend: HF generate (CPU/GPU) or vLLM (GPU; needed for N in the thousands).")
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallelism (GPUs per evaluation job).")
    gpu_memory_utilization: float = neutral(0.9, gt=0, le=1, description="vLLM GPU memory share.")
    max_model_len: Optional[int] = Field(None, ge=1, description="vLLM context length (null: the model's).")
    shards: int = neutral(1, ge=1, description="Jobs per evaluation (and sample_base): S > 1 splits the test problems into S contiguous chunks, each its own GPU job writing samples/I-of-S.parquet, plus one CPU job merging them into metrics.json. Samples are keyed by (seed, problem id, sample index), so S changes no number.")
    chunk_problems: int = neutral(16, ge=1, description="Problems per saved part within a shard job: a killed or preempted job resumes at the first part not yet written.")


@settings
class Eval(EvalCore):
    threads: int = neutral(1, "CPU threads per evaluation job.", argument=True, ge=1)


@settings
class EvalSpec(EvalCore, Placement):
    """What an evaluation job gets (`divrl evaluate --params`): the eval section with device and dtype."""


# keys a test set may set for itself (datasets.test.NAME.eval), replacing the eval section's
PER_TEST_SET = ("n_samples", "temperature", "top_p", "top_k", "greedy", "max_new_tokens", "div_equ_samples", "diversity_samples")
