"""Training-set filters (divrl.data.filters): the English rule, each option, and that every
row is kept or counted exactly once (hypothesis). Split from test_hub_data.py."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.data import filters
from divrl.settings.data import FilterSpec
def test_english_rule():
    assert filters.is_english("Find $x$ such that $\\frac{x}{2} = 3$.")
    assert filters.is_english("$1 + 1 = ?$")
    assert not filters.is_english("求 $x$ 的值")
    assert not filters.is_english("Найдите значение $x$.")


def test_filter_options():
    rows = [{"question": f"question number {i}", "answer": i} for i in range(10)]
    with pytest.raises(ValueError, match="n_tokens"):
        filters.apply(rows, FilterSpec(max_prompt_tokens=5))

    def crash(answer):
        raise RuntimeError("parser timeout")

    _, counts = filters.apply(rows, FilterSpec(), answer_ok=crash)
    assert counts["dropped_answer_unparseable"] == 10
    a, _ = filters.apply(rows, FilterSpec(max_rows=4, seed=1))
    b, _ = filters.apply(rows, FilterSpec(max_rows=4, seed=1))
    c, _ = filters.apply(rows, FilterSpec(max_rows=4, seed=2))
    assert a == b and len(a) == 4 and a != c
    assert [r["answer"] for r in a] == sorted(r["answer"] for r in a)  # input order is kept
    # "question number 9" has 17 characters
    assert filters.apply(rows, FilterSpec(max_question_chars=17))[1]["dropped_too_long"] == 0
    assert filters.apply(rows, FilterSpec(max_question_chars=16))[1]["dropped_too_long"] == 10
    _, counts = filters.apply(rows, FilterSpec(max_prompt_tokens=2), n_tokens=lambda r: len(r["question"].split()))
    assert counts["dropped_too_long"] == 10


WORDS = ["alpha", "Beta", "gamma", "  delta", "$x^2$", "\\frac{1}{2}", "求值", "Найдите", "7"]
row_strategy = st.one_of(
    st.builds(
        lambda words, answer: {"question": " ".join(words), "answer": answer},
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=4),
        st.integers(0, 9),
    ),
    st.just({"answer": 1}),  # malformed: no question
    st.just("not a row"),  # malformed: not a dict
)
spec_strategy = st.builds(
    FilterSpec,
    dedupe=st.booleans(),
    english_only=st.booleans(),
    max_question_chars=st.one_of(st.none(), st.integers(1, 30)),
    max_prompt_tokens=st.one_of(st.none(), st.integers(1, 4)),
    max_rows=st.one_of(st.none(), st.integers(1, 8)),
    seed=st.integers(0, 3),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(row_strategy, max_size=25), spec=spec_strategy, use_answer_ok=st.booleans())
def test_every_row_is_kept_or_counted_once(rows, spec, use_answer_ok):
    answer_ok = (lambda a: a % 3 != 0) if use_answer_ok else None
    kept, counts = filters.apply(
        rows, spec, answer_ok=answer_ok, n_tokens=lambda r: len(r["question"].split())
    )
    assert list(counts) == ["input", *(f"dropped_{r}" for r in filters.REASONS), "kept"]
    assert counts["input"] == len(rows) == counts["kept"] + sum(v for k, v in counts.items() if k.startswith("dropped_"))
    assert counts["kept"] == len(kept)
    positions = [next(i for i, r in enumerate(rows) if r is k) for k in kept]
    assert positions == sorted(positions)  # a subsequence of the input, in order
    if spec.max_rows is not None:
        assert len(kept) <= spec.max_rows
    if spec.dedupe:
        keys = [filters.dedupe_key(r["question"]) for r in kept]
        assert len(keys) == len(set(keys))
    if spec.english_only:
        assert all(filters.is_english(r["question"]) for r in kept)


