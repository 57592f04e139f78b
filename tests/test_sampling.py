"""divrl.sampling: one interface, two backends (HF generate, vLLM).

The vLLM glue is tested against a fake `vllm` module (arguments, chunking, order);
the real engine only where vLLM imports and a GPU is present.
"""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest
import torch

from divrl.sampling import SampleSpec, sample
from divrl.sampling import hf
from divrl.sampling import vllm as vllm_backend

PROMPTS = ["3 5 7 -> 8:", "1 2 3 -> 6:", "2 4 9 -> 11:"]


# ------------------------------------------------------------------ dispatch
def test_unknown_backend_is_one_line_error_naming_the_known_ones():
    with pytest.raises(ValueError) as err:
        sample("unused", PROMPTS, SampleSpec(backend="sglang"))
    msg = str(err.value)
    assert "\n" not in msg and "'sglang'" in msg and "hf" in msg and "vllm" in msg


def test_default_backend_is_hf():
    assert SampleSpec().backend == "hf"


def test_sample_dispatches_on_backend(monkeypatch):
    calls = []
    monkeypatch.setattr(vllm_backend, "sample", lambda m, p, s, k=None: calls.append((m, p, s)) or [["x"]] * len(p))
    spec = SampleSpec(backend="vllm", n=1)
    assert sample("model", PROMPTS, spec) == [["x"]] * 3
    assert calls == [("model", PROMPTS, spec)]


def test_missing_vllm_is_one_line_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # `import vllm` raises ImportError
    with pytest.raises(ValueError) as err:
        sample("unused", PROMPTS, SampleSpec(backend="vllm"))
    assert str(err.value) == "sampling backend 'vllm' needs vLLM: pip install 'divrl[vllm]' (GPU machines)"


# ------------------------------------------------------------------ HF backend
def test_hf_backend_returns_n_strings_per_prompt_in_order(tiny_base):
    spec = SampleSpec(n=5, max_new_tokens=6, batch_size=4, seed=0)  # n > batch_size: chunked
    got = sample(str(tiny_base), PROMPTS, spec)
    assert len(got) == len(PROMPTS) and all(len(cs) == 5 and all(isinstance(c, str) for c in cs) for cs in got)
    assert sample(str(tiny_base), PROMPTS, spec) == got  # seeded


class EchoModel:
    """Stands in for the policy: every completion repeats its own prompt (HF output layout)."""

    def generate(self, input_ids, attention_mask, max_new_tokens, pad_token_id, num_return_sequences=1, **_):
        rows = []
        for ids, mask in zip(input_ids, attention_mask):
            tail = torch.full((max_new_tokens,), pad_token_id, dtype=ids.dtype)
            echo = ids[mask.bool()][:max_new_tokens]
            tail[: len(echo)] = echo
            rows.append(torch.cat([ids, tail]))
        return torch.stack(rows).repeat_interleave(num_return_sequences, dim=0)


def test_hf_backend_rows_belong_to_their_prompts(tiny_base, tiny_problems, monkeypatch):
    # the policy echoes its prompt, so each completion names the prompt it was drawn for
    _, tokenizer = hf.load_policy(str(tiny_base), "cpu", "float32")
    monkeypatch.setattr(hf, "load_policy", lambda *_: (EchoModel(), tokenizer))
    prompts = [p["prompt"] for p in tiny_problems["test"][:5]]
    for n, batch in ((3, 7), (5, 2)):  # several prompts per call; several calls per prompt
        got = sample(str(tiny_base), prompts, SampleSpec(n=n, batch_size=batch, max_new_tokens=64))
        assert got == [[p] * n for p in prompts]


# ------------------------------------------------------------------ vLLM glue (fake vllm module)
class FakeLLM:
    """Records what divrl passes; answers '<prompt>|<j>', j counting that prompt's samples."""

    instances: list[FakeLLM] = []

    def __init__(self, **kw):
        self.kw = kw
        self.calls: list[tuple[list[str], list]] = []
        self.drawn: dict[str, int] = {}
        FakeLLM.instances.append(self)

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((list(prompts), list(params)))
        results = []
        for prompt, p in zip(prompts, params):
            start = self.drawn.get(prompt, 0)
            self.drawn[prompt] = start + p.n
            outputs = [types.SimpleNamespace(text=f"{prompt}|{start + j}") for j in range(p.n)]
            results.append(types.SimpleNamespace(prompt=prompt, outputs=outputs))
        return results


