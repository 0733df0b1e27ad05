"""The on-disk index: FAISS vectors, a BM25 lexical index, SQLite and a manifest.

Layout under the data dir::

    current -> indexes/20260101T120000-ab12cd   (symlink, swapped atomically)
    indexes/<name>/vectors.faiss     FAISS, inner product over unit vectors (exact or IVF by size; index/ann.py)
    indexes/<name>/lexical/          bm25s index; lexical_ids.npy maps rows to paragraph ids
    indexes/<name>/corpus.sqlite     documents, paragraphs (with their sentences' vectors), occurrences
    indexes/<name>/manifest.json     model, dimension, counts, format version, times
    write.lock                       held by whoever is writing a new index

Every write (a full build, adding or removing sources) happens in a fresh
folder that is published by replacing the ``current`` symlink, so a crash at
any point leaves the previous index serving.  Readers load a folder once and
never see it change.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
from rapidfuzz import fuzz

from index import integrity
from index import text as textlib
from index.ann import VectorIndex
from index.embed import Embedder, Progress
from index.errors import CrisisError, IndexDamaged
from index.fsutil import DIR_MODE, FILE_MODE, private_dir, private_tree
from index.ingest import Document

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

FORMAT_VERSION = 1
CURRENT = "current"
INDEXES = "indexes"
BUILDING_SUFFIX = ".building"
# Cosine above which two paragraphs are compared character by character for near-duplication.
NEAR_DUPLICATE_COSINE = 0.85

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL DEFAULT '',
    date TEXT,
    url TEXT,
    origin TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    key TEXT NOT NULL,
    lex TEXT NOT NULL,
    sentences BLOB  -- float16 vectors of its sentences (text.sentence_spans), or NULL
);
CREATE INDEX IF NOT EXISTS paragraphs_key ON paragraphs(key);
CREATE TABLE IF NOT EXISTS occurrences (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX IF NOT EXISTS occurrences_paragraph ON occurrences(paragraph_id);
"""


class IndexError_(CrisisError, RuntimeError):
    """Base for index problems that deserve a one-line message, not a traceback."""


