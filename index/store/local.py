"""LocalStore: the index in numbered folders of a data dir, the first ``Store`` (index/store/protocol.py).

It composes the rest of the package: ``layout`` for the folders, the lock and
publishing, ``writer`` for a write, ``snapshot`` for reading one published folder.
Each published folder holds::

    vectors.faiss     FAISS, inner product over unit vectors (exact or IVF by size; index/ann.py)
    lexical/          the bm25s index, and lexical_ids.npy mapping its rows to paragraph ids (index/lexical.py)
    corpus.sqlite     documents, paragraphs (with their sentences' vectors), occurrences (index/store/schema.py)
    manifest.json     model, dimension, counts, format version, times, every file's checksum
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from index.embed import Embedder, Progress
from index.ingest import Document
from index.store import layout
from index.store.protocol import ChangeReport, NoIndex
from index.store.snapshot import Snapshot
from index.store.writer import IndexWriter


class LocalTransaction:
    """One write in a staging folder.  The index to edit is opened when first needed: a copy of
    the current one (checked against the model and its checksums), or a new one."""

    def __init__(self, stage: layout.Staging, model: str, *, fresh: bool, progress: Progress | None):
        self.stage = stage
        self.model = model
        self.fresh = fresh
        self.progress = progress
        self.manifest: dict | None = None
        self._extra: dict = {}
        self._writer: IndexWriter | None = None

    def _open(self, embedder: Embedder | None = None) -> IndexWriter:
        if self._writer is None:
            current = None if self.fresh else layout.current_folder(self.stage.data_dir)
            if current is not None:
                self._writer = IndexWriter.copy_of(current, self.stage.folder, self.model)
            elif embedder is not None:
                self._writer = IndexWriter.create(self.stage.folder, embedder)
            else:
                raise NoIndex.at(self.stage.data_dir)
        return self._writer

    def add_documents(self, documents: Sequence[Document], embedder: Embedder, *, near_duplicate_ratio: float) -> ChangeReport:
        return self._open(embedder).add_documents(documents, embedder, near_duplicate_ratio=near_duplicate_ratio, progress=self.progress)

    def remove_documents(self, ids: Iterable[str]) -> ChangeReport:
        return self._open().remove_documents(ids)

    def origins(self) -> dict[str, str]:
        return self._open().origins()

    def annotate(self, **fields: object) -> None:
        self._extra.update(fields)

    def on_discard(self, action: Callable[[], object]) -> None:
        self.stage.on_discard(action)

    def after_publish(self, action: Callable[[], object]) -> None:
        self.stage.after_publish(action)

    def commit(self) -> dict:
        self.manifest = self._open().commit(self.progress, **self._extra)
        return self.manifest

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class LocalStore:
    """Published indexes under ``data_dir`` (layout: index/store/layout.py), built with ``model``."""

    def __init__(self, data_dir: Path, model: str):
        self.data_dir = data_dir
        self.model = model
        self.location = str(data_dir)
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        # The folder this store last published: its checksums were computed from the files it
        # just wrote, so loading it here skips hashing them again (any other folder is verified).
        self._written: Path | None = None

    def has_index(self) -> bool:
        return layout.current_folder(self.data_dir) is not None

    def current(self) -> Snapshot:
        """The current index; picks up a newer one published by any process."""
        folder = layout.current_folder(self.data_dir)
        if folder is None:
            raise NoIndex.at(self.data_dir)
        snap = self._snapshot
        if snap is None or snap.folder != folder:
            with self._snapshot_lock:
                snap = self._snapshot
                if snap is None or snap.folder != folder:
                    snap = Snapshot(folder, self.model, verify=folder != self._written)
                    self._snapshot = snap
        return snap

    @contextmanager
    def write(self, *, fresh: bool = False, progress: Progress | None = None) -> Iterator[LocalTransaction]:
        """Lock, a staging folder, the caller's edits, commit, publish; or discard all of it (layout.staging)."""
        with layout.staging(self.data_dir) as stage:
            tx = LocalTransaction(stage, self.model, fresh=fresh, progress=progress)
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.close()
                raise
        self._written = stage.published.resolve() if stage.published is not None else None
