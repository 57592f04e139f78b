"""sampling/lean_decode.py computes the model's own next-token logits (Llama and Qwen2,
grouped KV heads, biases, left padding), and refuses configurations it does not reproduce."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

from divrl.sampling.lean_decode import LeanStep, supported

V = 23


def model(kind: str, **extra):
    torch.manual_seed(0)
    common = dict(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0, eos_token_id=1, **extra)
    m = LlamaForCausalLM(LlamaConfig(**common)) if kind == "llama" else Qwen2ForCausalLM(Qwen2Config(**common))
    with torch.no_grad():  # Qwen2 biases start at 0: make them count
        for p in m.parameters():
            if p.dim() == 1 and not p.any():
                p.normal_()
    return m.eval()


@pytest.mark.parametrize("kind,extra", [("llama", {}), ("llama", {"attention_bias": True}), ("qwen2", {}),
                                        ("llama", {"rope_theta": 500.0})])
@pytest.mark.parametrize("padded", [False, True])
def test_lean_steps_equal_the_models_decode(kind, extra, padded):
    m = model(kind, **extra)
    assert supported(m)
    ids = torch.tensor([[0, 0, 5, 6, 7], [8, 9, 10, 11, 12], [0, 13, 14, 15, 16]])
    ids = ids if padded else torch.randint(2, V, (3, 5))
    mask = (ids != 0).long() if padded else torch.ones_like(ids)
    pos = (mask.cumsum(-1) - 1).clamp_min(0)
    step = LeanStep(m)
    with torch.no_grad():
        out = m(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        cache = out.past_key_values
        keys, values = [l.keys.clone() for l in cache.layers], [l.values.clone() for l in cache.layers]
        position = pos[:, -1] + 1
        for token in ([3, 4, 5], [6, 7, 8], [9, 2, 4]):
            token = torch.tensor(token)
            mask = torch.cat([mask, torch.ones(3, 1, dtype=torch.long)], dim=1)
            want = m(input_ids=token[:, None], attention_mask=mask, position_ids=position[:, None],
                     past_key_values=cache, use_cache=True).logits[:, -1]
            got = step(token, position, keys, values, mask if padded else None)
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
            position = position + 1


def test_configurations_it_does_not_reproduce_go_through_the_model():
    assert not supported(model("llama", hidden_act="gelu"))
    assert not supported(model("llama", mlp_bias=True))
    assert not supported(model("llama", rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}))
    assert not supported(model("qwen2", use_sliding_window=True, sliding_window=4))
