"""One decode step of a Llama-family model without the module machinery around it.

A rollout decodes one token for a few dozen rows at a time; for a small policy the
model's arithmetic then costs less than its Python: a Hugging Face forward of the toy
model takes ~1.7 ms even for one row (module calls, hooks, config look-ups, mask
building), a step of the same arithmetic written out ~0.5 ms. This is that step for the
configurations whose arithmetic it reproduces (`supported`: Llama and Qwen2 with SiLU
MLPs, default RoPE, full attention); anything else decodes through the model itself.
The prompt is still read by the model's own forward, whose keys and values this step
continues. `tests/test_rollout.py` holds it to the model's logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def supported(model) -> bool:
    cfg = model.config
    rope = getattr(cfg, "rope_parameters", None) or {}
    return (cfg.model_type in ("llama", "qwen2") and cfg.hidden_act == "silu"
            and rope.get("rope_type", "default") == "default"
            and not getattr(cfg, "use_sliding_window", False) and getattr(cfg, "pretraining_tp", 1) == 1
            and not getattr(cfg, "mlp_bias", False) and cfg._attn_implementation in ("sdpa", "eager")
            and type(model).__name__ in ("LlamaForCausalLM", "Qwen2ForCausalLM"))


class LeanStep:
    """`step(token [R], position [R], keys, values, seen)` -> logits [R, V]; keys/values: per
    layer [R, KV, L, D], extended in place by this token's."""

    def __init__(self, model):
        cfg, body = model.config, model.model
        self.heads, self.kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps, self.embed, self.norm, self.head = (cfg.rms_norm_eps, body.embed_tokens.weight, body.norm.weight,
                                                      model.lm_head)
        self.inv_freq, self.rope_scale = body.rotary_emb.inv_freq, body.rotary_emb.attention_scaling
        self.layers = []
        for layer in body.layers:
            a, m = layer.self_attn, layer.mlp
            bias = None if a.q_proj.bias is None else torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias])
            qkv = torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight])
            self.layers.append((layer.input_layernorm.weight, qkv, bias, a.o_proj.weight, a.o_proj.bias,
                                layer.post_attention_layernorm.weight,
                                torch.cat([m.gate_proj.weight, m.up_proj.weight]), m.down_proj.weight))

    def _rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        h = x.float()
        return weight * (h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)

    def __call__(self, token: torch.Tensor, position: torch.Tensor, keys: list, values: list,
                 seen: torch.Tensor | None = None) -> torch.Tensor:
        """seen: [R, L + 1] the keys each row attends to (None: all; left padding needs it)."""
        x = F.embedding(token, self.embed)  # [R, d]
        mask = None if seen is None else seen.bool()[:, None, None, :]
        freqs = position[:, None].float() * self.inv_freq[None, :].float()
        angle = torch.cat([freqs, freqs], dim=-1)
        cos = (angle.cos() * self.rope_scale).to(x.dtype)[:, None, None, :]
        sin = (angle.sin() * self.rope_scale).to(x.dtype)[:, None, None, :]
        rows, h, kv, d = token.size(0), self.heads, self.kv_heads, self.head_dim
        for i, (n1, qkv_w, qkv_b, o_w, o_b, n2, gate_up, down) in enumerate(self.layers):
            qkv = F.linear(self._rms(x, n1), qkv_w, qkv_b).view(rows, h + 2 * kv, 1, d)
            qk, v = qkv[:, : h + kv], qkv[:, h + kv :]
            qk = qk * cos + torch.cat([-qk[..., d // 2 :], qk[..., : d // 2]], dim=-1) * sin  # RoPE (rotate_half)
            keys[i] = torch.cat([keys[i], qk[:, h:]], dim=2)
            values[i] = torch.cat([values[i], v], dim=2)
            attn = F.scaled_dot_product_attention(qk[:, :h], keys[i], values[i], attn_mask=mask, enable_gqa=h != kv)
            x = x + F.linear(attn.reshape(rows, h * d), o_w, o_b)
            gate, up = F.linear(self._rms(x, n2), gate_up).chunk(2, dim=-1)
            x = x + F.linear(F.silu(gate) * up, down)
        return self.head(self._rms(x, self.norm))
