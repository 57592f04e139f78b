"""Lexical diversity of one problem's samples: R1-zero-Div's Table 3 N-gram and Self-BLEU.

The paper (Yao et al., arXiv 2505.23433, §5.2) samples 5 responses per GSM8K test question
and reports, besides Div-Equ, "two additional metrics in prior work [Kirk et al.]: (1)
N-gram diversity (proportion of distinct n-grams ..., capturing intra-diversity) and (2)
Self-BLEU diversity (100 minus Self-BLEU score, capturing inter-diversity)", in percent,
higher = more diverse. Its own code (github nigelyaoj/R1_zero_Div) was not reachable.
The public code that computes exactly this pair under these names is GEM's
evaluation/evaluation_diversity.py (Li et al., ICLR 2025, cited by the paper; adapted
from Kirk et al.'s facebookresearch/rlfh-gen-div). Its definitions, which we follow:

- N-gram diversity: for n = 1, 2, 3 the distinct n-grams over all n-grams of the
  problem's samples together (an n-gram never spans two samples), averaged over the
  three n; an n without any n-gram counts 0. Range [0, 1]; m identical samples score at
  most 1/m, so "0" is not what identical samples give.
- Self-BLEU: each sample's sentence BLEU against the problem's other samples as its
  references, averaged over the samples. Table 3 prints 100 − Self-BLEU.

Where we differ from GEM's code, and why:
- Tokens: sacrebleu's 13a tokeniser (the one BLEU uses) for both metrics; GEM's n-grams
  use NLTK's word_tokenize, which needs a separate data download (punkt). The two split
  the same words and punctuation, but differ on a few (contractions, some LaTeX).
- References: GEM calls sacrebleu.corpus_bleu([hypothesis], [others]); sacrebleu reads
  [others] as one reference stream of m − 1 segments and scores the single hypothesis
  against its first segment only, so each sample meets one other sample. Self-BLEU as
  defined (Zhu et al. 2018, Texygen) takes all the others as references; so do we, with
  sacrebleu's sentence-level BLEU (13a, up to 4-grams, exp smoothing, effective order),
  where GEM's corpus call has effective order off (it matters below 4 tokens only).

Both are fractions here (Self-BLEU = BLEU / 100), like every other metric in metrics.json;
the scorecard prints 100 × N-gram and 100 × (1 − Self-BLEU) as Table 3 does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.helpers import extract_all_word_ngrams
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

ORDERS = (1, 2, 3)  # GEM's n_min = 1, n_max = 3
_TOKENIZE = Tokenizer13a()
# sacrebleu.sentence_bleu's settings: exp smoothing, effective order (13a: `tokenised`)
_BLEU = BLEU(effective_order=True)
MAX_ORDER = _BLEU.max_ngram_order  # 4


def tokenised(text: str) -> str:
    """`text` as BLEU sees it: sacrebleu's 13a tokenisation, words joined by single spaces."""
    return _TOKENIZE(text.rstrip())


def _forget_lines() -> None:
    """sacrebleu's tokenisers memoise up to 65,536 lines each, for the whole process; a
    problem's samples are not seen again, and at paper scale (thousands of problems ×
    16 samples of up to 8k tokens) the memo would hold gigabytes."""
    Tokenizer13a.__call__.cache_clear()
    TokenizerRegexp.__call__.cache_clear()


def ngram_diversity(texts: Sequence[str], orders: Sequence[int] = ORDERS) -> float:
    """Mean over n in `orders` of distinct / all n-grams in the samples `texts` of one problem.

    Example: "a b a" and "a b" have unigrams a, b, a, a, b (2 distinct of 5) and bigrams
    ab, ba, ab (2 of 3); trigrams: aba (1 of 1): (2/5 + 2/3 + 1) / 3.
    """
    if not texts:
        raise ValueError("ngram_diversity: no samples")
    words = [tokenised(t).split() for t in texts]
    _forget_lines()
    shares = []
    for n in orders:
        grams = [tuple(w[i : i + n]) for w in words for i in range(len(w) - n + 1)]
        shares.append(len(set(grams)) / len(grams) if grams else 0.0)
    return sum(shares) / len(shares)


def self_bleu(texts: Sequence[str]) -> float | None:
    """Mean over samples of sentence BLEU / 100 against the other samples; None for one sample.

    An empty sample has BLEU 0 (it matches nothing), as sacrebleu defines it; identical
    non-empty samples have BLEU 1 each. The score is sacrebleu.sentence_bleu(sample,
    others) (tests/test_metrics_ngram.py checks it); only the references' statistics are
    gathered here, once for all samples (`_leave_one_out`), instead of m − 1 times.
    """
    if len(texts) < 2:
        return None
    copies = Counter(tokenised(t) for t in texts)
    _forget_lines()
    grams = {line: extract_all_word_ngrams(line, 1, MAX_ORDER) for line in copies}  # (counts, length)
    most_without = _leave_one_out(copies, grams)
    lengths = Counter()
    for line, c in copies.items():
        lengths[grams[line][1]] += c
    total = 0.0
    for line, c in copies.items():  # every copy of a sample meets the same others
        counts, length = grams[line]
        matched, seen = [0] * MAX_ORDER, [0] * MAX_ORDER
        for gram, k in counts.items():
            seen[len(gram) - 1] += k
            matched[len(gram) - 1] += min(k, most_without(gram, k))
        others = {n for n, c_n in lengths.items() if c_n - (n == length) > 0}
        ref_len = min(others, key=lambda n: (abs(n - length), n))  # sacrebleu: the closest, the shorter on a tie
        bleu = BLEU.compute_bleu(matched, seen, length, ref_len, smooth_method=_BLEU.smooth_method,
                                 effective_order=_BLEU.effective_order, max_ngram_order=MAX_ORDER)
        total += c * bleu.score
    return total / len(texts) / 100


def _leave_one_out(copies: Counter, grams: dict):
    """`most_without(gram, k)`: the largest count of `gram` in any sample but one that holds
    it k times, i.e. in the references of that sample (multi-reference BLEU clips each
    n-gram at its largest count in any one reference). From the largest and second
    largest count over all samples, copies counted: O(m) where asking each sample's m − 1
    references is O(m²)."""
    first, second = Counter(), Counter()
    for line, c in copies.items():
        for gram, k in grams[line][0].items():
            if k > first[gram]:
                second[gram] = k if c > 1 else first[gram]
                first[gram] = k
            elif k == first[gram] or k > second[gram]:
                second[gram] = k
    return lambda gram, k: second[gram] if k == first[gram] else first[gram]