@dataclasses.dataclass
class FakeSamplingParams:
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_tokens: int = 16
    seed: int | None = None


@pytest.fixture
def fake_vllm(monkeypatch):
    FakeLLM.instances = []
    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams = FakeLLM, FakeSamplingParams
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_vllm_glue_passes_engine_and_sampling_arguments(fake_vllm):
    spec = SampleSpec(
        backend="vllm", n=4, temperature=0.7, top_p=0.9, max_new_tokens=12, seed=3, dtype="bfloat16",
        tensor_parallel_size=2, gpu_memory_utilization=0.5, max_model_len=256,
    )
    sample("/models/m", PROMPTS, spec)
    (llm,) = FakeLLM.instances
    assert llm.kw == dict(
        model="/models/m", dtype="bfloat16", seed=3, tensor_parallel_size=2, gpu_memory_utilization=0.5, max_model_len=256
    )
    for _, params in llm.calls:
        for p in params:
            # top_k=-1: "off" in every vLLM release; one seeded request per sample (keyed sampling)
            assert (p.n, p.temperature, p.top_p, p.top_k, p.max_tokens) == (1, 0.7, 0.9, -1, 12)
    seeds = [p.seed for _, params in llm.calls for p in params]
    assert len(set(seeds)) == len(seeds) == 3 * 4 and all(isinstance(x, int) for x in seeds)


def test_vllm_seeds_depend_on_problem_key_and_index_only(fake_vllm):
    def seeds(prompts, keys, batch):
        FakeLLM.instances = []
        sample("m", prompts, SampleSpec(backend="vllm", n=5, batch_size=batch, seed=3), keys)
        return {(pr, p.seed) for pr_list, params in FakeLLM.instances[0].calls for pr, p in zip(pr_list, params)}

    whole = seeds(PROMPTS, ["a", "b", "c"], 7)
    assert seeds(PROMPTS[1:], ["b", "c"], 2) == {x for x in whole if x[0] != PROMPTS[0]}  # another shard, batch


def test_vllm_glue_chunks_large_n_and_keeps_prompt_order(fake_vllm):
    spec = SampleSpec(backend="vllm", n=8192, batch_size=3000)
    got = sample("m", PROMPTS, spec)
    (llm,) = FakeLLM.instances
    assert all(sum(p.n for p in params) <= 3000 for _, params in llm.calls)  # one n=1 request per sample  # bounded per engine call
    assert sum(p.n for _, params in llm.calls for p in params) == 3 * 8192
    assert [len(cs) for cs in got] == [8192] * 3
    for prompt, cs in zip(PROMPTS, got):
        assert cs == [f"{prompt}|{j}" for j in range(8192)]  # this prompt's samples, in order


def test_vllm_glue_packs_several_prompts_per_call(fake_vllm):
    got = sample("m", PROMPTS, SampleSpec(backend="vllm", n=4, batch_size=8))
    (llm,) = FakeLLM.instances
    assert [len(params) for _, params in llm.calls] == [8, 4]
    assert got == [[f"{p}|{j}" for j in range(4)] for p in PROMPTS]


def test_vllm_glue_rejects_out_of_order_results(fake_vllm, monkeypatch):
    in_order = FakeLLM.generate

    def shuffled(self, prompts, params, use_tqdm=True):
        return list(reversed(in_order(self, prompts, params, use_tqdm)))

    monkeypatch.setattr(FakeLLM, "generate", shuffled)
    with pytest.raises(ValueError, match="order"):
        sample("m", PROMPTS, SampleSpec(backend="vllm", n=2, batch_size=8))


