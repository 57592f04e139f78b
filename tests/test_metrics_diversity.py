from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.metrics.diversity import distinct_correct, mean_pairwise_cosine
from divrl.tasks.registry import get as get_task


def canonical_or_none(text):
    return get_task("countdown").canonical(text, {"numbers": [15, 4, 1], "target": 12})


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from("abcde"), min_size=2, max_size=30), st.integers(0, 1000))
def test_weighted_cosine_equals_all_pairs_loop(samples, seed):
    g = torch.Generator().manual_seed(seed)
    vecs = {t: torch.nn.functional.normalize(torch.randn(6, generator=g), dim=0) for t in "abcde"}
    slow, pairs = 0.0, 0
    for i, a in enumerate(samples):
        for j, b in enumerate(samples):
            if i != j:
                slow += float(vecs[a] @ vecs[b])
                pairs += 1
    assert mean_pairwise_cosine(Counter(samples), vecs) == pytest.approx(slow / pairs, abs=1e-6)


def test_cosine_of_one_sample_is_nan():
    v = {"a": torch.tensor([1.0, 0.0])}
    assert mean_pairwise_cosine(Counter(["a"]), v) != mean_pairwise_cosine(Counter(["a"]), v)


def test_distinct_correct_counts_strings_and_canonical_forms():
    comps = ["15-4+1", "1+15-4", "15-4+1", "junk", "2*6"]
    ok = [True, True, True, False, True]
    assert distinct_correct(comps, ok, canonical_or_none) == (3, 2)


def test_cached_embedder_matches_direct_embedding_and_stays_bounded():
    from divrl.models import embedding

    texts = ["1+2*3", "3*2+1", "1+2*3", "9-4"]
    cached = embedding.CachedEmbedder(max_entries=3)
    got = cached(texts)
    torch.testing.assert_close(got, embedding.embed(texts), atol=1e-5, rtol=1e-5)
    assert torch.equal(got[0], got[2])
    cached(["a", "b"])  # would exceed 3 entries: cache starts over
    assert len(cached._cache) <= 3
