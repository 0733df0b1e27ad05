"""A loaded index folder keeps the paragraph rows it last read (index/store/snapshot.py): the same rows as a
fresh read, never more than ROW_CACHE of them, whatever is asked in whatever order."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import store
from index.store import schema, snapshot


@pytest.fixture(scope="module")
def folder(built_data_dir):
    return store.current_folder(built_data_dir)


def fresh(folder) -> snapshot.Snapshot:
    return snapshot.Snapshot(folder, schema.read_manifest(folder)["model"], verify=False)


def test_rows_read_again_are_the_rows_read_first(folder):
    view = fresh(folder)
    ids = list(range(1, 30))
    first = view.paragraphs(ids)
    assert set(first) <= set(ids) and first
    again = view.paragraphs(list(reversed(ids)) + [10_000_000])  # an id that does not exist is left out
    assert again == first and all(again[i] is first[i] for i in first)
    assert view.paragraphs([]) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(0, 60), max_size=25), max_size=12), st.integers(1, 20))
def test_the_kept_rows_are_bounded_and_always_right(folder, monkeypatch, asks, bound):
    monkeypatch.setattr(snapshot, "ROW_CACHE", bound)
    view, plain = fresh(folder), fresh(folder)
    for ids in asks:
        assert view.paragraphs(ids) == plain._read_paragraphs(ids)
        assert len(view._rows) <= bound


def test_threads_reading_at_once_get_whole_rows(folder, monkeypatch):
    monkeypatch.setattr(snapshot, "ROW_CACHE", 16)
    view = fresh(folder)
    expected = fresh(folder)._read_paragraphs(list(range(1, 50)))
    wrong: list = []

    def read(offset: int) -> None:
        for n in range(40):
            ids = [1 + (offset * 7 + n * 3 + k) % 49 for k in range(12)]
            got = view.paragraphs(ids)
            if got != {i: expected[i] for i in ids if i in expected}:
                wrong.append(ids)

    threads = [threading.Thread(target=read, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong and len(view._rows) <= 16


def read_plainly(view: snapshot.Snapshot, ids: list[int]) -> dict:
    """The rows of ``ids`` read the simplest way: a join per paragraph's documents, one blob unpacked at a time."""
    out = {}
    for pid, text, lex, blob in view.db.execute(f"SELECT id, text, lex, sentences FROM paragraphs WHERE id IN ({','.join('?' * len(ids))})", ids):
        documents = [schema.document_row(r) for r in view.db.execute(
            f"""SELECT {schema.DOCUMENT_COLUMNS} FROM occurrences o JOIN documents d ON d.id = o.document_id WHERE o.paragraph_id = ?
                ORDER BY d.date IS NULL, d.date, d.added_at, d.id""", (pid,))]
        out[pid] = (text, tuple(lex.split()), tuple(dict.fromkeys(documents)), schema.unpack_sentences(blob, view.manifest["dimension"]))
    return out


def test_rows_read_in_bulk_are_the_rows_read_one_by_one(folder):
    view = fresh(folder)
    ids = list(range(1, view.size + 1))
    rows, plain = view.paragraphs(ids), read_plainly(view, ids)
    assert rows and set(rows) == set(plain)
    for pid, row in rows.items():
        text, lex, documents, sentences = plain[pid]
        assert (row.text, row.lex, row.documents) == (text, lex, documents)
        assert row.sentence_vectors is not None and np.array_equal(row.sentence_vectors, sentences)
        assert row.sentence_vectors.dtype == np.float32 and not row.sentence_vectors.flags.writeable


@given(st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=12), st.sampled_from([1, 3, 8]))
def test_sentence_vectors_unpacked_together_are_those_unpacked_alone(counts, dimension):
    rng = np.random.default_rng(len(counts) * 10 + dimension)
    blobs = [None if n is None else rng.standard_normal((n, dimension)).astype(np.float16).tobytes() for n in counts]
    together = schema.unpack_sentences_of(blobs, dimension)
    assert len(together) == len(blobs)
    for blob, vectors in zip(blobs, together):
        alone = schema.unpack_sentences(blob, dimension)
        assert (vectors is None) == (alone is None)
        if alone is not None:
            assert vectors.shape == alone.shape and np.array_equal(vectors, alone)
