"""What an index folder's files mean: the SQLite schema and its versions, and the manifest.

``corpus.sqlite`` records its schema version in ``PRAGMA user_version``.  A
writer opening a copy of an older file applies the numbered ``MIGRATIONS`` in
order and stamps the new version; a reader never changes a published file and
reads an older version through the same knowledge (``paragraph_columns``).
Files written before the version was stamped carry 0 whatever their shape;
``schema_version`` tells the two shapes such files come in apart, once, on open.

The manifest (``manifest.json``) names the model, dimension, counts, format
version and times, and every file's size and checksum (index/integrity.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import numpy as np

from index import integrity
from index.store.protocol import DocumentRow, IndexMismatch

FORMAT_VERSION = 1  # of the folder as a whole; a reader refuses any other
CORPUS = "corpus.sqlite"
VECTORS = "vectors.faiss"

SCHEMA = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL DEFAULT '',
    date TEXT,
    url TEXT,
    origin TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    added_at TEXT NOT NULL
);
CREATE TABLE paragraphs (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    key TEXT NOT NULL,
    lex TEXT NOT NULL,
    sentences BLOB  -- float16 vectors of its sentences (text.sentence_spans), or NULL
);
CREATE INDEX paragraphs_key ON paragraphs(key);
CREATE TABLE occurrences (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX occurrences_paragraph ON occurrences(paragraph_id);
"""

# MIGRATIONS[n] turns version n - 1 into version n; SCHEMA above is the newest version.
MIGRATIONS: dict[int, str] = {
    1: "ALTER TABLE paragraphs ADD COLUMN sentences BLOB",  # sentence vectors, stored at index time
}
SCHEMA_VERSION = max(MIGRATIONS)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- the database ------------------------------------------------------------------------


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
    conn.row_factory = sqlite3.Row
    return conn


def schema_version(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version; IndexMismatch for one newer than this code knows."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:  # written before versions were stamped: with sentence vectors (1) or without (0)
        version = int(any(row[1] == "sentences" for row in db.execute("PRAGMA table_info(paragraphs)")))
    if version > SCHEMA_VERSION:
        raise IndexMismatch(
            f"{path} has schema version {version}, this version reads up to {SCHEMA_VERSION}; "
            "upgrade crisisbot or re-index with `crisisbot index build`"
        )
    return version


def open_for_writing(path: Path) -> sqlite3.Connection:
    """``path`` opened read-write at the newest schema: created, or an existing copy migrated, in one transaction."""
    fresh = not path.exists()
    db = connect(path)
    version = 0 if fresh else schema_version(db, path)
    steps = [SCHEMA] if fresh else [MIGRATIONS[n] + ";" for n in range(version + 1, SCHEMA_VERSION + 1)]
    if steps:
        db.executescript("BEGIN;\n" + "\n".join(steps) + f"\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;")
    return db


def paragraph_columns(version: int) -> str:
    """The SELECT list for a paragraph's id, text, lex and sentences at schema ``version``."""
    return "id, text, lex, sentences" if version >= 1 else "id, text, lex, NULL AS sentences"


# A document's columns as ``document_row`` reads them (``id_in_source`` is taken out of the JSON
# metadata by SQLite, not by json.loads per row: this runs for every candidate of every question).
DOCUMENT_COLUMNS = "d.id, d.title, d.outlet, d.date, d.url, d.origin, json_extract(d.meta, '$.id_in_source') AS id_in_source"


def document_row(row: sqlite3.Row, paragraphs: int = 0) -> DocumentRow:
    return DocumentRow(row["id"], row["title"], row["outlet"], row["date"], row["url"], row["origin"], paragraphs,
                       row["id_in_source"])


def pack_sentences(vectors: np.ndarray | None) -> bytes | None:
    return None if vectors is None else np.asarray(vectors, np.float16).tobytes()


def unpack_sentences(blob: bytes | None, dimension: int) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, np.float16).reshape(-1, dimension).astype(np.float32)


def unpack_sentences_of(blobs: list[bytes | None], dimension: int) -> list[np.ndarray | None]:
    """``unpack_sentences`` of each blob, converted in one go (a question reads a few hundred rows)."""
    present = [blob for blob in blobs if blob is not None]
    if not present:
        return [None] * len(blobs)
    whole = np.frombuffer(b"".join(present), np.float16).astype(np.float32).reshape(-1, dimension)
    whole.flags.writeable = False  # the rows share it
    out: list[np.ndarray | None] = []
    start = 0
    for blob in blobs:
        if blob is None:
            out.append(None)
            continue
        end = start + len(blob) // (2 * dimension)
        out.append(whole[start:end])
        start = end
    return out


# --- the manifest ------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """The manifest of the index at ``folder``; IndexDamaged if it is missing or unreadable."""
    path = folder / integrity.MANIFEST
    with integrity.reading(path):
        manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise integrity.damaged(path, "is not an index manifest")
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically: a temporary file, fsync, rename."""
    path = folder / integrity.MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
