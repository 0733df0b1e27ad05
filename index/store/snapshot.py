"""Snapshot: one published index folder, loaded read-only (a ``ReadView``, index/store/protocol.py)."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index import integrity
from index.ann import VectorIndex
from index.lexical import LexicalIndex, Vocabulary
from index.store import schema
from index.store.protocol import DocumentRow, ParagraphRow
from index.store.schema import CORPUS, VECTORS

# Paragraph rows a loaded folder keeps once read (text, sources and sentence vectors: about 7 KB each).
ROW_CACHE = 4096


class Snapshot:
    """A published index, loaded read-only.  Safe to share between threads."""

    def __init__(self, folder: Path, model: str, *, verify: bool = True):
        """Load the index at ``folder``; any damage is IndexDamaged naming the file.

        ``verify`` checks every file's size and checksum before parsing it (an index
        without checksums gets its vectors' values checked instead); only ``doctor``,
        which checks the files itself first, turns it off.
        """
        self.folder = folder
        self.location = str(folder)
        self.manifest = schema.read_manifest(folder)
        schema.check_model(self.manifest, model, folder)
        dimension = self.manifest.get("dimension")
        if not isinstance(dimension, int) or not isinstance(self.manifest.get("paragraphs"), int):
            raise integrity.damaged(folder / integrity.MANIFEST, "lacks the dimension or the paragraph count")
        if verify:
            integrity.verify(folder, self.manifest)
        with integrity.reading(folder / VECTORS):
            self.vectors = VectorIndex.load(folder / VECTORS)
        if self.vectors.dimension != dimension:
            raise integrity.damaged(folder / VECTORS, f"holds vectors of {self.vectors.dimension} dimensions, not {dimension}")
        self.lexical = LexicalIndex.load(folder)
        # A delta folder (index/store/delta.py) gives the whole index's counts, and its own under "delta".
        own = self.manifest["delta"] if isinstance(self.manifest.get("delta"), dict) else self.manifest
        integrity.check_counts(folder, own, vectors=self.vectors.count(), lexical=self.lexical.count())
        integrity.check_sqlite_header(folder / CORPUS)
        self._local = threading.local()
        self._documents: list[DocumentRow] | None = None
        self._rows: OrderedDict[int, ParagraphRow] = OrderedDict()  # the last rows read (``paragraphs``)
        self._rows_lock = threading.Lock()
        self._document_cache: dict[str, DocumentRow] = {}  # every document row read (``documents_of``)
        with integrity.reading(folder / CORPUS):
            self._columns = schema.paragraph_columns(schema.schema_version(self.db, folder / CORPUS))
        if verify and integrity.is_legacy(self.manifest):  # no checksums: at least no NaN or zero vectors
            integrity.check_vectors(self.vectors, folder / VECTORS)

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._local.db = schema.connect(self.folder / CORPUS, readonly=True)
        return conn

    @property
    def size(self) -> int:
        return self.vectors.count()

    @property
    def lexical_ids(self) -> np.ndarray:
        """Lexical row -> paragraph id."""
        return self.lexical.ids

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self.size:
            return []
        scores, ids = self.vectors.search(vector.reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        return self.lexical.search(tokens, k)

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return self.lexical.term_weights(tokens)

    def vocabulary(self) -> Vocabulary:
        return self.lexical.vocabulary

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        return self.vectors.vectors(ids)

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        """The rows of ``ids`` (those that exist).  The last ROW_CACHE rows read are kept: a published folder
        never changes, and a question searched again over earlier years, or the next question on the same
        story, reads the same candidates."""
        with self._rows_lock:
            found = {i: self._rows[i] for i in ids if i in self._rows}
            for i in found:
                self._rows.move_to_end(i)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            fetched = self._read_paragraphs(missing)
            found.update(fetched)
            with self._rows_lock:
                self._rows.update(fetched)
                while len(self._rows) > ROW_CACHE:
                    self._rows.popitem(last=False)
        return found

    def _read_paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        with integrity.reading(self.folder / CORPUS):  # a malformed page shows only when read
            marks = ",".join("?" * len(ids))
            rows = self.db.execute(f"SELECT {self._columns} FROM paragraphs WHERE id IN ({marks})", list(ids)).fetchall()
            docs = self.documents_of([r["id"] for r in rows])
            vectors = schema.unpack_sentences_of([r["sentences"] for r in rows], self.manifest["dimension"])
            out = {}
            for r, sentences in zip(rows, vectors):
                uniq = tuple(dict.fromkeys(docs.get(r["id"], [])))
                out[r["id"]] = ParagraphRow(r["id"], r["text"], tuple(r["lex"].split()), uniq, sentences)
            return out

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The dates of the documents carrying ``ids`` (ReadView): from the kept rows, else read alone."""
        with self._rows_lock:
            kept = {i: self._rows[i] for i in ids if i in self._rows}
        out = {i: [d.date for d in row.documents if d.date] for i, row in kept.items()}
        for pid, carried in self.document_dates([i for i in dict.fromkeys(ids) if i not in kept]).items():
            out[pid] = [day for _, day in carried]
        return out

    def document_dates(self, ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """(document id, date) of each dated document this folder records as carrying each of paragraphs ``ids``."""
        if not ids:
            return {}
        dates: dict[int, list[tuple[str, str]]] = {}
        with integrity.reading(self.folder / CORPUS):
            for pid, document, day in self.db.execute(
                f"""SELECT o.paragraph_id, d.id, d.date FROM occurrences o JOIN documents d ON d.id = o.document_id
                    WHERE o.paragraph_id IN ({",".join("?" * len(ids))}) AND d.date IS NOT NULL AND d.date != ''""",
                list(ids),
            ):
                dates.setdefault(pid, []).append((document, day))
        return dates

    def documents_of(self, ids: Sequence[int]) -> dict[int, list[DocumentRow]]:
        """The documents this folder records as carrying each of paragraphs ``ids``, earliest first."""
        if not ids:
            return {}
        with integrity.reading(self.folder / CORPUS):
            carried = self.db.execute(
                f"""SELECT o.paragraph_id, o.document_id FROM occurrences o JOIN documents d ON d.id = o.document_id
                    WHERE o.paragraph_id IN ({",".join("?" * len(ids))}) ORDER BY d.date IS NULL, d.date, d.added_at, d.id""",
                list(ids),
            ).fetchall()
            rows = self._document_rows({document for _, document in carried})
        docs: dict[int, list[DocumentRow]] = {}
        for pid, document in carried:
            docs.setdefault(pid, []).append(rows[document])
        return docs

    def _document_rows(self, ids: set[str]) -> dict[str, DocumentRow]:
        """The rows of documents ``ids``, each read once (a published folder never changes; a document's row is
        small, and a question's candidates come from few documents)."""
        with self._rows_lock:
            found = {i: self._document_cache[i] for i in ids if i in self._document_cache}
        missing = [i for i in ids if i not in found]
        if missing:
            read = {r["id"]: schema.document_row(r) for r in self.db.execute(
                f"SELECT {schema.DOCUMENT_COLUMNS} FROM documents d WHERE d.id IN ({','.join('?' * len(missing))})", missing)}
            found.update(read)
            with self._rows_lock:
                self._document_cache.update(read)
        return found

    def max_paragraph_id(self) -> int:
        with integrity.reading(self.folder / CORPUS):
            return self.db.execute("SELECT MAX(id) FROM paragraphs").fetchone()[0] or 0

    def documents(self) -> list[DocumentRow]:
        """Every document with its paragraph count, newest first (read once: a published folder never changes)."""
        cached = self._documents
        if cached is None:
            cached = self._documents = self._read_documents()
        return list(cached)

    def _read_documents(self) -> list[DocumentRow]:
        with integrity.reading(self.folder / CORPUS):
            rows = self.db.execute(
                f"""SELECT {schema.DOCUMENT_COLUMNS}, COUNT(o.paragraph_id) AS n FROM documents d LEFT JOIN occurrences o ON o.document_id = d.id
                   GROUP BY d.id ORDER BY d.date DESC, d.title"""
            ).fetchall()
            return [schema.document_row(r, r["n"]) for r in rows]

    def close(self) -> None:
        conn = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None