class NoIndex(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class WriteInProgress(IndexError_):
    pass


@dataclass(frozen=True)
class DocumentRow:
    id: str
    title: str
    outlet: str
    date: str | None
    url: str | None
    origin: str
    paragraphs: int = 0
    id_in_source: str | None = None  # the id the document has in its own file (ids are namespaced by file)

    @classmethod
    def from_row(cls, row: sqlite3.Row, paragraphs: int = 0) -> DocumentRow:
        meta = json.loads(row["meta"] or "{}")
        return cls(row["id"], row["title"], row["outlet"], row["date"], row["url"], row["origin"], paragraphs,
                   meta.get("id_in_source"))


@dataclass(frozen=True)
class ParagraphRow:
    id: int
    text: str
    lex: tuple[str, ...]
    documents: tuple[DocumentRow, ...]  # every source that carried it, earliest first
    # One unit vector per sentence of text.sentence_spans(text), stored at index time; None
    # for indexes written before they were (or by a model that does not mean-pool).
    sentence_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def document(self) -> DocumentRow:
        return self.documents[0]


@dataclass
class ChangeReport:
    documents_added: int = 0
    documents_replaced: int = 0
    documents_removed: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    added_ids: list[str] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(path)
    _fsync_dir(root)


def _atomic_write_text(path: Path, content: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _has_sentence_column(db: sqlite3.Connection) -> bool:
    return any(row[1] == "sentences" for row in db.execute("PRAGMA table_info(paragraphs)"))


def _pack(vectors: np.ndarray | None) -> bytes | None:
    return None if vectors is None else np.asarray(vectors, np.float16).tobytes()


def _unpack(blob: bytes | None, dimension: int) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, np.float16).reshape(-1, dimension).astype(np.float32)


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
    conn.row_factory = sqlite3.Row
    return conn


# --- locating and publishing -------------------------------------------------------------


def current_folder(data_dir: Path) -> Path | None:
    """The folder ``current`` links to; None when there is no index yet.

    IndexDamaged when ``current`` is a link loop, dangles, or is a real folder or
    file (which no write could swap atomically).
    """
    link = data_dir / CURRENT
    fix = "run `crisisbot index rollback` to link the newest index that verifies, or `crisisbot index build`"
    if not link.is_symlink():
        if not link.exists():
            return None
        raise integrity.damaged(link, "is a folder or file, not a link", f"move it out of {data_dir}, then {fix}",
                                what="index link")
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop, before Python 3.13
        problem = "is a link loop" if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP else "points to nothing"
        raise integrity.damaged(link, problem, fix, what="index link") from None
    if not target.is_dir():
        raise integrity.damaged(link, f"points to {target}, which is not a folder", fix, what="index link")
    return target


@contextmanager
def write_lock(data_dir: Path):
    """Exclusive lock for writers; raises WriteInProgress if another holds it."""
    private_dir(data_dir)
    fd = os.open(data_dir / "write.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a lock file made by an older version was 0644
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise WriteInProgress("another index write (build, add or remove) is running; try again when it ends") from None
            raise
        yield
    finally:
        os.close(fd)


_SEQUENCE = re.compile(r"(\d{8})-")


def _sequence(folder: Path) -> int:
    """The creation number in a folder's name; -1 for folders named before numbering (older than all)."""
    match = _SEQUENCE.match(folder.name)
    return int(match.group(1)) if match else -1


def _by_creation(folders: Iterable[Path]) -> list[Path]:
    return sorted(folders, key=lambda p: (_sequence(p), p.name))


def new_folder(data_dir: Path) -> Path:
    """A fresh, unpublished working folder, named so that names sort by creation.

    The number is one more than any folder's under ``indexes/`` (callers hold the
    write lock, so no two writers pick the same one); the time is for people.
    """
    indexes = private_dir(data_dir / INDEXES)
    last = max((_sequence(p) for p in indexes.iterdir()), default=0)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    folder = indexes / f"{max(last, 0) + 1:08d}-{stamp}{BUILDING_SUFFIX}"
    folder.mkdir(mode=DIR_MODE)
    return folder


def publish(data_dir: Path, working: Path, *, keep: int = 2) -> Path:
    """Make ``working`` the current index in one atomic step, then tidy up."""
    final = working.with_name(working.name.removesuffix(BUILDING_SUFFIX))
    private_tree(working)
    _fsync_tree(working)
    os.rename(working, final)
    tmp_link = data_dir / f".{CURRENT}.{secrets.token_hex(4)}"
    os.symlink(Path(INDEXES) / final.name, tmp_link)
    os.replace(tmp_link, data_dir / CURRENT)
    _fsync_dir(data_dir)
    _collect_garbage(data_dir, keep=keep)
    return final


def _collect_garbage(data_dir: Path, *, keep: int) -> None:
    """Remove abandoned working folders and published ones older than both ``current`` and the newest ``keep``.

    The folder ``current`` points to, and anything created after it, is never removed.
    Only called with the write lock held, so no ``.building`` folder is live.
    """
    indexes = (data_dir / INDEXES).resolve()
    try:
        current = current_folder(data_dir)
    except IndexDamaged:  # no trustworthy current: remove no published folder
        current = None
    current = current.resolve() if current is not None else None
    folders = _by_creation(indexes.iterdir())
    published = [f for f in folders if not f.name.endswith(BUILDING_SUFFIX)]
    newest = set(published[-keep:]) if keep > 0 else set()
    floor = _sequence(current) if current is not None and current.parent == indexes else None
    for folder in folders:
        if folder.name.endswith(BUILDING_SUFFIX):
            shutil.rmtree(folder, ignore_errors=True)
        elif folder != current and folder not in newest and floor is not None and _sequence(folder) < floor:
            shutil.rmtree(folder, ignore_errors=True)


def discard(working: Path) -> None:
    shutil.rmtree(working, ignore_errors=True)


class Staging:
    """An unpublished working folder, and what to undo if it is discarded."""

    def __init__(self, data_dir: Path, folder: Path):
        self.data_dir = data_dir
        self.folder = folder
        self._undo: list = []
        self._after: list = []

    def on_discard(self, action) -> None:
        """Run ``action()`` if the write fails (latest first): undo a change made outside the folder."""
        self._undo.append(action)

    def after_publish(self, action) -> None:
        """Run ``action()`` once the folder is published, still under the write lock."""
        self._after.append(action)


@contextmanager
def staging(data_dir: Path):
    """Lock, a new working folder, the caller's writes, then publish; or discard and undo on any failure.

    The one transaction every index write goes through, like sqlite-utils' ``Database.atomic()``.
    Whatever the caller reads inside (sources, the current index) cannot change under it.
    """
    with write_lock(data_dir):
        stage = Staging(data_dir, new_folder(data_dir))
        try:
            yield stage
            publish(data_dir, stage.folder)
        except BaseException:
            discard(stage.folder)
            for action in reversed(stage._undo):
                action()
            raise
        for action in stage._after:
            action()


# --- writing -----------------------------------------------------------------------------


class IndexWriter:
    """Builds or edits an index in an unpublished folder; ``commit`` writes it out."""

    def __init__(self, folder: Path, model: str, dimension: int, manifest: dict | None = None):
        self.folder = folder
        self.model = model
        self.dimension = dimension
        self.manifest = manifest or {"created_at": _now()}
        self.db = _connect(folder / "corpus.sqlite")
        self.db.executescript(SCHEMA)
        if not _has_sentence_column(self.db):  # an index written before sentence vectors were stored
            self.db.execute("ALTER TABLE paragraphs ADD COLUMN sentences BLOB")
        vectors = folder / "vectors.faiss"
        self.vectors = VectorIndex.load(vectors, dimension) if vectors.exists() else VectorIndex(dimension)

    @classmethod
    def create(cls, folder: Path, embedder: Embedder) -> IndexWriter:
        return cls(folder, embedder.name, embedder.dimension)

    @classmethod
    def copy_of(cls, source: Path, folder: Path, embedder: Embedder) -> IndexWriter:
        """A writable copy of the published index at ``source``."""
        manifest = read_manifest(source)
        check_model(manifest, embedder.name, source)
        integrity.verify(source, manifest)  # never carry a damaged file into a new index
        for name in ("corpus.sqlite", "vectors.faiss"):
            shutil.copy2(source / name, folder / name)
        return cls(folder, manifest["model"], manifest["dimension"], manifest)

    # .. documents ..

    def document_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM documents")}

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
        """Add documents; a document whose id exists replaces the old one."""
        report = ChangeReport()
        existing = self.document_ids()
        replaced = [d.id for d in documents if d.id in existing]
        if replaced:
            self.remove_documents(replaced, report)
            report.documents_removed -= len(replaced)
            report.documents_replaced = len(replaced)

        # 1. exact duplicates by key, against the index and within this batch
        next_id = (self.db.execute("SELECT MAX(id) FROM paragraphs").fetchone()[0] or 0) + 1
        new_texts: list[str] = []
        new_keys: list[str] = []
        new_lex: list[str] = []
        placement: list[tuple[str, int, int | str]] = []  # (doc id, position, pid or 'new:i')
        batch_keys: dict[str, int] = {}
        seen_docs: set[str] = set()
        for doc in documents:
            if doc.id in seen_docs:
                continue  # the same id twice in one batch: first wins
            seen_docs.add(doc.id)
            title_lex = " ".join(textlib.lexical_tokens(doc.title))
            for position, paragraph in enumerate(doc.paragraphs):
                key = textlib.dedup_key(paragraph)
                if key in batch_keys:
                    placement.append((doc.id, position, f"new:{batch_keys[key]}"))
                    report.exact_duplicates += 1
                    continue
                row = self.db.execute("SELECT id FROM paragraphs WHERE key = ?", (key,)).fetchone()
                if row:
                    placement.append((doc.id, position, row[0]))
                    report.exact_duplicates += 1
                    continue
                batch_keys[key] = len(new_texts)
                placement.append((doc.id, position, f"new:{len(new_texts)}"))
                new_texts.append(paragraph)
                new_keys.append(key)
                new_lex.append(title_lex + " " + " ".join(textlib.lexical_tokens(paragraph)))

        # 2. embed what is new, and each new paragraph's sentences in the same pass
        vectors, sentence_vectors = embedder.encode_with_sentences(new_texts, progress=progress)

        # 3. near duplicates: close in embedding space and in characters.  A paragraph
        #    merges into an existing one ("old", pid) or an earlier new one ("new", j).
        merge: list[tuple[str, int] | None] = [None] * len(new_texts)
        if new_texts:
            if self.vectors.count():
                scores, ids = self.vectors.search(vectors, 4)
                for i in range(len(new_texts)):
                    for score, pid in zip(scores[i], ids[i]):
                        if pid < 0 or score < NEAR_DUPLICATE_COSINE:
                            continue
                        key = self.db.execute("SELECT key FROM paragraphs WHERE id = ?", (int(pid),)).fetchone()[0]
                        if fuzz.ratio(new_keys[i], key) >= near_duplicate_ratio:
                            merge[i] = ("old", int(pid))
                            break
            local = VectorIndex(self.dimension, flat_limit=len(new_texts))  # exact, never refitted
            local.add(vectors, np.arange(len(new_texts)))
            scores, ids = local.search(vectors, 5)
            for i in range(len(new_texts)):
                if merge[i] is not None:
                    continue
                for score, j in zip(scores[i], ids[i]):
                    if 0 <= j < i and score >= NEAR_DUPLICATE_COSINE and fuzz.ratio(new_keys[i], new_keys[j]) >= near_duplicate_ratio:
                        merge[i] = merge[j] or ("new", int(j))
                        break
            report.near_duplicates = sum(m is not None for m in merge)

        # 4. assign ids and write
        pid_of: dict[int, int] = {}
        keep_rows, keep_ids = [], []
        for i in range(len(new_texts)):
            if merge[i] is None:
                pid_of[i] = next_id
                keep_rows.append((next_id, new_texts[i], new_keys[i], new_lex[i], _pack(sentence_vectors[i])))
                keep_ids.append(i)
                next_id += 1
        for i, m in enumerate(merge):
            if m is not None:
                pid_of[i] = m[1] if m[0] == "old" else pid_of[m[1]]

        added_at = _now()
        with self.db:
            docs_written = set()
            for doc in documents:
                if doc.id in docs_written or not doc.paragraphs:
                    continue
                docs_written.add(doc.id)
                self.db.execute(
                    "INSERT INTO documents (id, title, outlet, date, url, origin, meta, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, doc.title, doc.outlet, doc.date, doc.url, doc.origin, json.dumps(doc.meta, ensure_ascii=False, default=str), added_at),
                )
                report.added_ids.append(doc.id)
            self.db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)", keep_rows)
            self.db.executemany(
                "INSERT OR IGNORE INTO occurrences (paragraph_id, document_id, position) VALUES (?, ?, ?)",
                [
                    (pid_of[int(ref[4:])] if isinstance(ref, str) else ref, doc_id, position)
                    for doc_id, position, ref in placement
                ],
            )
        if keep_ids:
            self.vectors.add(vectors[keep_ids], [r[0] for r in keep_rows])
        report.documents_added = len(docs_written) - report.documents_replaced
        report.paragraphs_added = len(keep_rows)
        return report

    # .. finishing ..

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
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
            raise IndexError_(
                f"refusing to publish: {bad} of {self.vectors.count()} vectors are zero or not finite (NaN or infinity), "
                "so the embedding model's output is broken; the current index is unchanged"
            )
        if progress:
            progress("lexical index", 0, 1)
        rows = self.db.execute("SELECT id, lex FROM paragraphs ORDER BY id").fetchall()
        lexical_dir = self.folder / "lexical"
        shutil.rmtree(lexical_dir, ignore_errors=True)
        if rows:
            bm25 = bm25s.BM25()
            bm25.index([r["lex"].split() or [""] for r in rows], show_progress=False)
            bm25.save(str(lexical_dir))
        np.save(self.folder / "lexical_ids.npy", np.asarray([r["id"] for r in rows], dtype=np.int64))
        self.vectors.fit()  # exact or IVF, as the size now calls for
        self.vectors.save(self.folder / "vectors.faiss")
        counts = self.counts()
        if counts["paragraphs"] != self.vectors.count():  # pragma: no cover - an invariant
            raise RuntimeError(f"index out of step: {counts['paragraphs']} paragraphs, {self.vectors.count()} vectors")
        self.manifest.update(
            {
                "format_version": FORMAT_VERSION,
                "model": self.model,
                "dimension": self.dimension,
                "faiss_index": self.vectors.describe(),
                "updated_at": _now(),
                **counts,
                **extra,
            }
        )
        self.db.execute("PRAGMA optimize")
        self.db.close()  # corpus.sqlite is final from here on: nothing touches it again
        self.manifest["files"] = integrity.checksums(self.folder)
        _atomic_write_text(self.folder / "manifest.json", json.dumps(self.manifest, indent=2))
        if progress:
            progress("lexical index", 1, 1)
        return self.manifest


# --- reading -----------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """The manifest of the index at ``folder``; IndexDamaged if it is missing or unreadable."""
    path = folder / integrity.MANIFEST
    with integrity.reading(path):
        manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise integrity.damaged(path, "is not an index manifest")
    return manifest


def check_model(manifest: dict, model: str, folder: Path) -> None:
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index at {folder} has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}; "
            "re-index with `crisisbot index build`"
        )
    if manifest.get("model") != model:
        raise IndexMismatch(
            f"the index was built with model {manifest.get('model')!r} but the configured model is {model!r}; "
            "re-index with `crisisbot index build` (or set CRISISBOT_MODEL back)"
        )


