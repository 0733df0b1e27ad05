"""PostgresTransaction: one write to the Postgres store, inside one database transaction.

It does what ``IndexWriter`` (index/store/writer.py) does to a folder, with the same dedup plan
(index/store/dedup.py): exact duplicates by key, near ones by vector (the HNSW index, which sees
this transaction's own rows) and characters.  Nothing it writes is visible to anyone else until
``PostgresStore.write`` commits; a failure or a SIGKILL rolls all of it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from index.embed import Embedder, Progress
from index.ingest import Document
from index.store import dedup
from index.store.postgres import lexical, schema
from index.store.protocol import ChangeReport, IndexProblem, NoIndex
from index.store.schema import now, pack_sentences

TABLES = ("occurrences", "terms", "term_stats", "paragraphs", "documents")


class PostgresTransaction:
    """Edits the tables through ``conn`` (in a transaction the store opened); ``commit`` publishes the generation."""

    def __init__(self, conn: psycopg.Connection, location: str, published: dict | None, *, fresh: bool, progress: Progress | None):
        self.conn = conn
        self.location = location
        self.progress = progress
        self.manifest: dict | None = None
        self.previous = None if fresh else published
        self.model = self.previous["model"] if self.previous else None
        self.dimension = self.previous["dimension"] if self.previous else None
        self.extra: dict = {}
        self.undo: list[Callable[[], object]] = []
        self.after: list[Callable[[], object]] = []
        self.changed = 0  # paragraphs added and removed: a large write is vacuumed after it
        self.bulk_index = False  # the HNSW index is (re)built at commit rather than row by row
        if fresh:
            self._clear()

    def _clear(self) -> None:
        """Start over: every row goes (still served to readers until commit).  An empty table gets its HNSW
        index built in bulk at commit, which is several times faster than inserting into it row by row."""
        if self.conn.execute("SELECT EXISTS (SELECT 1 FROM paragraphs)").fetchone()[0]:
            for table in TABLES:
                deleted = self.conn.execute(f"DELETE FROM {table}").rowcount
                self.changed += deleted if table == "paragraphs" else 0
        else:
            self.conn.execute(f"DROP INDEX IF EXISTS {schema.EMBEDDING_INDEX}")
            self.bulk_index = True

    def _require(self) -> None:
        if self.model is None:
            raise NoIndex.at(self.location)

    # .. the protocol ..

    def origins(self) -> dict[str, str]:
        self._require()
        return dict(self.conn.execute("SELECT id, origin FROM documents").fetchall())

    def annotate(self, **fields: object) -> None:
        self.extra.update(fields)

    def on_discard(self, action: Callable[[], object]) -> None:
        self.undo.append(action)

    def after_publish(self, action: Callable[[], object]) -> None:
        self.after.append(action)

    def remove_documents(self, ids: Iterable[str], report: ChangeReport | None = None) -> ChangeReport:
        self._require()
        report = report or ChangeReport()
        ids = list(dict.fromkeys(ids))
        if not ids:
            return report
        db = self.conn
        affected = [r[0] for r in db.execute("SELECT DISTINCT paragraph_id FROM occurrences WHERE document_id = ANY(%s)", (ids,))]
        db.execute("DELETE FROM occurrences WHERE document_id = ANY(%s)", (ids,))
        report.documents_removed += db.execute("DELETE FROM documents WHERE id = ANY(%s)", (ids,)).rowcount
        orphans = [r[0] for r in db.execute(
            "SELECT p FROM unnest(%s::bigint[]) p WHERE NOT EXISTS (SELECT 1 FROM occurrences o WHERE o.paragraph_id = p)", (affected,))]
        if orphans:
            lexical.remove_terms(db, orphans)
            db.execute("DELETE FROM paragraphs WHERE id = ANY(%s)", (orphans,))
            report.paragraphs_removed += len(orphans)
            self.changed += len(orphans)
        return report

    def add_documents(self, documents: Sequence[Document], embedder: Embedder, *, near_duplicate_ratio: float) -> ChangeReport:
        """Add documents, deduplicated; a document whose id exists replaces the old one."""
        if self.model is None:
            self.model, self.dimension = embedder.name, embedder.dimension
            schema.ensure_dimension(self.conn, embedder.dimension)
        report = ChangeReport()
        wanted = list(dict.fromkeys(d.id for d in documents))
        replaced = [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE id = ANY(%s)", (wanted,))]
        if replaced:
            self.remove_documents(replaced, report)
            report.documents_removed -= len(replaced)
            report.documents_replaced = len(replaced)
        plan = dedup.plan_exact(documents, self._ids_by_key(dedup.keys_of(documents)))
        vectors, sentence_vectors = embedder.encode_with_sentences(plan.texts, progress=self.progress)
        _refuse_broken(vectors)
        dedup.plan_near(plan, vectors, self._neighbours(vectors), near_duplicate_ratio)
        first = self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM paragraphs").fetchone()[0]
        kept, ids = dedup.assign_ids(plan, first)
        paragraphs = [(ids[i], plan.texts[i], plan.keys[i], plan.lex[i], lexical.length_of(plan.lex[i]),
                       pack_sentences(sentence_vectors[i]), vectors[i]) for i in kept]
        report.added_ids = self._write(documents, paragraphs, [(doc, pos, dedup.resolve(ids, ref)) for doc, pos, ref in plan.placements])
        report.exact_duplicates = plan.exact_duplicates
        report.near_duplicates = plan.near_duplicates
        report.documents_added = len(report.added_ids) - report.documents_replaced
        report.paragraphs_added = len(kept)
        self.changed += len(kept)
        return report

    # .. lookups and writing ..

    def _ids_by_key(self, keys: Sequence[str]) -> dict[str, int]:
        rows = self.conn.execute("SELECT key, MIN(id) FROM paragraphs WHERE key = ANY(%s) GROUP BY key", (list(dict.fromkeys(keys)),))
        return dict(rows.fetchall())

    def _neighbours(self, vectors: np.ndarray) -> list[list[tuple[int, float, str]]]:
        """For each vector, the (paragraph id, cosine, key) of its nearest indexed paragraphs."""
        out: list[list[tuple[int, float, str]]] = [[] for _ in range(len(vectors))]
        if not len(vectors) or not self.conn.execute("SELECT EXISTS (SELECT 1 FROM paragraphs)").fetchone()[0]:
            return out
        with self.conn.cursor() as cur:
            for i, vector in enumerate(vectors):
                cur.execute("SELECT id, 1 - (embedding <=> %s), key FROM paragraphs ORDER BY embedding <=> %s LIMIT %s",
                            (vector, vector, dedup.INDEX_NEIGHBOURS))
                out[i] = [(int(pid), float(cosine), key) for pid, cosine, key in cur.fetchall()]
        return out

    def _write(self, documents: Sequence[Document], paragraphs: list[tuple], occurrences: list[tuple[str, int, int]]) -> list[str]:
        """Insert the documents (each id once, none without paragraphs), paragraphs, their terms, and occurrences."""
        added_at = now()
        written: dict[str, None] = {}
        rows = []
        for doc in documents:
            if doc.id in written or not doc.paragraphs:
                continue
            written[doc.id] = None
            rows.append((doc.id, doc.title, doc.outlet, doc.date, doc.url, doc.origin,
                         json.dumps(doc.meta, ensure_ascii=False, default=str), added_at))
        self.insert_rows(rows, paragraphs, occurrences)
        return list(written)

    def insert_rows(self, documents: list[tuple], paragraphs: list[tuple], occurrences: Iterable[tuple[str, int, int]]) -> None:
        """Copy rows in: documents (id, title, outlet, date, url, origin, meta JSON, added_at), paragraphs (id, text,
        key, lex, length, sentences, vector), occurrences (document id, position, paragraph id; a repeat is ignored)."""
        with self.conn.cursor() as cur:
            with cur.copy("COPY documents (id, title, outlet, date, url, origin, meta, added_at) FROM STDIN") as copy:
                for row in documents:
                    copy.write_row(row)
            with cur.copy("COPY paragraphs (id, text, key, lex, length, sentences, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "text", "text", "text", "int4", "bytea", "vector"])
                for row in paragraphs:
                    copy.write_row(row)
            cur.executemany("INSERT INTO occurrences (document_id, position, paragraph_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            list(occurrences))
        lexical.add_terms(self.conn, lexical.term_rows((row[0], row[3]) for row in paragraphs))

    def commit(self) -> dict:
        """Build the HNSW index if there is none, then write the manifest and bump the generation (the caller commits)."""
        self._require()
        db = self.conn
        build_index = self.bulk_index or not schema.has_embedding_index(db)  # dropped here, or a first write that was no build
        if build_index:
            schema.ensure_dimension(db, int(self.dimension))
            if self.progress:
                self.progress("vector index", 0, 1)
            schema.create_embedding_index(db)
        documents, paragraphs, occurrences, tokens = db.execute(
            """SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM paragraphs), (SELECT COUNT(*) FROM occurrences),
                      (SELECT COALESCE(SUM(length), 0) FROM paragraphs)"""
        ).fetchone()
        generation = db.execute("SELECT generation FROM store_state FOR UPDATE").fetchone()[0] + 1
        manifest = {key: value for key, value in (self.previous or {"created_at": now()}).items()}
        manifest.update({
            "format_version": schema.FORMAT_VERSION, "model": self.model, "dimension": self.dimension,
            "vector_index": "pgvector HNSW (cosine)", "updated_at": now(), "generation": generation,
            "documents": documents, "paragraphs": paragraphs, "occurrences": occurrences, "lexical_tokens": int(tokens), **self.extra,
        })
        db.execute("UPDATE store_state SET generation = %s, manifest = %s", (generation, Jsonb(manifest)))
        if self.progress and build_index:
            self.progress("vector index", 1, 1)
        self.manifest = manifest
        return manifest


def _refuse_broken(vectors: np.ndarray) -> None:
    if not len(vectors):
        return
    bad = int((~np.isfinite(vectors).all(axis=1) | (np.abs(vectors).sum(axis=1) == 0)).sum())
    if bad:
        raise IndexProblem(
            f"refusing to publish: {bad} of {len(vectors)} vectors are zero or not finite (NaN or infinity), "
            "so the embedding model's output is broken; the current index is unchanged"
        )
