"""PostgresView: one published generation of the Postgres store, a ``ReadView`` (index/store/protocol.py).

A view is handed out per generation (the ``store_state`` counter every commit bumps).  What it
reads once (manifest, vocabulary, document list) is that generation's; its searches read the
tables as committed, so a write's rows appear only once it has committed whole (MVCC).  A paragraph
a later commit removed is simply absent from ``paragraphs`` (as retrieval expects of any view).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import psycopg

from index import lexical as locallexical
from index.lexical import Vocabulary
from index.store.postgres import lexical
from index.store.protocol import DocumentRow, ParagraphRow
from index.store.schema import unpack_sentences

EF_SEARCH = 200  # HNSW candidates per search (hnsw.ef_search): recall@10 against exact >= 0.95 (bench/postgres_scale.py)

DOCUMENT_COLUMNS = "d.id, d.title, d.outlet, d.date, d.url, d.origin, d.meta->>'id_in_source'"


def document_row(row: Sequence, paragraphs: int = 0) -> DocumentRow:
    return DocumentRow(row[0], row[1], row[2], row[3], row[4], row[5], paragraphs, row[6])


class PostgresView:
    """One generation of the index in Postgres.  Safe to share between threads (a connection each)."""

    def __init__(self, connection: Callable[[], psycopg.Connection], generation: int, manifest: dict, location: str):
        self._connection = connection
        self.generation = generation
        self.manifest = manifest
        self.location = location
        tokens, size = manifest.get("lexical_tokens") or 0, self.size
        self.average_length = tokens / size if size else 1.0

    @property
    def db(self) -> psycopg.Connection:
        return self._connection()

    @property
    def size(self) -> int:
        return int(self.manifest.get("paragraphs", 0))

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The HNSW index's nearest ``k``; exact search when it comes up short (rows of a write in progress,
        or removed ones not yet vacuumed, take candidates' places)."""
        if not self.size or k <= 0:
            return []
        vector = np.asarray(vector, np.float32).reshape(-1)
        db = self.db
        if k <= EF_SEARCH:  # the connection's own setting (PostgresStore.connection)
            hits = self._nearest(db, vector, k)
        else:
            with db.transaction():
                db.execute(f"SET LOCAL hnsw.ef_search = {int(k)}")
                hits = self._nearest(db, vector, k)
        if len(hits) < min(k, self.size):
            with db.transaction():
                db.execute("SET LOCAL enable_indexscan = off")
                hits = self._nearest(db, vector, k)
        return hits

    @staticmethod
    def _nearest(db: psycopg.Connection, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        rows = db.execute("SELECT id, embedding <=> %s AS distance FROM paragraphs ORDER BY distance LIMIT %s", (vector, k), binary=True)
        return [(int(pid), 1.0 - float(distance)) for pid, distance in rows]

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        return lexical.search(self.db, tokens, k, self.vocabulary(), self.average_length)

    @functools.cached_property
    def _vocabulary(self) -> Vocabulary:
        return lexical.vocabulary(self.db, self.size)

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return locallexical.idf_weights(self._vocabulary.doc_freq, self.size, tokens)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), int(self.manifest["dimension"])), np.float32)
        if ids:
            found = dict(self.db.execute("SELECT id, embedding FROM paragraphs WHERE id = ANY(%s)", (ids,), binary=True).fetchall())
            for n, pid in enumerate(ids):
                if pid in found:
                    out[n] = found[pid].to_numpy()  # pgvector's Vector
        return out

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        db = self.db
        with db.transaction():  # one snapshot for the paragraphs and their documents
            rows = db.execute("SELECT id, text, lex, sentences FROM paragraphs WHERE id = ANY(%s)", (ids,), binary=True).fetchall()
            carriers: dict[int, list[DocumentRow]] = {}
            for row in db.execute(
                f"""SELECT o.paragraph_id, {DOCUMENT_COLUMNS} FROM occurrences o JOIN documents d ON d.id = o.document_id
                    WHERE o.paragraph_id = ANY(%s) ORDER BY d.date NULLS LAST, d.added_at COLLATE "C", d.id""",
                ([r[0] for r in rows],),
            ):
                carriers.setdefault(row[0], []).append(document_row(row[1:]))
        dimension = int(self.manifest["dimension"])
        out = {}
        for pid, text, lex, sentences in rows:
            documents = carriers.get(pid, [])  # earliest first, undated last, as the local store's
            out[pid] = ParagraphRow(pid, text, tuple(lex.split()), tuple(dict.fromkeys(documents)),
                                    unpack_sentences(bytes(sentences) if sentences is not None else None, dimension))
        return out

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[str]]:
        ids = [int(i) for i in ids]
        dates: dict[int, list[str]] = {}
        if ids:
            for pid, day in self.db.execute(
                """SELECT o.paragraph_id, d.date FROM occurrences o JOIN documents d ON d.id = o.document_id
                   WHERE o.paragraph_id = ANY(%s) AND d.date IS NOT NULL AND d.date <> ''""", (ids,)
            ):
                dates.setdefault(pid, []).append(day)
        return dates

    @functools.cached_property
    def _documents(self) -> list[DocumentRow]:
        rows = self.db.execute(
            f"""SELECT {DOCUMENT_COLUMNS}, COUNT(o.paragraph_id) FROM documents d LEFT JOIN occurrences o ON o.document_id = d.id
                GROUP BY d.id ORDER BY d.date DESC NULLS LAST, d.title COLLATE "C" """
        ).fetchall()
        return [document_row(r, r[7]) for r in rows]

    def documents(self) -> list[DocumentRow]:
        """Every document with its paragraph count, newest first (read once per generation)."""
        return list(self._documents)

    def close(self) -> None:
        """Nothing to close: the store owns the connections."""
