"""Evaluation's CPU fast path (sampling/hf.py → sampling/rollout.py) draws exactly the keyed samples
that generate() + GumbelPick draws: same keys, same positions, same tokens."""

import pytest

import divrl.sampling.hf as hf
from divrl.sampling import SampleSpec


@pytest.mark.parametrize("temperature, top_k, top_p", [(1.0, 0, 1.0), (0.7, 5, 0.9), (0.0, 0, 1.0)])
def test_fast_path_draws_what_generate_draws(tiny_base, tiny_problems, monkeypatch, temperature, top_k, top_p):
    problems = tiny_problems["test"][:6]
    prompts, keys = [p["prompt"] for p in problems], [p["id"] for p in problems]
    spec = SampleSpec(n=24, batch_size=10, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=16)
    model, tokenizer = hf.load_policy(str(tiny_base), "cpu", "float32")
    assert hf._fast_path(model, spec)
    fast = hf._generate(model, tokenizer, prompts, spec, keys)
    monkeypatch.setattr(hf, "_fast_path", lambda *_: False)
    slow = hf._generate(model, tokenizer, prompts, spec, keys)
    assert fast == slow
    distinct = {s for row in fast for s in row}
    if temperature == 0:  # greedy: one decode per prompt, repeated
        assert all(len(set(row)) == 1 for row in fast) and len(distinct) > 1
    else:
        assert len(distinct) > 6  # really sampled, not one string
