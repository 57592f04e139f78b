"""Does a prompt fit the model's context? Checked where prompts are written (the data step)
and again where they are sampled (prompt + max_new_tokens).

A causal LM reads at most its context (`max_position_embeddings`, 64 on the toy) of prompt
and completion. Past it a RoPE model still runs, on positions it never saw, and its memory
grows with the prompt: a test row of 1.5 M numbers grew `evaluate` to 23 GB before the
kernel killed it. So a prompt that leaves no room is refused, in one line that names it.

Counting the tokens of a giant prompt is itself costly (4.5 M characters: 6 s and 1.6 GB
with the toy's tokenizer), so a prompt is first judged by its characters: where the
tokenizer guarantees that one token stands for at most L characters, a prompt of c
characters has at least c / L tokens, and a prompt that is too long by that bound alone is
refused without tokenizing it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache

# config attributes that hold a causal LM's context, in the spellings model families use
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx", "max_seq_len")
# tokenizer.model_max_length of a tokenizer that sets none (transformers' VERY_LARGE_INTEGER, 1e30)
UNSET_MAX_LENGTH = int(1e29)
# pre-tokenizers that drop characters (whitespace, or a pattern's matches): text they drop
# is covered by no token, so the characters-per-token bound does not hold
_DROPPING = ("Whitespace", "WhitespaceSplit", "BertPreTokenizer", "Removed")


@dataclass(frozen=True)
class Context:
    """A model's context in tokens (prompt + completion) and where that number comes from."""

    tokens: int
    source: str  # e.g. "max_position_embeddings of Qwen/Qwen2.5-Math-1.5B", for messages


