"""The loss forward over the batch's prefix trees (train/prefix.py) is TRL's forward:
same log-probs, entropies and parameter gradients, on batches with the repetition it
exploits (shared prompts, identical rows), left-padded prompts and right-padded
completions, for Llama and for Qwen2 (biases, grouped KV heads), sdpa and eager."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM
from trl.trainer.utils import add_fused_lm_head

from divrl.train import prefix

PAD, EOS, V = 0, 1, 23


def model(kind: str, attn: str = "sdpa", temperature: float = 1.0):
    torch.manual_seed(0)
    common = dict(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, pad_token_id=PAD, eos_token_id=EOS,
                  tie_word_embeddings=True, attn_implementation=attn)
    m = LlamaForCausalLM(LlamaConfig(**common)) if kind == "llama" else Qwen2ForCausalLM(Qwen2Config(**common))
    add_fused_lm_head(m, temperature, outputs=("log_probs", "entropy"))  # as GRPOTrainer does
    return m.train()


def batch(seed: int = 0):
    """4 prompts (two lengths: left padding) × 4 rows, completions with repeats and right padding."""
    g = torch.Generator().manual_seed(seed)
    prompts = [torch.randint(2, V, (n,), generator=g).tolist() for n in (5, 7, 7, 6)]
    rows = []
    for p in prompts:
        first = torch.randint(2, V, (4,), generator=g).tolist() + [EOS]
        for j in range(4):  # rows 0 and 1 identical, row 2 shares a prefix with them, row 3 its own
            c = first if j < 2 else first[:2] + [5, EOS] if j == 2 else torch.randint(2, V, (6,), generator=g).tolist()
            rows.append((p, c))
    width_p, width_c = max(len(p) for p, _ in rows), max(len(c) for _, c in rows)
    ids = torch.tensor([[PAD] * (width_p - len(p)) + p + c + [PAD] * (width_c - len(c)) for p, c in rows])
    mask = torch.tensor([[0] * (width_p - len(p)) + [1] * (len(p) + len(c)) + [0] * (width_c - len(c)) for p, c in rows])
    return ids, mask, width_c


def trl_forward(m, ids, mask, keep):
    """GRPOTrainer._get_per_token_logps_and_entropies' own call (TRL 1.16)."""
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :-keep] = -100
    out = m(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    return out.log_probs[:, -keep:], out.entropy[:, -keep:]


def grads(m, logps, entropies):
    m.zero_grad()
    (logps * torch.linspace(-1, 1, logps.numel()).view_as(logps)).sum().add(entropies.sum() * 0.3).backward()
    return {k: p.grad.clone() for k, p in m.named_parameters()}


@pytest.mark.parametrize("kind,attn,temperature", [("llama", "sdpa", 1.0), ("qwen2", "sdpa", 0.7), ("llama", "eager", 1.3)])
def test_forest_forward_equals_trls_forward(kind, attn, temperature):
    m = model(kind, attn, temperature)
    ids, mask, keep = batch()
    ref_lp, ref_ent = trl_forward(m, ids, mask, keep)
    ref_grads = grads(m, ref_lp, ref_ent)
    assert prefix.supported(m)
    lp, ent = prefix.logps_and_entropies(m, ids, mask, keep, True, temperature)
    assert lp.shape == ref_lp.shape and ent.shape == ref_ent.shape
    torch.testing.assert_close(lp, ref_lp, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ent, ref_ent, rtol=1e-5, atol=1e-5)
    assert (lp[mask[:, -keep:] == 0] == 0).all() and (ent[mask[:, -keep:] == 0] == 0).all()  # TRL's 0 at padding
    got = grads(m, lp, ent)
    for name, g in ref_grads.items():
        torch.testing.assert_close(got[name], g, rtol=1e-4, atol=1e-6, msg=name)


def test_forest_shares_prompts_and_repeated_rows():
    ids, mask, keep = batch()
    forest = prefix.Forest(ids, mask, ids.size(1) - keep)
    assert len(forest.token) == 4  # one tree per prompt
    prompt_tokens = (mask[:, : ids.size(1) - keep].sum(dim=1).view(4, 4)[:, 0]).sum().item()
    # per prompt: its tokens once, then row 0's 5 tokens, row 2's 2 new ones, row 3's 6
    assert forest.nodes == prompt_tokens + 4 * (5 + 2 + 6)
    _, _, seen, where = forest.tensors(PAD, "cpu")
    assert seen.shape == (4, 1, forest.size, forest.size) and seen[:, 0].diagonal(dim1=1, dim2=2).all()
    assert torch.equal(where[0], where[1]) and not torch.equal(where[0], where[3])


def test_nothing_shared_or_a_head_it_cannot_compute_goes_to_trls_forward():
    m = model("llama")
    ids, mask, keep = batch()
    one_row_per_prompt = torch.arange(0, 16, 4)
    assert prefix.logps_and_entropies(m, ids[one_row_per_prompt], mask[one_row_per_prompt], keep, True, 1.0) is None
    m.config.final_logit_softcapping = 30.0
    assert not prefix.supported(m)