@pytest.mark.parametrize(
    "n_prompts,n,batch,expected",
    [
        (2, 3, 10, [[(0, 3), (1, 3)]]),
        (2, 5, 4, [[(0, 4)], [(0, 1), (1, 3)], [(1, 2)]]),
        (1, 2, 0, [[(0, 1)], [(0, 1)]]),  # batch_size 0: one sequence per call, never a hang
    ],
)
def test_plan_covers_every_sample_once_within_the_cap(n_prompts, n, batch, expected):
    calls = vllm_backend.plan(n_prompts, n, batch)
    assert calls == expected
    for i in range(n_prompts):
        assert sum(k for call in calls for j, k in call if j == i) == n


# ------------------------------------------------------------------ real vLLM (GPU only)
def _vllm_and_cuda() -> bool:
    try:
        import torch
        import vllm  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(not _vllm_and_cuda(), reason="vLLM not importable")
def test_real_vllm_backend_on_a_tiny_model(tiny_problems, tmp_path):
    from divrl.models.tiny import pretrain

    # head_dim 64: vLLM's attention kernels do not take the conftest model's head_dim 8
    from divrl.settings.base_model import TinySpec
    model = tmp_path / "model"
    pretrain(tiny_problems["train"], TinySpec(hidden_size=256, num_layers=1, num_heads=4, sft_steps=5, warmup_steps=1), model)
    spec = SampleSpec(backend="vllm", n=6, batch_size=8, max_new_tokens=6, dtype="float32", gpu_memory_utilization=0.3)
    got = sample(str(model), PROMPTS, spec)
    assert [len(cs) for cs in got] == [6] * 3 and all(isinstance(c, str) for cs in got for c in cs)


# ------------------------------------------------------------------ top_k and greedy
class RecordingModel(EchoModel):
    """EchoModel that records the decoding arguments of every generate call."""

    def __init__(self):
        self.calls = []

    def generate(self, **kw):
        self.calls.append({k: kw.get(k) for k in ("do_sample", "temperature", "top_k", "top_p", "logits_processor")})
        return super().generate(**kw)


def test_hf_backend_passes_top_k_and_decodes_greedily_at_temperature_0(tiny_base, monkeypatch):
    from divrl.sampling import greedy, sample_many

    _, tokenizer = hf.load_policy(str(tiny_base), "cpu", "float32")
    model, loads = RecordingModel(), []
    monkeypatch.setattr(hf, "load_policy", lambda *a: loads.append(a) or (model, tokenizer))
    spec = SampleSpec(n=2, temperature=0.7, top_p=0.7, top_k=50, max_new_tokens=4)
    sampled, greedy_out = sample_many(str(tiny_base), PROMPTS, [spec, greedy(spec)])
    assert len(loads) == 1  # one model load for both
    assert [len(cs) for cs in sampled] == [2] * 3 and [len(g) for g in greedy_out] == [1] * 3
    # keyed sampling: generate() decodes greedily over warped scores + keyed Gumbel noise
    neutral = dict(do_sample=False, temperature=1.0, top_k=0, top_p=1.0)
    first, last = model.calls[0], model.calls[-1]
    assert {k: first[k] for k in neutral} == neutral and {k: last[k] for k in neutral} == neutral
    names = [type(p).__name__ for p in first["logits_processor"]]
    assert names == ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "GumbelPick"]
    assert first["logits_processor"][1].top_k == 50 and first["logits_processor"][2].top_p == 0.7
    assert len(last["logits_processor"]) == 0  # greedy: no noise


def test_hf_greedy_is_deterministic_on_a_real_model(tiny_base):
    from divrl.sampling import greedy

    spec = greedy(SampleSpec(n=7, max_new_tokens=6, seed=0))
    assert spec.n == 1 and spec.temperature == 0
    a = sample(str(tiny_base), PROMPTS, spec)
    b = sample(str(tiny_base), PROMPTS, SampleSpec(**{**dataclasses.asdict(spec), "seed": 99}))
    assert a == b and [len(g) for g in a] == [1] * 3


