"""LexicalIndex.search sums bm25s's stored scores itself (bm25s's retrieve spent most of a question's lexical
time in np.add.at at 100k paragraphs): the same scores as bm25s, best first, ties by row."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.lexical import LexicalIndex, best_rows

WORDS = ["kyiv", "kharkiv", "strike", "drone", "grain", "deal", "troop", "bridg", "power", "plant"]

paragraphs = st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=8), min_size=1, max_size=40)
questions = st.lists(st.sampled_from(WORDS + ["unknown", "zzz"]), min_size=0, max_size=5)


def bm25s_ranking(index: LexicalIndex, tokens: list[str], k: int) -> list[tuple[int, float]]:
    """What search should return, from bm25s's own per-paragraph scores: score > 0, best first, then by row."""
    known = [t for t in dict.fromkeys(tokens) if t in index.doc_freq]
    if not known:
        return []
    scores = index.bm25.get_scores(known)
    rows = sorted((r for r in range(len(scores)) if scores[r] > 0), key=lambda r: (-scores[r], r))[:k]
    return [(int(index.ids[r]), float(scores[r])) for r in rows]


@settings(max_examples=200, deadline=None)
@given(paragraphs, questions, st.integers(1, 12))
def test_search_ranks_as_bm25s_scores(texts, tokens, k):
    index = LexicalIndex.build([10 * (i + 1) for i in range(len(texts))], [" ".join(t) for t in texts])
    found = index.search(tokens, k)
    expected = bm25s_ranking(index, tokens, k)
    assert [pid for pid, _ in found] == [pid for pid, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected])


def test_search_finds_the_paragraph_with_the_rare_term():
    index = LexicalIndex.build([1, 2, 3], ["kyiv strike drone", "kyiv grain deal", "kyiv power plant strike"])
    found = index.search(["grain", "kyiv"], 2)
    assert found[0][0] == 2  # "grain" is in one paragraph: it outweighs "kyiv", in all three
    assert len(found) == 2 and found[0][1] > found[1][1] > 0
    assert index.search(["unknown"], 5) == []
    assert index.search([], 5) == []


def test_ties_at_the_cut_keep_the_earlier_paragraphs():
    index = LexicalIndex.build(list(range(1, 21)), ["kyiv strike"] * 20)
    assert [pid for pid, _ in index.search(["strike"], 5)] == [1, 2, 3, 4, 5]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.25]), min_size=0, max_size=3000), st.integers(0, 40))
def test_best_rows_is_an_exact_top_k_with_ties_by_row(values, k):
    """Large score arrays take the sampled-floor path (k * 64 < length), small ones the plain one: both exact."""
    scores = np.asarray(values, np.float32)
    expected = sorted((r for r in range(len(scores)) if scores[r] > 0), key=lambda r: (-scores[r], r))[:k]
    assert best_rows(scores, k).tolist() == expected
