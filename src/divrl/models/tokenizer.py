"""A character-level tokenizer for the toy task, built with `tokenizers`.

Digits are single tokens, so the model must learn arithmetic on digit strings; the
words "nums" and "target" are one token each. Wrapped as PreTrainedTokenizerFast so
TRL and `generate` treat it like any hub tokenizer.
"""

from __future__ import annotations

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, EOS = "<pad>", "<eos>"
SYMBOLS = list("0123456789") + list("+-*/()= ") + ["nums", "target"]


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate([PAD, EOS, *SYMBOLS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=PAD))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"nums|target|\d|\s|."), behavior="isolated")
    tok.decoder = decoders.Fuse()  # without it decoding puts spaces between characters
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=EOS)
    fast.padding_side = "left"  # generation appends on the right
    return fast
