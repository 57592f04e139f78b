"""The loss forward over prefix trees: every distinct prefix of the batch's rows run once.

TRL scores B = prompts × G rows `[prompt | completion]` in one padded forward. Most of
that work repeats: a group's G rows share their prompt, and a policy that is sharpening
repeats its completions (on the toy, ~45 distinct rows of 64, and ~330 distinct
completion prefixes where the padded batch holds ~700 completion positions). A causal
model's state at a token depends only on the tokens before it and their positions, so
each prompt's rows are packed into one tree (a batch row), one position per distinct
(prefix, column), each attending to its ancestors only (a 4-D mask), and the token
log-probs of every row are read from there: forward and backward shrink by the
repetition (the toy's loss step: ~40% of TRL's time), the arithmetic is the same up to
float summation order, and each row's gradient reaches the shared positions through
the gather that reads them.

Positions are TRL's (the column in the padded row: TRL passes no position ids), log-probs
and entropies are TRL's formulas (logits / temperature; 0 at padding).
"""

from __future__ import annotations

import torch

MAX_NODES = 4096  # nodes of the largest tree, whose mask is nodes² booleans: beyond, TRL's own forward


class Forest:
    """One prefix tree per distinct prompt, as a batch: tree u is row u, its nodes in order.

    A node is a distinct (parent, token, column) of one prompt's rows: rows that agree up
    to a column share its node. Trees are kept apart (not one tree over all prompts, which
    share their first tokens) so attention stays within a prompt: a batch of small
    squares, not one large one.
    """

    def __init__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_len: int):
        ids, mask = input_ids.tolist(), attention_mask.tolist()
        trees: dict[tuple, int] = {}
        index: dict[tuple, int] = {}
        self.token: list[list[int]] = []  # per tree, per node
        self.column: list[list[int]] = []
        self.tree = []  # per row
        self.node = []  # per row and column: the node there, −1 at padding
        for row, keep in zip(ids, mask):
            u = trees.setdefault((tuple(row[:prompt_len]), tuple(keep[:prompt_len])), len(trees))
            if u == len(self.token):
                self.token.append([]), self.column.append([])
            node, here = -1, []
            for c, (tok, k) in enumerate(zip(row, keep)):
                if k:
                    node = index.setdefault((u, node, tok, c), len(self.token[u]))
                    if node == len(self.token[u]):
                        self.token[u].append(tok), self.column[u].append(c)
                here.append(node if k else -1)
            self.tree.append(u)
            self.node.append(here)
        self.size = max(len(t) for t in self.token)
        self.nodes = sum(len(t) for t in self.token)

    def tensors(self, pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """token ids [U, N], positions [U, N], the mask [U, 1, N, N] (node i sees j iff j is i or
        an ancestor; padding sees only itself, so no attention row is empty), and each row's
        node at each column [B, T] as an index into the flattened [U·N], −1 at padding."""
        n = self.size
        token = torch.tensor([t + [pad_id] * (n - len(t)) for t in self.token], device=device)
        column = torch.tensor([c + [0] * (n - len(c)) for c in self.column], device=device)
        node, tree = torch.tensor(self.node, device=device), torch.tensor(self.tree, device=device)
        seen = torch.eye(n, dtype=torch.bool, device=device).repeat(len(self.token), 1, 1)
        # a node's ancestors are the nodes before it on any row through it: mark each row's
        # (later column, earlier-or-same column) pairs
        width = node.size(1)
        real = node >= 0
        earlier = torch.ones(width, width, dtype=torch.bool, device=device).tril()[None]
        pair = earlier & real[:, :, None] & real[:, None, :]
        b, k, j = pair.nonzero(as_tuple=True)
        seen[tree[b], node[b, k], node[b, j]] = True
        flat = torch.where(node >= 0, tree[:, None] * n + node, -1)
        return token, column, seen[:, None], flat


def logps_and_entropies(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int,
                        compute_entropy: bool, temperature: float,
                        pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor | None] | None:
    """TRL's (log-probs, entropies) [B, logits_to_keep] of the completion tokens, or None
    when the trees save nothing or one is too large for its mask.

    `model` must be the plain module (one process, no DeepSpeed/FSDP wrapper) of a model
    whose attention and logits `supported` accepts.
    """
    width = input_ids.size(1)
    first = width - logits_to_keep  # completion token j of a row is predicted by the node of column first + j − 1
    forest = Forest(input_ids, attention_mask, first)
    if forest.size > MAX_NODES or forest.nodes >= int(attention_mask.sum()):
        return None
    device = input_ids.device
    token, column, seen, where = forest.tensors(pad_id, device)
    if model.config._attn_implementation == "eager":  # eager adds its mask; sdpa takes booleans
        seen = torch.zeros(seen.shape, dtype=model.dtype, device=device).masked_fill(
            ~seen, torch.finfo(model.dtype).min)
    hidden = model.base_model(input_ids=token, attention_mask=seen, position_ids=column).last_hidden_state
    predictor = where[:, first - 1 : width - 1]  # [B, K]
    valid = where[:, first:] >= 0
    used, slot = torch.unique(predictor.clamp_min(0), return_inverse=True)  # only nodes that predict a completion token
    logits = model.get_output_embeddings()(hidden.flatten(0, 1)[used]).float() / temperature
    logp_all = logits.log_softmax(dim=-1)  # [used, V]
    logps = logp_all[slot, input_ids[:, first:]].masked_fill(~valid, 0.0)
    entropies = None
    if compute_entropy:
        per_node = -(logp_all.exp() * logp_all).sum(dim=-1)
        entropies = per_node[slot].masked_fill(~valid, 0.0)
    return logps, entropies


def supported(model) -> bool:
    """Attention that takes a 4-D mask as given (sdpa, eager), and logits that are the output
    embedding of the last hidden state (no soft-capping or logit scale)."""
    cfg = model.config.get_text_config()
    scaled = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")
    return model.config._attn_implementation in ("sdpa", "eager") and not any(getattr(cfg, k, None) for k in scaled)
