"""Training rollouts (sampling/rollout.py): keyed draws equal a slow reference built from
the hash's definition and an uncached forward per row; the torch-noise draws follow the
model's softmax."""

import hashlib
import math

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from divrl.sampling.keyed import gumbel, rollout_rows, row_keys
from divrl.sampling import rollout

PAD, EOS, V = 0, 1, 23
M = 0xFFFFFFFF


def fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    return h ^ (h >> 16)


def slow_row_key(seed: int, step: int, problem: str, j: int) -> int:
    digest = hashlib.blake2b(f"{seed}\0train\0{step}\0{problem}".encode(), digest_size=4).digest()
    return fmix(fmix(j) ^ int.from_bytes(digest, "little"))


def slow_gumbel(row: int, position: int, vocab: int) -> list[float]:
    step = fmix(position * 0x9E3779B1 & M)
    out = []
    for v in range(vocab):
        u = (fmix(fmix(row ^ step) ^ fmix(v ^ 0x5BD1E995)) + 0.5) / 2.0**32
        out.append(-math.log(-math.log(u)))
    return out


def tiny_model():
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      max_position_embeddings=64, pad_token_id=PAD, eos_token_id=EOS, tie_word_embeddings=True)
    return LlamaForCausalLM(cfg).eval()


def test_rollout_row_keys_and_noise_equal_the_hash_definition():
    keys = rollout_rows(7, 3, ["cd1", "cd1", "cd2"], [0, 5, 0])
    assert keys.tolist() == [slow_row_key(7, 3, "cd1", 0), slow_row_key(7, 3, "cd1", 5), slow_row_key(7, 3, "cd2", 0)]
    assert keys[1] == row_keys(7, "train\0" + "3\0cd1", 5, 1)[0]  # evaluation's keying, under a "train" key
    assert len(set(rollout_rows(7, 4, ["cd1"], [0]).tolist() + rollout_rows(8, 3, ["cd1"], [0]).tolist() + [int(keys[0])])) == 3
    noise = gumbel(keys, 4, V)
    for b, row in enumerate(keys.tolist()):
        assert noise[b].tolist() == pytest.approx(slow_gumbel(row, 4, V), rel=1e-6)


@pytest.mark.parametrize("temperature,top_k", [(1.0, 0), (0.7, 5)])
def test_keyed_rollout_equals_a_slow_uncached_reference(temperature, top_k):
    m = tiny_model()
    prompts = [[5, 6, 7, 8], [9, 10, 11], [5, 6, 7, 8], [12, 13, 14, 15, 16], [9, 10, 11]]  # repeats, three lengths
    problems, index = ["a", "b", "a", "c", "b"], [0, 0, 1, 0, 1]
    keys = rollout_rows(3, 2, problems, index)
    warp = rollout.warpers(temperature, top_k, 1.0)
    got = rollout.sample(m, prompts, max_new_tokens=12, eos_ids=[EOS], pad_id=PAD, noise=rollout.KeyedNoise(keys),
                         processors=warp)
    for b, prompt in enumerate(prompts):
        seq, out = list(prompt), []
        for t in range(12):
            with torch.no_grad():
                scores = m(input_ids=torch.tensor([seq])).logits[:, -1].float()
            for w in warp:
                scores = w(None, scores)
            noise = torch.tensor(slow_gumbel(slow_row_key(3, 2, problems[b], index[b]), t, V))
            token = int((scores[0] + noise).argmax())
            out.append(token)
            seq.append(token)
            if token == EOS:
                break
        assert got[b] == out, f"row {b}"
    assert got[0] != got[2]  # same prompt, other sample index: other draws


def test_torch_noise_rollouts_follow_the_softmax():
    m = tiny_model()
    prompt = [5, 6, 7, 8]
    with torch.no_grad():
        probs = m(input_ids=torch.tensor([prompt])).logits[0, -1].softmax(-1)
    torch.manual_seed(1)
    got = rollout.sample(m, [prompt] * 20000, max_new_tokens=1, eos_ids=[EOS], pad_id=PAD, noise=rollout.TorchNoise())
    freq = torch.bincount(torch.tensor([c[0] for c in got]), minlength=V).float() / len(got)
    assert (freq - probs).abs().max() < 0.015


def test_rows_stop_after_their_first_eos_and_the_rest_run_to_the_limit():
    m = tiny_model()
    with torch.no_grad():
        m.lm_head.weight.zero_()  # uniform logits: EOS comes at random
    torch.manual_seed(0)
    got = rollout.sample(m, [[5, 6]] * 200, max_new_tokens=6, eos_ids=[EOS], pad_id=PAD, noise=rollout.TorchNoise())
    assert all(len(c) <= 6 for c in got) and any(len(c) == 6 and EOS not in c for c in got)
    assert all(c.index(EOS) == len(c) - 1 for c in got if EOS in c)