def of_config(config, tokenizer=None, name: str = "the model") -> Context | None:
    """The context a model's config declares (for a multimodal config: its text model's),
    else its tokenizer's model_max_length; None when neither says one."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    for key in CONTEXT_KEYS:
        value = getattr(text, key, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return Context(value, f"{key} of {name}")
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < UNSET_MAX_LENGTH:
        return Context(limit, f"model_max_length of {name}'s tokenizer")
    return None


def of_model(name: str, tokenizer=None) -> Context | None:
    """The context of a hub model or a local model folder, read from its config.json."""
    from transformers import AutoConfig

    return of_config(AutoConfig.from_pretrained(name), tokenizer, name)


@lru_cache(maxsize=1)
def _toy_signature() -> tuple[dict, bytes]:
    from divrl.models.tokenizer import build_tokenizer

    toy = build_tokenizer()
    return toy.get_vocab(), toy.backend_tokenizer.pre_tokenizer.__getstate__()


def _is_toy(tokenizer) -> bool:
    """The toy's character-level tokenizer (models/tokenizer.py), as built or as saved with a
    toy model: its vocabulary and its pre-tokenizer, which cuts text into its symbols and
    single characters."""
    vocab, pre = _toy_signature()
    backend = tokenizer.backend_tokenizer
    if backend.pre_tokenizer is None or backend.pre_tokenizer.__getstate__() != pre:
        return False
    return tokenizer.get_vocab() == vocab


def max_chars_per_token(tokenizer) -> int | None:
    """The most characters of (normalised) text one token can stand for, where the tokenizer
    guarantees a bound: the longest vocabulary entry. None: no such guarantee (then every
    prompt is counted by tokenizing it).

    The guarantee holds when every character ends up inside some token, each token spelling at
    most its vocabulary entry's characters: the toy (each piece is one of its symbols or one
    character); a byte-level BPE (an entry spells one character per byte, and a character is at
    least one byte); a BPE with byte fallback, or with an unknown-token per unknown character.
    It fails where one token may stand for a whole unknown word (WordPiece, WordLevel, BPE or
    Unigram that fuse unknowns) or a pre-tokenizer drops characters (BERT's whitespace).
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # a slow (Python) tokenizer: nothing to read the guarantee from
        return None
    longest = max(map(len, tokenizer.get_vocab()))
    if _is_toy(tokenizer):
        return longest
    pre = json.dumps(json.loads(backend.pre_tokenizer.__getstate__())) if backend.pre_tokenizer else ""
    if any(f'"{kind}"' in pre for kind in _DROPPING):
        return None
    model = backend.model
    if type(model).__name__ != "BPE":
        return None
    byte_level = '"ByteLevel"' in pre
    per_character_unknown = model.unk_token is not None and not model.fuse_unk
    return longest if byte_level or model.byte_fallback or per_character_unknown else None


@dataclass(frozen=True)
class Length:
    """A prompt's length in tokens: exact (with its token ids), or a lower bound from its characters."""

    tokens: int
    chars: int
    ids: list[int] | None = None  # None: `tokens` is a lower bound (the prompt was not tokenized)

    def describe(self) -> str:
        if self.ids is None:
            return f"at least {self.tokens:,} tokens ({self.chars:,} characters, not tokenized)"
        return f"{self.tokens:,} tokens ({self.chars:,} characters)"


class PromptMeter:
    """Token lengths of prompts under one tokenizer, a giant prompt judged by its characters."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    @cached_property
    def chars_per_token(self) -> int | None:
        return max_chars_per_token(self.tokenizer)

    def at_least(self, text: str) -> int:
        """A lower bound on the tokens of `text` without tokenizing it (0: no bound known)."""
        if self.chars_per_token is None:
            return 0
        normalizer = self.tokenizer.backend_tokenizer.normalizer
        # a normaliser may shrink text (NFC joins a letter and its accent): count what the model reads
        short = normalizer is None or len(text) <= self.chars_per_token
        chars = len(text) if short else len(normalizer.normalize_str(text))
        return -(-chars // self.chars_per_token)

    def measure(self, text: str, limit: int) -> Length:
        """Exact when the prompt may have at most `limit` tokens, else the bound alone."""
        bound = self.at_least(text)
        if bound > limit:
            return Length(bound, len(text))
        ids = self.tokenizer(text)["input_ids"]
        return Length(len(ids), len(text), ids)


def fit(meter: PromptMeter, prompts: list[str], names: list[str], context: Context | None, where: str, *,
        completion: int = 1, completion_key: str = "", hint: str = "") -> list[list[int] | None]:
    """Each prompt's token ids, when every prompt leaves `completion` tokens of the context
    (named `completion_key` in messages; the default 1: room for any completion at all); else
    ValueError, one line, naming `where`, the first prompt that does not fit (its entry of
    `names`) and the lengths. All prompts are measured before any is sampled, so a long one
    fails the job at its start. context None (the model declares none): nothing is checked and
    nothing tokenized (None for each)."""
    if context is None:
        return [None] * len(prompts)
    limit = context.tokens - completion
    out = []
    for prompt, name in zip(prompts, names):
        length = meter.measure(prompt, limit)
        if length.tokens > limit:
            why = (f"with {completion_key} {completion:,} that is more than" if completion_key
                   else "no room for a completion in")
            raise ValueError(f"{where}: {name} has a prompt of {length.describe()}: {why} the "
                             f"{context.tokens:,}-token context ({context.source}){hint}")
        out.append(length.ids)
    return out


def check_problems(model: str, problems: list[dict], max_new_tokens: int, where: str,
                   max_model_len: int | None = None, completion_key: str = "max_new_tokens", hint: str = "") -> None:
    """Every problem's prompt leaves max_new_tokens of `model`'s context (and of vLLM's
    max_model_len, when set), checked from its config and tokenizer alone (no weights): for an
    evaluation job to call once before its first chunk, so a long prompt in the last chunk
    fails the job at its start, whichever backend samples. One line naming the problem. A
    train job calls it with train.max_completion_length: TRL would cut an overlong prompt
    (max_prompt_length) without a word."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    ctx = of_model(model, tokenizer)
    if max_model_len is not None and (ctx is None or max_model_len < ctx.tokens):
        ctx = Context(max_model_len, "eval.max_model_len")
    fit(PromptMeter(tokenizer), [p["prompt"] for p in problems], [f"problem {str(p['id'])!r}" for p in problems], ctx,
        where, completion=max_new_tokens, completion_key=completion_key, hint=hint)
