"""A corpus moved between stores: ``crisisbot store export`` writes one to a folder, ``store import`` reads it back.

The folder holds::

    manifest.json       format, version, model, dimension, counts
    documents.jsonl     one document a line: its metadata and its paragraph ids by position
    paragraphs.jsonl    one paragraph a line: id, text, search tokens, sentence count (null: none stored)
    vectors.npy         float32, one unit vector per line of paragraphs.jsonl, in its order
    sentences.npy       float16, every paragraph's sentence vectors one after another, in the same order
    kept.jsonl          the copies of added sources kept for rebuilds (index/kept.py): name, kind, SHA-256,
                        and the origin their documents had in the exporting store
    kept/<name>         each copy's bytes (``kept/web/<id>.jsonl`` for a fetched page)

Rows go in as they came out (ids, search tokens, vectors): nothing is embedded or deduplicated again, so
the imported index answers as the exported one did.  Export reads any published view (the local
store's folders or Postgres); import replaces the configured store's corpus in one write, and with it
its kept copies (their documents' origins renamed to where the importing store keeps them), so a
rebuild after a move reads what it read before.  An export of version 1 has no copies: importing it
leaves the store's own.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from index import text as textlib
from index.errors import BadInput, IndexMismatch
from index.kept import KeptSources, check_name, kind_of
from index.store.composite import CompositeView
from index.store.local import LocalTransaction
from index.store.protocol import ReadView, Store, Transaction
from index.store.schema import now, pack_sentences
from index.store.snapshot import Snapshot

FORMAT = "crisisbot-corpus"
VERSION = 2  # 2: with the kept copies
READS = (1, 2)
DOCUMENT_FIELDS = ("id", "title", "outlet", "date", "url", "origin", "meta", "added_at")


@dataclass(frozen=True)
class Copy:
    """A kept source: its name (index/kept.py), its documents' origin in the exporting store, its bytes."""

    name: str
    origin: str
    data: bytes


@dataclass
class Corpus:
    model: str
    dimension: int
    documents: list[dict]  # DOCUMENT_FIELDS (meta a dict) and "paragraphs": ids by position
    paragraphs: list[dict]  # id, text, lex, sentences (their count, or None)
    vectors: np.ndarray
    sentences: list[np.ndarray | None]
    kept: list[Copy] | None = None  # None: an export made before copies were carried

    def occurrences(self) -> Iterator[tuple[str, int, int]]:
        for doc in self.documents:
            for position, pid in enumerate(doc["paragraphs"]):
                yield doc["id"], position, pid


# --- reading a view ---------------------------------------------------------------------------


def _document_rows(db, skip: frozenset[str] = frozenset()) -> list[dict]:
    """Documents and their paragraph ids by position, from the local store's SQLite or Postgres (same tables)."""
    meta_text = "meta" if isinstance(db, sqlite3.Connection) else "meta::text"
    documents = {
        row[0]: dict(zip(DOCUMENT_FIELDS, row), paragraphs=[])
        for row in db.execute(f"SELECT id, title, outlet, date, url, origin, {meta_text}, added_at FROM documents ORDER BY added_at, id")
        if row[0] not in skip
    }
    for doc_id, _, pid in db.execute("SELECT document_id, position, paragraph_id FROM occurrences ORDER BY document_id, position"):
        if doc_id in documents:
            documents[doc_id]["paragraphs"].append(int(pid))
    for doc in documents.values():
        doc["meta"] = json.loads(doc["meta"]) if isinstance(doc["meta"], str) else doc["meta"]
    return list(documents.values())


def read_view(view: ReadView) -> Corpus:
    """The whole corpus of a published view."""
    if isinstance(view, CompositeView):
        documents = _document_rows(view.base.db, view.removed_documents) + _document_rows(view.delta.db)
    elif isinstance(view, Snapshot):
        documents = _document_rows(view.db)
    else:  # Postgres (index/store/postgres/view.py): the same tables
        documents = _document_rows(view.db)  # type: ignore[attr-defined]
    ids = sorted({pid for doc in documents for pid in doc["paragraphs"]})
    rows = view.paragraphs(ids)
    paragraphs = [{"id": pid, "text": rows[pid].text, "lex": " ".join(rows[pid].lex),
                   "sentences": None if rows[pid].sentence_vectors is None else len(rows[pid].sentence_vectors)} for pid in ids]
    return Corpus(view.manifest["model"], int(view.manifest["dimension"]), documents, paragraphs,
                  view.vectors_of(ids).astype(np.float32), [rows[pid].sentence_vectors for pid in ids])


def read_kept(kept: KeptSources) -> list[Copy]:
    """Every kept copy, with the origin its documents have."""
    return [Copy(name, kept.origin(name), kept.read(name) or b"") for name in kept.names()]


# --- the folder -------------------------------------------------------------------------------


