"""How the Embedder batches: texts prepared (tokenised) once, sorted by tokens, cut by a padded
budget, run side by side on the cores.  None of it may change a vector: every path is checked
against the plain one, each text through the model alone (no batch, no padding, no threads)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import corpus
from index import text as textlib
from index.embed import Embedder
from index.embed.embedder import _batches
from index.embed.late_chunking import pool_spans
from index.embed.onnx_runtime import QUESTION_TOKENS, OnnxSentenceEncoder

LONG = " ".join(f"Sentence number {i} of a report far longer than the model reads at once." for i in range(40))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Derived-corpus paragraphs (55-190 tokens), bundled ones, short sentences and one past 256 tokens."""
    derived = [p for a in corpus.derived_articles(60) for p in corpus.article_paragraphs(a)]
    bundled = [p["text"] for p in corpus.bundled_paragraphs()][:20]
    return [*derived, *bundled, "Is Russia withdrawing?", "NATO.", LONG]


def plain(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
    """Each text through the model on its own: its unit vector and its sentences' pooled vectors."""
    vectors, sentences = [], []
    for t in texts:
        (output,) = embedder.model.forward([t])
        vectors.append(output.vector / np.linalg.norm(output.vector))
        sentences.append(pool_spans(output.tokens, output.offsets, textlib.sentence_spans(t)))
    return np.array(vectors), sentences


def test_batched_parallel_vectors_are_the_plain_paths(embedder: Embedder, texts: list[str]):
    assert embedder.runtime == "onnx"
    expected, expected_sentences = plain(embedder, texts)
    for threads in (1, 2):
        model = Embedder(threads=threads, batch_size=64)
        assert model.model.parallel_batches == threads
        model.encode(["Is Russia withdrawing?"])
        assert set(model.model._sessions) == {1}  # a question runs on one thread; the session over every core is not opened
        model.encode(texts[:-1])
        assert (0 in model.model._sessions) == (threads == 1)  # one batch at a time: over every core; side by side: one core each
        vectors, sentences = model.encode_with_sentences(texts)
        np.testing.assert_allclose(vectors, expected, atol=1e-5)
        for ours, theirs, t in zip(sentences, expected_sentences, texts):
            assert ours.shape == (len(textlib.sentence_spans(t)), 384)
            for row, vector in zip(ours, theirs):
                if vector is not None:  # else cut off by the length limit: embedded alone, below
                    np.testing.assert_allclose(row, vector, atol=1e-5)
        cut_off = [j for j, v in enumerate(expected_sentences[-1]) if v is None]
        assert cut_off  # the long text has sentences the model did not read with it
        spans = textlib.sentence_spans(LONG)
        alone = model.encode([LONG[spans[j][0] : spans[j][1]] for j in cut_off])
        np.testing.assert_allclose(sentences[-1][cut_off], alone, atol=1e-5)


def test_batches_are_sorted_by_tokens_and_hold_little_padding(texts: list[str]):
    embedder = Embedder(threads=1)  # batches one after the other: the order they reach the model is theirs
    model = embedder.model
    items = model.prepare(texts)
    assert [len(item) for item in items] == [len(e.ids) for e in model.tokenizer.encode_batch(texts)]
    seen: list[list[int]] = []
    forward = model._forward  # what both sessions' forward calls run

    def recording(session, batch):
        seen.append([len(item) for item in batch])
        return forward(session, batch)

    model._forward = recording  # instance attribute: this test's embedder only, removed below
    try:
        progress: list[int] = []
        embedder.encode(texts, progress=lambda stage, done, total: progress.append(done))
    finally:
        del model._forward
    lengths = [n for batch in seen for n in batch]
    assert lengths == sorted(lengths, reverse=True)  # longest first over the whole input
    assert sorted(lengths) == sorted(len(item) for item in items)
    assert all(len(b) * b[0] <= max(model.batch_budget, b[0]) for b in seen)
    assert progress == sorted(progress) and progress[-1] == len(texts)


def padded_share(costs: list[int], tokens: list[int], most: int, budget: int) -> float:
    """Tokens computed (padding included) over real tokens, batching longest first by ``costs``."""
    order = np.argsort([-c for c in costs], kind="stable")
    spans = _batches([costs[i] for i in order], most, budget)
    return sum((b - a) * max(tokens[i] for i in order[a:b]) for a, b in spans) / sum(tokens)


def test_sorting_by_tokens_all_but_removes_padding_on_the_derived_corpus(embedder: Embedder):
    paragraphs = [p for a in corpus.derived_articles(2000) for p in corpus.article_paragraphs(a)]
    tokens = [len(item) for item in embedder.model.prepare(paragraphs)]
    by_tokens = padded_share(tokens, tokens, 64, embedder.model.batch_budget)
    by_characters = padded_share([len(p) for p in paragraphs], tokens, 64, 8192)  # before: characters, 8,192 a batch
    assert by_tokens < 1.02 < 1.08 < by_characters  # measured 1.003 and 1.108


@given(st.lists(st.integers(0, 600), max_size=200), st.integers(1, 64), st.integers(1, 4096))
def test_batches_cover_every_item_once_within_the_budget(costs: list[int], most: int, budget: int):
    costs = sorted(costs, reverse=True)
    spans = list(_batches(costs, most, budget))
    ends = [0, *[b for _, b in spans]]
    assert [a for a, _ in spans] == ends[:-1] and ends[-1] == len(costs)  # contiguous, all of them
    for a, b in spans:
        assert 1 <= b - a <= most
        assert b - a == 1 or (b - a) * max(costs[a], 1) <= budget


def test_threads_is_one_batch_per_core_by_default(embedder: Embedder):
    from index.embed.onnx_runtime import MAX_PARALLEL_BATCHES, available_cores

    assert embedder.threads == 0
    assert embedder.model.parallel_batches == max(1, min(MAX_PARALLEL_BATCHES, available_cores()))


@given(words=st.lists(st.sampled_from(["Russia", "NATO", "shelled", "Kramatorsk", "withdrawing", "the", "?", "Blinken"]),
                      min_size=1, max_size=60), rows=st.integers(1, 3))
@settings(max_examples=40, deadline=None)
def test_a_question_on_one_thread_has_the_vector_of_the_session_over_every_core(embedder: Embedder, words, rows):
    """A lone batch up to QUESTION_TOKENS padded tokens runs on one thread, a larger one over every core, with the same vectors."""
    model = embedder.model
    assert isinstance(model, OnnxSentenceEncoder)
    batch = [" ".join(words[: len(words) - row]) or "NATO" for row in range(rows)]
    encodings = model.prepare(batch)
    padded = len(batch) * max(len(e.ids) for e in encodings)
    assert model.lone_threads(encodings) == (1 if padded <= QUESTION_TOKENS else 0)
    ours = np.array([output.vector for output in model.forward(batch)])
    for threads in (0, 1):
        theirs = np.array([output.vector for output in model._forward(model.session(threads), batch)])
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
