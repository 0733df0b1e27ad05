"""LocalStore: the index in numbered folders of a data dir, the first ``Store`` (index/store/protocol.py).

It composes the rest of the package: ``layout`` for the folders, the lock and
publishing, ``writer`` for a write, ``snapshot`` for reading one published folder,
``delta`` and ``composite`` for the small writes over a large base.
Each published folder holds::

    vectors.faiss     FAISS, inner product over unit vectors (exact or IVF by size; index/ann.py)
    lexical/          the bm25s index, and lexical_ids.npy mapping its rows to paragraph ids (index/lexical.py)
    corpus.sqlite     documents, paragraphs (with their sentences' vectors), occurrences (index/store/schema.py)
    manifest.json     model, dimension, counts, format version, times, every file's checksum
    removals.json     in a delta only: the base's documents and paragraphs it removed (index/store/delta.py)

A build writes a base; every later write a delta over it (copying the delta, never the base), until
the delta is due to be merged into a new base (``merge``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from index.embed import Embedder, Progress
from index.ingest import Document
from index.store import delta, layout, schema
from index.store.composite import CompositeView
from index.store.protocol import ChangeReport, NoIndex
from index.store.snapshot import Snapshot
from index.store.writer import IndexWriter

View = Snapshot | CompositeView
WRITTEN_KEPT = 8  # folders remembered as written by this process (trusted without hashing)


def load_view(folder: Path, model: str, *, verify: bool = True, base: Snapshot | None = None) -> View:
    """The published index at ``folder``: a base ``Snapshot``, or a delta read with its base (``base``, when
    already loaded, else loaded from the folder the delta names).  Any damage is IndexDamaged naming the file."""
    manifest = schema.read_manifest(folder)
    if not delta.is_delta(manifest):
        return Snapshot(folder, model, verify=verify)
    base_folder = folder.parent / delta.base_name(manifest, folder)
    if base is None or base.folder != base_folder:
        base = Snapshot(base_folder, model, verify=verify)
    own = Snapshot(folder, model, verify=verify)
    removed_documents, removed_paragraphs = delta.read_removals(folder)
    return CompositeView(base, own, removed_documents, removed_paragraphs)


class LocalTransaction:
    """One write in a staging folder.  The index to edit is opened when first needed: a copy of
    the current one (checked against the model and its checksums), or a new one."""

    def __init__(self, stage: layout.Staging, store: LocalStore, *, fresh: bool, progress: Progress | None):
        self.stage = stage
        self.store = store
        self.model = store.model
        self.fresh = fresh
        self.progress = progress
        self.manifest: dict | None = None
        self._extra: dict = {}
        self._writer: IndexWriter | None = None

    def _open(self, embedder: Embedder | None = None) -> IndexWriter:
        if self._writer is None:
            current = None if self.fresh else layout.current_folder(self.stage.data_dir)
            if current is not None:
                view = self.store.current()  # under the write lock: what ``current`` links to
                if isinstance(view, CompositeView):
                    self._writer = delta.DeltaWriter.copy_of(current, self.stage.folder, view.base)
                else:
                    self._writer = delta.DeltaWriter.start(self.stage.folder, view)
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
        self._snapshot: View | None = None
        self._snapshot_lock = threading.Lock()
        # The folders this store published last (a delta and the base it stands on): their checksums were
        # computed from the files it just wrote, so loading them here skips hashing them again.
        self._written: list[Path] = []

    def has_index(self) -> bool:
        return layout.current_folder(self.data_dir) is not None

    def current(self) -> View:
        """The current index; picks up a newer one published by any process."""
        folder = layout.current_folder(self.data_dir)
        if folder is None:
            raise NoIndex.at(self.data_dir)
        snap = self._snapshot
        if snap is None or snap.folder != folder:
            with self._snapshot_lock:
                snap = self._snapshot
                if snap is None or snap.folder != folder:
                    # A delta over the base already loaded loads only itself: O(delta), not O(index).
                    base = snap.base if isinstance(snap, CompositeView) else snap
                    snap = load_view(folder, self.model, verify=folder not in self._written, base=base)
                    self._snapshot = snap
        return snap

    def merge_due(self) -> bool:
        """Whether the small writes since the last base are many enough to fold into a new one."""
        view = self.current() if self.has_index() else None
        if not isinstance(view, CompositeView):
            return False
        changes = view.delta.size + len(view.removed_paragraphs)
        return changes >= delta.merge_threshold(view.base.size)

    def merge(self, *, progress: Progress | None = None) -> dict | None:
        """Fold the current delta into a new base and publish it (the old version serves meanwhile, and after
        a crash); the new manifest, or None when the current index is already a base."""
        try:
            with layout.staging(self.data_dir) as stage:
                view = self.current()
                if not isinstance(view, CompositeView):
                    raise _NothingToMerge
                writer = delta.merge(view.base, view.folder, stage.folder)
                try:
                    manifest = writer.commit(progress, merged_at=schema.now())
                except BaseException:
                    writer.close()
                    raise
        except _NothingToMerge:
            return None
        self._published(stage.published)
        return manifest

    @contextmanager
    def write(self, *, fresh: bool = False, progress: Progress | None = None) -> Iterator[LocalTransaction]:
        """Lock, a staging folder, the caller's edits, commit, publish; or discard all of it (layout.staging)."""
        with layout.staging(self.data_dir) as stage:
            tx = LocalTransaction(stage, self, fresh=fresh, progress=progress)
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.close()
                raise
        if stage.published is not None:
            self._published(stage.published)

    def _published(self, folder: Path) -> None:
        self._written = [*self._written[-(WRITTEN_KEPT - 1):], folder.resolve()]


class _NothingToMerge(Exception):
    """The current index is a base already: the merge's staging folder is discarded."""
