"""IndexWriter: builds or edits an index in an unpublished folder; ``commit`` writes it out.

The folder holds ``corpus.sqlite`` (index/store/schema.py), ``vectors.faiss``
(index/ann.py), the lexical index (index/lexical.py) and, written last,
``manifest.json`` with every file's size and checksum (index/integrity.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from index import integrity
from index.ann import VectorIndex
from index.embed import Embedder, Progress
from index.ingest import Document
from index.lexical import LexicalIndex
from index.store import dedup, schema
from index.store.protocol import ChangeReport, IndexProblem
from index.store.schema import CORPUS, VECTORS

LOOKUP_CHUNK = 500  # ids or keys per IN (...) lookup


class IndexWriter:
    """Builds or edits an index in an unpublished folder; ``commit`` writes it out."""

    def __init__(self, folder: Path, model: str, dimension: int, manifest: dict | None = None):
        self.folder = folder
        self.model = model
        self.dimension = dimension
        self.manifest = manifest or {"created_at": schema.now()}
        self.db = schema.open_for_writing(folder / CORPUS)
        vectors = folder / VECTORS
        self.vectors = VectorIndex.load(vectors, dimension) if vectors.exists() else VectorIndex(dimension)

    @classmethod
    def create(cls, folder: Path, embedder: Embedder) -> IndexWriter:
        return cls(folder, embedder.name, embedder.dimension)

    @classmethod
    def copy_of(cls, source: Path, folder: Path, model: str) -> IndexWriter:
        """A writable copy of the published index at ``source``, built with ``model``."""
        manifest = schema.read_manifest(source)
        schema.check_model(manifest, model, source)
        integrity.verify(source, manifest)  # never carry a damaged file into a new index
        for name in (CORPUS, VECTORS):
            shutil.copy2(source / name, folder / name)
        return cls(folder, manifest["model"], manifest["dimension"], manifest)

    # .. documents ..

    def existing_documents(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` the index holds."""
        found: set[str] = set()
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            found.update(r[0] for r in self.db.execute(f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def next_paragraph_id(self) -> int:
        return (self.db.execute("SELECT MAX(id) FROM paragraphs").fetchone()[0] or 0) + 1

    def origins(self) -> dict[str, str]:
        """Document id -> origin (the file it was read from)."""
        return {row[0]: row[1] for row in self.db.execute("SELECT id, origin FROM documents")}

    def remove_documents(self, ids: Iterable[str], report: ChangeReport | None = None) -> ChangeReport:
        report = report or ChangeReport()
        ids = list(ids)
        if not ids:
            return report
        marks = ",".join("?" * len(ids))
        with self.db:
            affected = [r[0] for r in self.db.execute(f"SELECT DISTINCT paragraph_id FROM occurrences WHERE document_id IN ({marks})", ids)]
            self.db.execute(f"DELETE FROM occurrences WHERE document_id IN ({marks})", ids)
            report.documents_removed += self.db.execute(f"DELETE FROM documents WHERE id IN ({marks})", ids).rowcount
            orphans = [
                pid for pid in affected
                if self.db.execute("SELECT 1 FROM occurrences WHERE paragraph_id = ? LIMIT 1", (pid,)).fetchone() is None
            ]
            if orphans:
                self.db.executemany("DELETE FROM paragraphs WHERE id = ?", [(p,) for p in orphans])
                self.vectors.remove(orphans)
                report.paragraphs_removed += len(orphans)
        return report

    def add_documents(
        self,
        documents: Sequence[Document],
        embedder: Embedder,
        *,
        near_duplicate_ratio: float = 90.0,
        progress: Progress | None = None,
    ) -> ChangeReport:
        """Add documents, deduplicated (index/store/dedup.py); a document whose id exists replaces the old one."""
        report = ChangeReport()
        existing = self.existing_documents([d.id for d in documents])
        replaced = [d.id for d in documents if d.id in existing]
        if replaced:
            self.remove_documents(replaced, report)
            report.documents_removed -= len(replaced)
            report.documents_replaced = len(replaced)
        plan = dedup.plan_exact(documents, self._ids_by_key(dedup.keys_of(documents)))
        vectors, sentence_vectors = embedder.encode_with_sentences(plan.texts, progress=progress)
        dedup.plan_near(plan, vectors, self._neighbours(vectors), near_duplicate_ratio)
        kept, ids = dedup.assign_ids(plan, self.next_paragraph_id())
        paragraphs = [(ids[i], plan.texts[i], plan.keys[i], plan.lex[i], schema.pack_sentences(sentence_vectors[i])) for i in kept]
        written = self._write(documents, paragraphs, [(doc, pos, dedup.resolve(ids, ref)) for doc, pos, ref in plan.placements])
        if kept:
            self.vectors.add(vectors[kept], [ids[i] for i in kept])
        report.exact_duplicates = plan.exact_duplicates
        report.near_duplicates = plan.near_duplicates
        report.added_ids = written
        report.documents_added = len(written) - report.documents_replaced
        report.paragraphs_added = len(kept)
        return report

    def _ids_by_key(self, keys: Sequence[str]) -> dict[str, int]:
        """Dedup key -> paragraph id, for the ``keys`` the index already holds."""
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, MIN(id) FROM paragraphs WHERE key IN ({marks}) GROUP BY key", chunk).fetchall())
        return found

    def _neighbours(self, vectors) -> list[list[tuple[int, float, str]]]:
        """For each vector, the (paragraph id, cosine, key) of its nearest indexed paragraphs."""
        if not len(vectors) or not self.vectors.count():
            return [[] for _ in range(len(vectors))]
        scores, ids = self.vectors.search(vectors, dedup.INDEX_NEIGHBOURS)
        wanted = sorted({int(pid) for pid in ids.ravel() if pid >= 0})
        keys: dict[int, str] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            keys.update(self.db.execute(f"SELECT id, key FROM paragraphs WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return [[(int(pid), float(score), keys[int(pid)]) for score, pid in zip(scores[i], ids[i]) if pid >= 0] for i in range(len(vectors))]

    def _write(self, documents: Sequence[Document], paragraphs: list[tuple], occurrences: list[tuple[str, int, int]]) -> list[str]:
        """Insert the documents (each id once, none without paragraphs), paragraphs and occurrences; the ids written."""
        added_at = schema.now()
        written: dict[str, None] = {}
        with self.db:
            for doc in documents:
                if doc.id in written or not doc.paragraphs:
                    continue
                written[doc.id] = None
                self.db.execute(
                    "INSERT INTO documents (id, title, outlet, date, url, origin, meta, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, doc.title, doc.outlet, doc.date, doc.url, doc.origin, json.dumps(doc.meta, ensure_ascii=False, default=str), added_at),
                )
            self.db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)", paragraphs)
            self.db.executemany("INSERT OR IGNORE INTO occurrences (document_id, position, paragraph_id) VALUES (?, ?, ?)", occurrences)
        return list(written)

    # .. finishing ..

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.db.execute(sql).fetchone()[0]
        return {
            "documents": q("SELECT COUNT(*) FROM documents"),
            "paragraphs": q("SELECT COUNT(*) FROM paragraphs"),
            "occurrences": q("SELECT COUNT(*) FROM occurrences"),
        }

    def commit(self, progress: Progress | None = None, **extra) -> dict:
        """Write vectors and the lexical index, close the database, then write the manifest,
        with every file's size and checksum, last (atomically)."""
        bad = integrity.bad_vectors(self.vectors)
        if bad:
            self.db.close()
            raise IndexProblem(
                f"refusing to publish: {bad} of {self.vectors.count()} vectors are zero or not finite (NaN or infinity), "
                "so the embedding model's output is broken; the current index is unchanged"
            )
        if progress:
            progress("lexical index", 0, 1)
        rows = self.db.execute("SELECT id, lex FROM paragraphs ORDER BY id").fetchall()
        LexicalIndex.build([r["id"] for r in rows], [r["lex"] for r in rows]).save(self.folder)
        self.vectors.fit()  # exact or IVF, as the size now calls for
        self.vectors.save(self.folder / VECTORS)
        # Tokens in all (as bm25s counts them: an empty paragraph has one), for BM25's average length over a delta.
        counts = self.counts() | {"lexical_tokens": sum(len(r["lex"].split()) or 1 for r in rows)}
        if counts["paragraphs"] != self.vectors.count():  # pragma: no cover - an invariant
            raise RuntimeError(f"index out of step: {counts['paragraphs']} paragraphs, {self.vectors.count()} vectors")
        self.manifest.update(
            {
                "format_version": schema.FORMAT_VERSION,
                "model": self.model,
                "dimension": self.dimension,
                "faiss_index": self.vectors.describe(),
                "updated_at": schema.now(),
                **self.published_counts(counts),
                **extra,
            }
        )
        self.db.execute("PRAGMA optimize")
        self.db.close()  # corpus.sqlite is final from here on: nothing touches it again
        self.write_extra_files()
        self.manifest["files"] = integrity.checksums(self.folder)
        schema.write_manifest(self.folder, self.manifest)
        if progress:
            progress("lexical index", 1, 1)
        return self.manifest

    def published_counts(self, counts: dict[str, int]) -> dict:
        """The counts the manifest gives: this folder's own (a delta gives the whole index's, and its own apart)."""
        return counts

    def write_extra_files(self) -> None:
        """Files beside the database, vectors and lexical index, written before the checksums (a delta's removals)."""

    def close(self) -> None:
        """Close the database without committing (the write is being discarded)."""
        self.db.close()
