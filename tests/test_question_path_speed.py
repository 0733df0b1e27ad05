"""Changes made only to answer faster must rank exactly as before: each faster path against the plain one it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index import text as textlib
from index.answer import _sentence_terms
from index.search import MMR_LAMBDA, Passage, Query, _mmr
from index.store.protocol import DocumentRow, ParagraphRow


def plain_mmr(candidates: list[Passage], vectors: np.ndarray, k: int) -> list[Passage]:
    """Maximal marginal relevance as it was written first: the gains summed one candidate at a time."""
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < k:
        if not chosen:
            best = remaining[0]
        else:
            redundancy = (vectors[remaining] @ vectors[chosen].T).max(axis=1)
            gains = [MMR_LAMBDA * candidates[r].score - (1 - MMR_LAMBDA) * red for r, red in zip(remaining, redundancy)]
            best = remaining[int(np.argmax(gains))]
        chosen.append(best)
        remaining.remove(best)
    return [candidates[i] for i in chosen]


def row(pid: int, lex: tuple[str, ...] = ()) -> ParagraphRow:
    return ParagraphRow(pid, f"paragraph {pid}", lex, (DocumentRow(f"d{pid}", "title", "", "2022-02-17", "", "test"),))


@settings(max_examples=300, deadline=None)
@given(
    scores=st.lists(st.floats(-1, 2, allow_nan=False, width=64) | st.sampled_from([0.5, 0.25, 0.75]), min_size=1, max_size=60),
    seed=st.integers(0, 2**16),
    k=st.integers(1, 12),
    dtype=st.sampled_from([np.float32, np.float64]),
    duplicates=st.booleans(),
)
def test_mmr_picks_what_the_plain_sums_picked(scores: list[float], seed: int, k: int, dtype, duplicates: bool):
    """Same passages in the same order, ties included (equal scores, repeated vectors), in either precision."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(scores), 8)).astype(dtype)
    if duplicates:  # the same paragraph's vector twice: equal redundancies, equal gains
        vectors[1::2] = vectors[0]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    candidates = [Passage(row(i), s, 0.0, 0.0, 0.0) for i, s in enumerate(scores)]
    assert [p.id for p in _mmr(candidates, vectors, k)] == [p.id for p in plain_mmr(candidates, vectors, k)]


@given(key_terms=st.lists(st.sampled_from(["kyiv", "nato", "minsk", "blinken"]), max_size=3, unique=True),
       lex=st.lists(st.sampled_from(["kyiv", "nato", "minsk", "shell", "lavrov"]), max_size=6))
def test_key_coverage_of_terms_made_already_is_the_rows(key_terms: list[str], lex: list[str]):
    query = Query("q", np.zeros(3, np.float32), (), key_terms=tuple(key_terms))
    paragraph = row(1, tuple(lex))
    assert query.key_coverage(paragraph, set(lex)) == query.key_coverage(paragraph)


def test_mmr_gains_tie_in_float32_as_the_scalar_sums_did():
    """Scores 1e-9 apart are equal in float32: the earlier candidate wins, as it did with float32 scalars."""
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0]], np.float32)
    candidates = [Passage(row(i), s, 0.0, 0.0, 0.0) for i, s in enumerate([1.0, 0.5, 0.5 + 1e-9])]
    assert [p.id for p in plain_mmr(candidates, vectors, 2)] == [0, 1]
    assert [p.id for p in _mmr(candidates, vectors, 2)] == [0, 1]
    assert [p.id for p in _mmr(candidates, vectors.astype(np.float64), 2)] == [0, 2]  # in float64 they differ


@given(st.text(alphabet=st.sampled_from("Russia's troops withdrew fromKyiv 24 Київ обстріл ,.'"), max_size=80))
def test_a_sentences_cached_terms_are_its_tokens(sentence: str):
    assert _sentence_terms(sentence) == frozenset(textlib.lexical_tokens(sentence))
    assert _sentence_terms(sentence) == frozenset(textlib.lexical_tokens(sentence))  # and again, from the cache