def save(corpus: Corpus, folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BadInput(f"{folder} is not empty; export into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as f:
        for doc in corpus.documents:
            f.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    with open(folder / "paragraphs.jsonl", "w", encoding="utf-8") as f:
        for row in corpus.paragraphs:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", corpus.vectors)
    kept = [s for s in corpus.sentences if s is not None]
    np.save(folder / "sentences.npy", np.concatenate(kept).astype(np.float16) if kept else np.zeros((0, corpus.dimension), np.float16))
    copies = corpus.kept or []
    with open(folder / "kept.jsonl", "w", encoding="utf-8") as f:
        for copy in copies:
            path = folder / "kept" / check_name(copy.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(copy.data)
            record = {"name": copy.name, "kind": kind_of(copy.name), "sha256": hashlib.sha256(copy.data).hexdigest(), "origin": copy.origin}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    manifest = {"format": FORMAT, "version": VERSION, "model": corpus.model, "dimension": corpus.dimension,
                "documents": len(corpus.documents), "paragraphs": len(corpus.paragraphs), "kept": len(copies)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def load(folder: Path) -> Corpus:
    """The corpus exported to ``folder``; BadInput saying what is wrong with one that is not."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or manifest.get("version") not in READS:
            raise BadInput(f"{folder} is not a crisisbot corpus export of version {' or '.join(map(str, READS))}")
        documents = [json.loads(line) for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines() if line]
        paragraphs = [json.loads(line) for line in (folder / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines() if line]
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        packed = np.load(folder / "sentences.npy", allow_pickle=False)
        kept = _load_kept(folder) if manifest["version"] >= 2 else None
    except (OSError, ValueError, KeyError) as exc:
        raise BadInput(f"cannot read the corpus export at {folder}: {exc}") from None
    dimension = int(manifest["dimension"])
    if vectors.shape != (len(paragraphs), dimension):
        raise BadInput(f"{folder}: vectors.npy holds {vectors.shape}, not {len(paragraphs)} vectors of {dimension}")
    sentences, start = [], 0
    for row in paragraphs:
        n = row.get("sentences")
        sentences.append(None if n is None else packed[start : start + n].astype(np.float32))
        start += n or 0
    return Corpus(manifest["model"], dimension, documents, paragraphs, vectors.astype(np.float32), sentences, kept)


def _load_kept(folder: Path) -> list[Copy]:
    copies = []
    for line in (folder / "kept.jsonl").read_text(encoding="utf-8").splitlines():
        if not line:
            continue
        record = json.loads(line)
        data = (folder / "kept" / check_name(record["name"])).read_bytes()
        if hashlib.sha256(data).hexdigest() != record["sha256"]:
            raise ValueError(f"kept/{record['name']} does not match its SHA-256 in kept.jsonl")
        copies.append(Copy(record["name"], record["origin"], data))
    return copies


# --- writing into a store ---------------------------------------------------------------------


def import_into(store: Store, corpus: Corpus, model: str, kept: KeptSources | None = None) -> dict:
    """Replace the store's corpus with ``corpus`` in one write, and ``kept``'s copies with the corpus's
    (unless it carries none); the published manifest."""
    if corpus.model != model:
        raise IndexMismatch(f"the export was made with model {corpus.model!r} but the configured model is {model!r}; "
                            "set CRISISBOT_MODEL to it, or index the sources again")
    with store.write(fresh=True) as tx:
        if kept is not None and corpus.kept is not None:
            _replace_kept(kept, corpus, tx)
        _load(tx, corpus)
        tx.annotate(imported_at=now())
    assert tx.manifest is not None
    return tx.manifest


def _replace_kept(kept: KeptSources, corpus: Corpus, tx: Transaction) -> None:
    """The store's copies become the corpus's, and documents read from one get the origin it has here."""
    assert corpus.kept is not None
    carried = {copy.name for copy in corpus.kept}
    for name in kept.names():
        if name not in carried:
            kept.set_aside(name, tx)
    renamed = {}
    for copy in corpus.kept:
        if kept.read(copy.name, tx) != copy.data:
            kept.write(copy.name, copy.data, tx)
        renamed[copy.origin] = kept.origin(copy.name)
    for doc in corpus.documents:
        doc["origin"] = renamed.get(doc["origin"], doc["origin"])


def _paragraph_rows(corpus: Corpus) -> list[tuple]:
    return [(row["id"], row["text"], textlib.dedup_key(row["text"]), row["lex"], pack_sentences(sentences), vector)
            for row, vector, sentences in zip(corpus.paragraphs, corpus.vectors, corpus.sentences)]


def _document_tuples(corpus: Corpus) -> list[tuple]:
    return [tuple(json.dumps(doc["meta"], ensure_ascii=False) if name == "meta" else doc[name] for name in DOCUMENT_FIELDS)
            for doc in corpus.documents]


def _load(tx: Transaction, corpus: Corpus) -> None:
    paragraphs = _paragraph_rows(corpus)
    if isinstance(tx, LocalTransaction):
        writer = tx._open(SimpleNamespace(name=corpus.model, dimension=corpus.dimension))  # type: ignore[arg-type]
        with writer.db:
            writer.db.executemany(f"INSERT INTO documents ({', '.join(DOCUMENT_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  _document_tuples(corpus))
            writer.db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)",
                                  [row[:5] for row in paragraphs])
            writer.db.executemany("INSERT OR IGNORE INTO occurrences (document_id, position, paragraph_id) VALUES (?, ?, ?)",
                                  list(corpus.occurrences()))
        writer.vectors.add(corpus.vectors, [row["id"] for row in corpus.paragraphs])
        return
    from index.store.postgres import lexical, schema

    tx.model, tx.dimension = corpus.model, corpus.dimension  # type: ignore[attr-defined]
    schema.ensure_dimension(tx.conn, corpus.dimension)  # type: ignore[attr-defined]
    rows = [(pid, text, key, lex, lexical.length_of(lex), sentences, vector) for pid, text, key, lex, sentences, vector in paragraphs]
    tx.insert_rows(_document_tuples(corpus), rows, corpus.occurrences())  # type: ignore[attr-defined]