class Snapshot:
    """A published index, loaded read-only.  Safe to share between threads."""

    def __init__(self, folder: Path, model: str, *, verify: bool = True):
        """Load the index at ``folder``; any damage is IndexDamaged naming the file.

        ``verify`` checks every file's size and checksum before parsing it (an index
        without checksums gets its vectors' values checked instead); only ``doctor``,
        which checks the files itself first, turns it off.
        """
        self.folder = folder
        self.manifest = read_manifest(folder)
        check_model(self.manifest, model, folder)
        dimension = self.manifest.get("dimension")
        if not isinstance(dimension, int) or not isinstance(self.manifest.get("paragraphs"), int):
            raise integrity.damaged(folder / integrity.MANIFEST, "lacks the dimension or the paragraph count")
        if verify:
            integrity.verify(folder, self.manifest)
        with integrity.reading(folder / "vectors.faiss"):
            self.vectors = VectorIndex.load(folder / "vectors.faiss")
        if self.vectors.dimension != dimension:
            raise integrity.damaged(folder / "vectors.faiss", f"holds vectors of {self.vectors.dimension} dimensions, not {dimension}")
        with integrity.reading(folder / "lexical_ids.npy"):
            self.lexical_ids = np.load(folder / "lexical_ids.npy", allow_pickle=False)
        self.bm25 = None
        self.doc_freq: dict[str, int] = {}
        if len(self.lexical_ids):
            with integrity.reading(folder / "lexical"):
                self.bm25 = bm25s.BM25.load(str(folder / "lexical"), show_progress=False, verbosity=0)
                df = np.diff(self.bm25.scores["indptr"])
                self.doc_freq = {tok: int(df[i]) for tok, i in self.bm25.vocab_dict.items() if tok}
        integrity.check_counts(folder, self.manifest, vectors=self.vectors.count(), lexical=len(self.lexical_ids))
        integrity.check_sqlite_header(folder / "corpus.sqlite")
        self._local = threading.local()
        with integrity.reading(folder / "corpus.sqlite"):
            self._sentence_column = _has_sentence_column(self.db)
        if verify and integrity.is_legacy(self.manifest):  # no checksums: at least no NaN or zero vectors
            integrity.check_vectors(self.vectors, folder / "vectors.faiss")

    @classmethod
    def load_current(cls, data_dir: Path, model: str) -> Snapshot:
        folder = current_folder(data_dir)
        if folder is None:
            raise NoIndex(f"no index in {data_dir} yet; build one with `crisisbot index build`")
        return cls(folder, model)

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._local.db = _connect(self.folder / "corpus.sqlite", readonly=True)
        return conn

    @property
    def size(self) -> int:
        return self.vectors.count()

    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self.size:
            return []
        scores, ids = self.vectors.search(query.reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        if self.bm25 is None or not tokens:
            return []
        known = [t for t in tokens if t in self.doc_freq]
        if not known:
            return []
        rows, scores = self.bm25.retrieve([known], k=min(k, len(self.lexical_ids)), show_progress=False)
        return [(int(self.lexical_ids[r]), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    def idf(self, token: str) -> float:
        n = max(len(self.lexical_ids), 1)
        df = self.doc_freq.get(token, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        return self.vectors.vectors(ids)

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        if not ids:
            return {}
        with integrity.reading(self.folder / "corpus.sqlite"):  # a malformed page shows only when read
            marks = ",".join("?" * len(ids))
            columns = "id, text, lex, sentences" if self._sentence_column else "id, text, lex, NULL AS sentences"
            rows = self.db.execute(f"SELECT {columns} FROM paragraphs WHERE id IN ({marks})", list(ids)).fetchall()
            docs: dict[int, list[DocumentRow]] = {}
            for r in self.db.execute(
                f"""SELECT o.paragraph_id AS pid, d.* FROM occurrences o JOIN documents d ON d.id = o.document_id
                    WHERE o.paragraph_id IN ({marks}) ORDER BY d.date IS NULL, d.date, d.added_at, d.id""",
                list(ids),
            ):
                docs.setdefault(r["pid"], []).append(DocumentRow.from_row(r))
            out = {}
            for r in rows:
                uniq = tuple(dict.fromkeys(docs.get(r["id"], [])))
                sentences = _unpack(r["sentences"], self.manifest["dimension"])
                out[r["id"]] = ParagraphRow(r["id"], r["text"], tuple(r["lex"].split()), uniq, sentences)
            return out

    def documents(self) -> list[DocumentRow]:
        with integrity.reading(self.folder / "corpus.sqlite"):
            rows = self.db.execute(
                """SELECT d.*, COUNT(o.paragraph_id) AS n FROM documents d LEFT JOIN occurrences o ON o.document_id = d.id
                   GROUP BY d.id ORDER BY d.date DESC, d.title"""
            ).fetchall()
            return [DocumentRow.from_row(r, r["n"]) for r in rows]

    def close(self) -> None:
        conn = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None
