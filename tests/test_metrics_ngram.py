"""R1-zero-Div Table 3's N-gram diversity and Self-BLEU (metrics/ngram.py): against slow
hand-rolled counting and BLEU, against sacrebleu's own sentence_bleu, on hand-checked
examples and edge cases, and in the evaluation's per-problem metrics."""

import math
from collections import Counter

import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from divrl.eval import store
from divrl.eval.metrics_stream import Metrics
from divrl.eval.evaluate import EvalSpec
from divrl.metrics.ngram import ngram_diversity, self_bleu, tokenised

# lowercase words and single spaces: text that 13a tokenisation leaves as it is, so the slow
# versions below can split on spaces and stay independent of sacrebleu
WORDS = st.lists(st.sampled_from(["a", "b", "c", "x", "y", "the", "of"]), min_size=0, max_size=12).map(" ".join)
SAMPLES = st.lists(WORDS, min_size=1, max_size=6)


def slow_ngram_diversity(texts, orders=(1, 2, 3)):
    """Distinct / all n-grams of every sample together, counted with a dict, averaged over n."""
    shares = []
    for n in orders:
        seen, total = {}, 0
        for text in texts:
            words = text.split()
            for i in range(len(words) - n + 1):
                seen[" ".join(words[i : i + n])] = True
                total += 1
        shares.append(len(seen) / total if total else 0.0)
    return sum(shares) / len(shares)


def slow_bleu(hyp, refs, max_n=4):
    """Sentence BLEU (Papineni et al. 2002) as sacrebleu's sentence_bleu computes it: counts
    clipped by the most any one reference holds, the reference length closest to the
    hypothesis (the shorter on a tie), NIST exp smoothing of zero matches, and the orders
    up to the longest one the hypothesis has (effective order). Percent."""
    h = hyp.split()
    rs = [r.split() for r in refs]
    if not h:
        return 0.0
    matched, totals = [], []
    for n in range(1, max_n + 1):
        grams = Counter(tuple(h[i : i + n]) for i in range(len(h) - n + 1))
        most = Counter()
        for r in rs:
            for g, c in Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1)).items():
                most[g] = max(most[g], c)
        matched.append(sum(min(c, most[g]) for g, c in grams.items()))
        totals.append(sum(grams.values()))
    if not any(matched):
        return 0.0
    ref_len = min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
    bp = 1.0 if len(h) >= ref_len else math.exp(1 - ref_len / len(h))
    logs, halvings = [], 1
    for n in range(max_n):
        if totals[n] == 0:  # the hypothesis is shorter than n + 1 words: stop at the order before
            break
        if matched[n] == 0:
            halvings *= 2
            logs.append(math.log(100 / (halvings * totals[n])))
        else:
            logs.append(math.log(100 * matched[n] / totals[n]))
    return bp * math.exp(sum(logs) / len(logs))


def slow_self_bleu(texts):
    return sum(slow_bleu(t, texts[:i] + texts[i + 1 :]) for i, t in enumerate(texts)) / len(texts) / 100


@settings(max_examples=150, deadline=None)
@given(SAMPLES)
def test_ngram_diversity_matches_counting_by_hand(texts):
    assert ngram_diversity(texts) == pytest.approx(slow_ngram_diversity(texts), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, min_size=2, max_size=6))
def test_self_bleu_matches_a_slow_bleu(texts):
    assert self_bleu(texts) == pytest.approx(slow_self_bleu(texts), abs=1e-9)


RAW = st.lists(st.sampled_from(["x", "=", "3", "3.5", "+", "\\frac{1}{2}", "so", ".", "\n", " ", "x=3."]),
               max_size=15).map("".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(RAW, min_size=2, max_size=8))
def test_self_bleu_is_the_mean_of_sacrebleus_sentence_bleu(texts):
    want = sum(sacrebleu.sentence_bleu(t, texts[:i] + texts[i + 1 :]).score for i, t in enumerate(texts)) / len(texts)
    assert self_bleu(texts) == pytest.approx(want / 100, abs=1e-9)


MATH = [
    "We have 3 + 5 = 8 apples, so the answer is \\boxed{8}.",
    "First, 3+5=8. Then she has 8 apples.\nThe answer is $\\boxed{8}$",
    "Let x = 3. Then x + 5 = 8, hence \\(\\frac{16}{2} = 8\\). Answer: 8",
    "She doesn't have 3.5 apples; 3 + 5 = 8 -> \\boxed{8}",
]


@pytest.mark.parametrize("texts", [MATH, MATH + [MATH[1], MATH[0], MATH[0]]], ids=["distinct", "repeated"])
def test_self_bleu_is_sacrebleus_sentence_bleu_on_raw_text(texts):
    """Tokenising once, scoring each distinct sample once, gives what sentence_bleu gives
    every raw sample against all the others (13a: punctuation, LaTeX, newlines)."""
    want = sum(sacrebleu.sentence_bleu(t, texts[:i] + texts[i + 1 :]).score for i, t in enumerate(texts)) / len(texts)
    assert self_bleu(texts) == pytest.approx(want / 100, abs=1e-12)
    # and the n-grams are those words: 13a splits punctuation off, but not a decimal point
    # or an apostrophe (which is outside its punctuation ranges)
    assert tokenised("She doesn't have 3.5 apples; x=8.") == "She doesn't have 3.5 apples ; x = 8 ."
    assert ngram_diversity(MATH) == pytest.approx(slow_ngram_diversity([tokenised(t) for t in MATH]), abs=1e-12)