def test_vllm_glue_top_k_and_greedy_share_one_engine(fake_vllm):
    from divrl.sampling import greedy, sample_many

    spec = SampleSpec(backend="vllm", n=3, temperature=1.0, top_p=0.7, top_k=50, max_new_tokens=9)
    sampled, greedy_out = sample_many("m", PROMPTS, [spec, greedy(spec)])
    (llm,) = FakeLLM.instances  # one engine: a second would not fit on the GPU
    first, last = llm.calls[0][1][0], llm.calls[-1][1][0]
    assert (first.n, first.temperature, first.top_p, first.top_k) == (1, 1.0, 0.7, 50)  # one seeded request per sample
    assert (last.n, last.temperature, last.top_p, last.top_k, last.max_tokens) == (1, 0.0, 1.0, -1, 9)
    assert [len(cs) for cs in sampled] == [3] * 3 and [len(g) for g in greedy_out] == [1] * 3


def test_sample_many_rejects_mixed_backends():
    from divrl.sampling import sample_many

    with pytest.raises(ValueError, match="same backend"):
        sample_many("m", PROMPTS, [SampleSpec(), SampleSpec(backend="vllm")])


def test_eval_settings_reach_the_sampling_spec():
    # the difficulty filter and validation sample through sampling_of: top_k must travel
    from divrl.sampling import SampleSpec
    from divrl.settings.evaluation import EvalSpec

    got = SampleSpec.of(EvalSpec(top_k=50, top_p=0.7, temperature=1.0), n=8)
    assert (got.top_k, got.top_p, got.n) == (50, 0.7, 8)
    assert EvalSpec().top_k == 0 and SampleSpec().top_k == 0  # off by default


# ------------------------------------------------------------------ keyed sampling
def test_hf_samples_depend_on_seed_key_and_index_only(tiny_base):
    spec = SampleSpec(n=6, max_new_tokens=6, batch_size=6, seed=5)
    whole = sample(str(tiny_base), PROMPTS, spec, ["a", "b", "c"])
    # another split of prompts (a shard) and another batch size draw the same samples
    part = sample(str(tiny_base), PROMPTS[1:], dataclasses.replace(spec, batch_size=4), ["b", "c"])
    assert part == whole[1:]
    # the key, not the prompt's position, picks the randomness
    other = sample(str(tiny_base), PROMPTS, spec, ["x", "b", "c"])
    assert other[1:] == whole[1:]


def test_gumbel_keys_are_stable_and_uniform():
    from divrl.sampling.keyed import gumbel, problem_key, row_keys

    assert problem_key(1234, "q7") == problem_key(1234, "q7") != problem_key(1235, "q7")
    rows = row_keys(0, "q", 0, 4096)
    assert rows.unique().numel() == 4096 and int(rows.max()) < 2**32
    g = gumbel(rows, 10, 64)
    assert g.shape == (4096, 64) and abs(float(g.mean()) - 0.5772) < 0.01  # Euler–Mascheroni: Gumbel's mean
    # Gumbel-max draws from the softmax
    logits = torch.tensor([0.0, 1.0, 2.0])
    picks = (logits + gumbel(rows, 3, 3)).argmax(1)
    freq = torch.bincount(picks, minlength=3).float() / 4096
    assert torch.allclose(freq, logits.softmax(0), atol=0.03)


def test_keyed_noise_in_row_blocks_equals_one_block(monkeypatch):
    """Blocking bounds memory at paper-scale vocabularies; it must not change one bit."""
    import torch

    from divrl.sampling import keyed

    rows = keyed.row_keys(3, "p7", 0, 10)
    scores = torch.randn(10, 50)
    whole = keyed.GumbelPick(rows)(torch.zeros(10, 4, dtype=torch.long), scores)
    monkeypatch.setattr(keyed, "_MAX_ELEMENTS", 120)  # blocks of 2 rows
    blocked = keyed.GumbelPick(rows)(torch.zeros(10, 4, dtype=torch.long), scores)
    assert torch.equal(whole, blocked)
    assert torch.equal(whole, scores + keyed.gumbel(rows, 4, 50))
