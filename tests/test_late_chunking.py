"""Sentence vectors stored at index time (late chunking): what answers are built from without
embedding anything but the question, and the fallback for indexes written before them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index import store, text
from index.embed import Embedder
from index.ingest import Document
from index.service import CrisisService
from tests.helpers import make_settings

QUESTION = "Who did Blinken write to proposing a meeting?"


def all_paragraphs(service: CrisisService) -> list[store.ParagraphRow]:
    return list(service.snapshot().paragraphs(range(1, 20_000)).values())  # every id of these small indexes


def test_every_paragraph_stores_one_unit_vector_per_sentence(shared_service: CrisisService):
    rows = all_paragraphs(shared_service)
    assert len(rows) == shared_service.snapshot().size
    for row in rows:
        assert row.sentence_vectors is not None
        assert len(row.sentence_vectors) == len(text.sentence_spans(row.text))
        np.testing.assert_allclose(np.linalg.norm(row.sentence_vectors, axis=1), 1.0, atol=2e-3)  # float16


def test_sentence_vectors_stand_for_their_own_sentence(shared_service: CrisisService, embedder: Embedder):
    """Pooled in context, a sentence's vector is still nearest to that sentence embedded alone,
    or to a neighbour in its own paragraph (the context it was read in)."""
    sentences, stored, paragraph = [], [], []
    for row in all_paragraphs(shared_service):
        for (a, b), vector in zip(text.sentence_spans(row.text), row.sentence_vectors):
            sentences.append(row.text[a:b])
            stored.append(vector)
            paragraph.append(row.id)
    alone = embedder.encode(sentences)
    similarity = np.vstack(stored) @ alone.T
    nearest = similarity.argmax(axis=1)
    assert np.diag(similarity).mean() > 0.85  # measured 0.886
    assert (nearest == np.arange(len(sentences))).mean() > 0.8  # measured 0.853
    assert (np.array(paragraph)[nearest] == paragraph).mean() > 0.95  # measured 0.987


def test_a_one_sentence_paragraph_vector_is_its_sentence_vector(embedder: Embedder):
    paragraph = "Russia expelled the deputy chief of mission at the US Embassy in Moscow on Thursday."
    vectors, sentences = embedder.encode_with_sentences([paragraph])
    assert sentences[0].shape == (1, embedder.dimension)
    assert float(sentences[0][0] @ vectors[0]) > 0.9999
    np.testing.assert_allclose(vectors, embedder.encode([paragraph]), atol=1e-5)


def test_sentences_past_the_models_length_limit_are_embedded_on_their_own(embedder: Embedder):
    long = " ".join(f"Statement number {i} concerns troop movements near the border of Ukraine." for i in range(40))
    vectors, [sentences] = embedder.encode_with_sentences([long])
    spans = text.sentence_spans(long)
    assert len(sentences) == len(spans) == 40
    _, offsets = embedder.model.token_states([long])[0]
    seen = int(offsets[:, 1].max())  # the model read up to here
    assert spans[0][1] < seen < spans[-1][0]
    alone = embedder.encode([long[a:b] for a, b in spans])
    for (a, b), vector, own in zip(spans, sentences, alone):
        if b > seen:  # cut off, whole or in part: embedded on its own
            np.testing.assert_allclose(vector, own, atol=1e-5)
        else:  # read in context
            assert not np.allclose(vector, own, atol=1e-3)
    np.testing.assert_allclose(vectors[0], embedder.encode([long])[0], atol=1e-5)


def test_answers_embed_only_the_question(shared_service: CrisisService, embedder: Embedder, monkeypatch):
    embedded: list[str] = []
    real = type(embedder).encode

    def counting(self, texts, *args, **kwargs):
        embedded.extend(texts)
        return real(self, texts, *args, **kwargs)

    monkeypatch.setattr(type(embedder), "encode", counting)
    answer = shared_service.ask(QUESTION)
    assert not answer.abstained and "Lavrov" in answer.answer
    assert embedded == [QUESTION]


def drop_sentence_vectors(data_dir: Path) -> Path:
    """Turn an index into one written before sentence vectors were stored."""
    folder = store.current_folder(data_dir)
    with sqlite3.connect(folder / "corpus.sqlite") as db:
        db.execute("ALTER TABLE paragraphs DROP COLUMN sentences")
        db.execute("PRAGMA user_version = 0")  # as such an index was: no schema version recorded
    db.close()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]  # such an index had no checksums either
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_an_index_without_sentence_vectors_still_answers_and_gains_them_on_add(service: CrisisService, embedder: Embedder):
    before = service.ask(QUESTION)
    drop_sentence_vectors(service.data_dir)
    service = CrisisService(make_settings(service.data_dir), embedder=embedder)  # a fresh snapshot

    old = service.ask(QUESTION)
    assert not old.abstained and "Lavrov" in old.answer
    assert [c.paragraph_id for c in old.citations][:1] == [c.paragraph_id for c in before.citations][:1]
    assert all(row.sentence_vectors is None for row in all_paragraphs(service))

    doc = Document(
        id="late-chunking-test",
        title="Gas talks resume",
        paragraphs=["Ministers met in Brussels on Monday to discuss a cap on gas prices. No deal was reached."],
        origin="test",
        outlet="Test Wire",
        date="2022-09-05",
    )
    service.add_documents([doc])
    rows = all_paragraphs(service)
    new = [r for r in rows if "gas prices" in r.text]
    assert len(new) == 1 and new[0].sentence_vectors is not None and len(new[0].sentence_vectors) == 2
    assert sum(r.sentence_vectors is None for r in rows) == len(rows) - 1  # old rows: embedded when asked
    again = service.ask(QUESTION)
    assert not again.abstained and "Lavrov" in again.answer


def test_onnx_and_torch_pool_the_same_sentence_vectors(embedder: Embedder):
    torch = Embedder(backend="torch")
    if not torch.late_chunking or not embedder.late_chunking:
        pytest.fail("the bundled model mean-pools: both runtimes must late-chunk")
    paragraphs = [
        "Blinken wrote to Lavrov. He proposed a meeting in Europe next week.",
        "The kindergarten in Stanytsia Luhanska was shelled, Ukrainian officials said. No children were hurt.",
    ]
    _, ours = embedder.encode_with_sentences(paragraphs)
    _, theirs = torch.encode_with_sentences(paragraphs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert (np.sum(a * b, axis=1) > 0.9999).all()
