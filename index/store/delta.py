"""Writes that cost what they change: a small *delta* folder over a large immutable *base* folder.

Copying a 100,000-paragraph index to add one article costs seconds, and a live feed adds one every
few minutes.  So a write after the first makes a delta instead: a folder of the usual files
(``corpus.sqlite``, ``vectors.faiss``, the lexical index; index/store/writer.py) holding only the
documents and paragraphs added since the base, plus ``removals.json``, the base's documents and
paragraphs that are gone.  Its manifest names the base folder and gives the counts of the index as a
whole, its own under ``"delta"``.  Publishing a delta is the same symlink swap as publishing a base
(index/store/layout.py), so a crash at any moment leaves the previous version serving, and readers
never see half a write.

The next write copies the delta (small), not the base.  When the delta has grown past
``MERGE_SHARE`` of the base (at least ``MERGE_MIN``, at most ``MERGE_MAX`` paragraphs added and
removed), ``merge`` folds it into a new base: the one write whose cost grows with the index,
done apart from the writes that feed it (index/service.py runs it in the background).

Paragraph ids stay unique across the pair: a delta numbers its paragraphs after the base's largest id.
An occurrence in the delta may name a base paragraph (a wire copy of a story the base holds).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from index import integrity
from index.store import schema
from index.store.dedup import INDEX_NEIGHBOURS
from index.store.protocol import ChangeReport
from index.store.schema import CORPUS, VECTORS
from index.store.snapshot import Snapshot
from index.store.writer import LOOKUP_CHUNK, IndexWriter

REMOVALS = "removals.json"
MERGE_SHARE = 0.1  # merge when the delta's changes reach this share of the base ...
MERGE_MIN = 2_000  # ... but never under this many paragraphs,
MERGE_MAX = 20_000  # and always at this many: every write copies the delta


def merge_threshold(base_paragraphs: int) -> int:
    """Paragraphs added and removed by deltas over a base of ``base_paragraphs`` before a merge is due."""
    return int(min(MERGE_MAX, max(MERGE_MIN, MERGE_SHARE * base_paragraphs)))


def is_delta(manifest: dict) -> bool:
    return isinstance(manifest.get("delta"), dict)


def base_name(manifest: dict, folder: Path) -> str:
    """The base folder's name a delta's manifest gives; IndexDamaged when it gives none that could be one."""
    name = manifest["delta"].get("base")
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise integrity.damaged(folder / integrity.MANIFEST, "names no base index for its delta")
    return name


def read_removals(folder: Path) -> tuple[frozenset[str], frozenset[int]]:
    """The base documents and paragraphs a delta has removed."""
    path = folder / REMOVALS
    with integrity.reading(path):
        data = json.loads(path.read_text(encoding="utf-8"))
    documents, paragraphs = data.get("documents"), data.get("paragraphs")
    if not isinstance(documents, list) or not isinstance(paragraphs, list) or not all(isinstance(p, int) for p in paragraphs):
        raise integrity.damaged(path, "is not a list of removed documents and paragraphs")
    return frozenset(map(str, documents)), frozenset(paragraphs)


class DeltaWriter(IndexWriter):
    """One write into a delta over ``base`` (a loaded, verified ``Snapshot``)."""

    def __init__(self, folder: Path, base: Snapshot, *, removed_documents: Iterable[str] = (), removed_paragraphs: Iterable[int] = (),
                 manifest: dict | None = None):
        super().__init__(folder, base.manifest["model"], base.manifest["dimension"], manifest)
        self.db.execute("PRAGMA foreign_keys = OFF")  # an occurrence here may name a base paragraph
        self.base = base
        self.removed_documents = set(removed_documents)
        self.removed_paragraphs = set(removed_paragraphs)
        self.base_max_id = base.max_paragraph_id()

    @classmethod
    def start(cls, folder: Path, base: Snapshot) -> DeltaWriter:
        """A new, empty delta over ``base``; its manifest starts as the base's (when it was built, from what)."""
        manifest = {key: value for key, value in base.manifest.items() if key not in ("files", "delta")}
        return cls(folder, base, manifest=manifest)

    @classmethod
    def copy_of(cls, source: Path, folder: Path, base: Snapshot) -> DeltaWriter:  # type: ignore[override]
        """A writable copy of the published delta at ``source`` (checked against its checksums) over ``base``."""
        manifest = schema.read_manifest(source)
        integrity.verify(source, manifest)  # never carry a damaged file into a new version
        documents, paragraphs = read_removals(source)
        for name in (CORPUS, VECTORS):
            shutil.copy2(source / name, folder / name)
        return cls(folder, base, removed_documents=documents, removed_paragraphs=paragraphs, manifest=manifest)

    # .. what the index as a whole holds ..

    def _base_live(self, sql: str, ids: Sequence) -> list[tuple]:
        rows: list[tuple] = []
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = list(ids[start : start + LOOKUP_CHUNK])
            rows.extend(tuple(r) for r in self.base.db.execute(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return rows

    def existing_documents(self, ids: Sequence[str]) -> set[str]:
        in_base = {r[0] for r in self._base_live("SELECT id FROM documents WHERE id IN ({marks})", list(dict.fromkeys(ids)))}
        return super().existing_documents(ids) | (in_base - self.removed_documents)

    def origins(self) -> dict[str, str]:
        base = {r[0]: r[1] for r in self.base.db.execute("SELECT id, origin FROM documents") if r[0] not in self.removed_documents}
        return base | super().origins()

    def next_paragraph_id(self) -> int:
        return max(super().next_paragraph_id(), self.base_max_id + 1)

    def _ids_by_key(self, keys: Sequence[str]) -> dict[str, int]:
        found = super()._ids_by_key(keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        for key, pid in sorted(self._base_live("SELECT key, id FROM paragraphs WHERE key IN ({marks})", missing), key=lambda r: r[1]):
            if pid not in self.removed_paragraphs:
                found.setdefault(key, pid)
        return found

    def _neighbours(self, vectors) -> list[list[tuple[int, float, str]]]:
        mine = super()._neighbours(vectors)
        if not len(vectors) or not self.base.size:
            return mine
        scores, ids = self.base.vectors.search(vectors, INDEX_NEIGHBOURS + len(self.removed_paragraphs))
        wanted = sorted({int(p) for p in ids.ravel() if p >= 0 and int(p) not in self.removed_paragraphs})
        keys = dict(self._base_live("SELECT id, key FROM paragraphs WHERE id IN ({marks})", wanted))
        out = []
        for i, own in enumerate(mine):
            theirs = [(int(p), float(s), keys[int(p)]) for s, p in zip(scores[i], ids[i]) if int(p) in keys]
            out.append(sorted(own + theirs, key=lambda n: -n[1])[:INDEX_NEIGHBOURS])
        return out

    # .. removing ..

    def remove_documents(self, ids: Iterable[str], report: ChangeReport | None = None) -> ChangeReport:
        report = report or ChangeReport()
        ids = list(dict.fromkeys(ids))
        if not ids:
            return report
        # Base paragraphs this delta's own documents carry, before they go.
        marks = ",".join("?" * len(ids))
        touched = {r[0] for r in self.db.execute(f"SELECT paragraph_id FROM occurrences WHERE document_id IN ({marks})", ids)
                   if r[0] <= self.base_max_id}
        mine = super().existing_documents(ids)
        if mine:
            self._remove_own(sorted(mine), report)
        in_base = [r[0] for r in self._base_live("SELECT id FROM documents WHERE id IN ({marks})", ids) if r[0] not in self.removed_documents]
        if in_base:
            self.removed_documents.update(in_base)
            report.documents_removed += len(in_base)
            touched.update(r[0] for r in self._base_live("SELECT paragraph_id FROM occurrences WHERE document_id IN ({marks})", in_base))
        orphans = [pid for pid in sorted(touched - self.removed_paragraphs) if not self._carried(pid)]
        self.removed_paragraphs.update(orphans)
        report.paragraphs_removed += len(orphans)
        return report

    def _remove_own(self, ids: list[str], report: ChangeReport) -> None:
        """Remove documents of this delta (IndexWriter's way, for the paragraphs the delta holds)."""
        marks = ",".join("?" * len(ids))
        with self.db:
            affected = [r[0] for r in self.db.execute(f"SELECT DISTINCT paragraph_id FROM occurrences WHERE document_id IN ({marks})", ids)]
            self.db.execute(f"DELETE FROM occurrences WHERE document_id IN ({marks})", ids)
            report.documents_removed += self.db.execute(f"DELETE FROM documents WHERE id IN ({marks})", ids).rowcount
            orphans = [pid for pid in affected if pid > self.base_max_id
                       and self.db.execute("SELECT 1 FROM occurrences WHERE paragraph_id = ? LIMIT 1", (pid,)).fetchone() is None]
            if orphans:
                self.db.executemany("DELETE FROM paragraphs WHERE id = ?", [(p,) for p in orphans])
                self.vectors.remove(orphans)
                report.paragraphs_removed += len(orphans)

    def _carried(self, pid: int) -> bool:
        """Whether a live document still carries base paragraph ``pid``."""
        if self.db.execute("SELECT 1 FROM occurrences WHERE paragraph_id = ? LIMIT 1", (pid,)).fetchone():
            return True
        carriers = [r[0] for r in self.base.db.execute("SELECT document_id FROM occurrences WHERE paragraph_id = ?", (pid,))]
        return any(d not in self.removed_documents for d in carriers)

    # .. publishing ..

    def published_counts(self, counts: dict[str, int]) -> dict:
        base = self.base.manifest
        removed_occurrences = sum(r[0] for r in self._base_live(
            "SELECT COUNT(*) FROM occurrences WHERE document_id IN ({marks})", sorted(self.removed_documents)))
        return {
            "documents": base["documents"] - len(self.removed_documents) + counts["documents"],
            "paragraphs": base["paragraphs"] - len(self.removed_paragraphs) + counts["paragraphs"],
            "occurrences": base.get("occurrences", 0) - removed_occurrences + counts["occurrences"],
            # Of base and delta, removals aside: what the delta's BM25 takes its average paragraph length from.
            "lexical_tokens": base.get("lexical_tokens", 0) + counts["lexical_tokens"] if "lexical_tokens" in base else None,
            "delta": {
                "base": self.base.folder.name,
                **counts,
                "removed_documents": len(self.removed_documents),
                "removed_paragraphs": len(self.removed_paragraphs),
            },
        }

    def write_extra_files(self) -> None:
        path = self.folder / REMOVALS
        data = {"documents": sorted(self.removed_documents), "paragraphs": sorted(self.removed_paragraphs)}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())

    def changes(self) -> int:
        """Paragraphs this delta adds and removes: what ``merge_threshold`` is compared with."""
        return self.vectors.count() + len(self.removed_paragraphs)


def merge(base: Snapshot, delta_folder: Path, folder: Path) -> IndexWriter:
    """A writer over a copy of ``base`` with the delta at ``delta_folder`` applied: commit it to publish a new base."""
    writer = IndexWriter.copy_of(base.folder, folder, base.manifest["model"])
    delta = Snapshot(delta_folder, base.manifest["model"])
    try:
        documents, paragraphs = read_removals(delta_folder)
        db = writer.db
        with db:
            removed = sorted(documents)
            for start in range(0, len(removed), LOOKUP_CHUNK):
                chunk = removed[start : start + LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM occurrences WHERE document_id IN ({marks})", chunk)
                db.execute(f"DELETE FROM documents WHERE id IN ({marks})", chunk)
            gone = sorted(paragraphs)
            db.executemany("DELETE FROM paragraphs WHERE id = ?", [(p,) for p in gone])
            source = delta.db
            db.executemany("INSERT INTO documents (id, title, outlet, date, url, origin, meta, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           source.execute("SELECT id, title, outlet, date, url, origin, meta, added_at FROM documents"))
            db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)",
                           source.execute("SELECT id, text, key, lex, sentences FROM paragraphs"))  # a delta is always of this schema
            db.executemany("INSERT INTO occurrences (document_id, position, paragraph_id) VALUES (?, ?, ?)",
                           source.execute("SELECT document_id, position, paragraph_id FROM occurrences"))
        writer.vectors.remove(gone)
        ids = delta.vectors.ids()
        if len(ids):
            writer.vectors.add(delta.vectors.vectors(ids), ids)
    except BaseException:
        writer.close()
        raise
    finally:
        delta.close()
    return writer