def test_hand_checked_examples():
    # unigrams a b a a b: 2 of 5; bigrams ab ba ab: 2 of 3; trigrams aba: 1 of 1
    assert ngram_diversity(["a b a", "a b"]) == pytest.approx((2 / 5 + 2 / 3 + 1) / 3)
    # "the cat sat on the mat" against "the cat sat on a mat" (and back): clipped matches
    # 5/6, 3/5, 2/4, 1/3 at n = 1..4, equal lengths (no brevity penalty): BLEU = (1/12)^(1/4)
    pair = ["the cat sat on the mat", "the cat sat on a mat"]
    assert sacrebleu.sentence_bleu(pair[0], [pair[1]]).score == pytest.approx(100 * (1 / 12) ** 0.25)
    assert self_bleu(pair) == pytest.approx((1 / 12) ** 0.25)
    # brevity: "the cat" against "the cat sat on a mat": precisions 1 at n = 1, 2 (effective
    # order 2), brevity penalty exp(1 − 6/2)
    assert self_bleu(["the cat", "the cat sat on a mat"]) == pytest.approx(
        (100 * math.exp(1 - 6 / 2) + sacrebleu.sentence_bleu("the cat sat on a mat", ["the cat"]).score) / 200)


def test_edge_cases():
    # one sample: n-grams within it; no other sample to be a reference, so no Self-BLEU
    assert ngram_diversity(["a b a"]) == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert self_bleu(["a b a"]) is None
    with pytest.raises(ValueError, match="no samples"):
        ngram_diversity([])
    # identical samples: Self-BLEU 1 (Table 3's 100 − Self-BLEU: 0); the n-gram share is
    # 1/m for samples without a repeated n-gram, not 0
    assert self_bleu(["x + 1 = 2 so y"] * 5) == pytest.approx(1.0)
    assert self_bleu(["a b", "a b"]) == pytest.approx(1.0)  # shorter than 4 words: effective order
    assert ngram_diversity(["x + 1 = 2 so y"] * 5) == pytest.approx(1 / 5)
    # empty samples: no n-gram at all counts 0; BLEU of an empty hypothesis is 0 (sacrebleu)
    assert ngram_diversity(["", "  "]) == 0.0
    assert self_bleu(["", ""]) == 0.0
    assert self_bleu(["", "a b c"]) == 0.0  # the empty one matches nothing, nothing matches it
    # a word order without 3-grams counts 0 in the mean over n = 1, 2, 3
    assert ngram_diversity(["a b", "c d"]) == pytest.approx((1 + 1 + 0) / 3)


def test_tokeniser_memo_is_emptied_after_each_problem():
    """sacrebleu memoises every tokenised line for the whole process; a problem's samples
    are dropped once scored, so a long evaluation does not pile them up."""
    ngram_diversity(["a long sample " * 50, "another one"])
    self_bleu(["a long sample " * 50, "another one"])
    assert Tokenizer13a.__call__.cache_info().currsize == 0


def _cols(q, texts):
    correct = [i % 2 == 0 for i in range(len(texts))]
    return store.table_of(q, f"p{q}", texts, [float(c) for c in correct], correct, [None] * len(texts)).to_pydict()


def test_evaluation_reports_them_per_problem_over_the_div_equ_samples():
    """metrics.json: each problem's values over its first div_equ_samples (here 3 of 4,
    in sample order), and their means."""
    problems = [
        ["a b c d", "a b c d", "a b x d", "the same sample for the sake of it"],
        ["one two three", "four five six", "seven eight", "one two three"],
    ]
    spec = EvalSpec(n_samples=4, diversity_samples=4, div_equ_samples=3)
    acc = Metrics(spec, lambda t: [], embed=None)
    for q, texts in enumerate(problems):
        acc.add({"id": f"p{q}"}, _cols(q, texts))
    m = acc.result()
    for row, texts in zip(m["per_problem"], problems):
        assert row["ngram_diversity"] == pytest.approx(slow_ngram_diversity(texts[:3]))
        assert row["self_bleu"] == pytest.approx(slow_self_bleu(texts[:3]))
    assert m["ngram_diversity"] == pytest.approx(sum(slow_ngram_diversity(t[:3]) for t in problems) / 2)
    assert m["self_bleu"] == pytest.approx(sum(slow_self_bleu(t[:3]) for t in problems) / 2)
    # problem 1: three samples share no word, so each BLEU is 0 and every n-gram distinct
    assert m["per_problem"][1]["self_bleu"] == 0.0 and m["per_problem"][1]["ngram_diversity"] == 1.0


def test_one_sample_per_problem_has_no_self_bleu():
    acc = Metrics(EvalSpec(n_samples=1, diversity_samples=1, div_equ_samples=5), lambda t: [], embed=None)
    acc.add({"id": "p0"}, _cols(0, ["a b a"]))
    m = acc.result()
    assert m["per_problem"][0]["self_bleu"] is None and math.isnan(m["self_bleu"])
    assert m["ngram_diversity"] == pytest.approx((2 / 3 + 1 + 1) / 3)
