"""The narrow contract between ``CrisisService`` and wherever the index is kept.

A ``Store`` publishes versions of one index.  Reading goes through the current
``ReadView``, a version that never changes once handed out; writing goes through
one transaction (``with store.write() as tx:``) that is published whole when the
block ends, or discarded, undoing what it registered, when it raises.

``index.store.local.LocalStore`` keeps the index in numbered folders of a data dir;
``tests/test_store_protocol.py`` holds a second store, in memory, written against
this file alone (txtai: ``ann/base.py`` and its backends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.errors import IndexMismatch, IndexProblem, NoIndex, NothingToIndex, WriteInProgress  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from index.embed import Embedder, Progress
    from index.ingest import Document
    from index.lexical import Vocabulary


# --- errors ----------------------------------------------------------------------------


# The store's errors are the spine's (index/errors.py): NoIndex, IndexMismatch, IndexDamaged,
# WriteInProgress, NothingToIndex; re-exported here for the store's modules.


# --- what a store hands out --------------------------------------------------------------


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


# --- the contract ------------------------------------------------------------------------


class ReadView(Protocol):
    """One published version of the index, read-only and safe to share between threads."""

    manifest: dict  # model, dimension, counts, format version, times, and what the write added
    location: str  # where it is kept, for people (a folder, "memory")

    @property
    def size(self) -> int:
        """Paragraphs held."""

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(paragraph id, cosine) of the ``k`` nearest paragraphs, best first."""

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(paragraph id, BM25 score > 0) of the ``k`` best paragraphs for ``tokens``, best first."""

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """IDF of each distinct token, normalised to sum to 1 (``index.lexical.LexicalIndex.term_weights``)."""

    def vocabulary(self) -> Vocabulary:
        """The lexical terms and their paragraph counts (``index.lexical.Vocabulary``)."""

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        """The stored unit vectors of ``ids``, one row each, in order."""

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        """The paragraphs of ``ids`` that exist, by id."""

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The dates of the documents carrying each of ``ids`` (their ``ParagraphRow.documents``' dates, undated
        ones left out; an id without any may be left out): what a search within dates filters its candidates by
        before it reads their rows."""

    def documents(self) -> list[DocumentRow]:
        """Every document with its paragraph count, newest first."""


class Transaction(Protocol):
    """One write: a new version of the index (made from the current one, or a new one), published on success."""

    manifest: dict | None  # the published version's manifest, once the block has ended

    def add_documents(self, documents: Sequence[Document], embedder: Embedder, *, near_duplicate_ratio: float) -> ChangeReport:
        """Add documents, deduplicated; a document whose id exists replaces the old one."""

    def remove_documents(self, ids: Iterable[str]) -> ChangeReport:
        """Remove documents, and the paragraphs no remaining document carries; NoIndex as for ``origins``."""

    def origins(self) -> dict[str, str]:
        """Document id -> origin (the file it was read from), as the write stands now;
        NoIndex when there is no index yet (none published, nothing added)."""

    def annotate(self, **fields: object) -> None:
        """Fields for the manifest written at commit (``built_at``, ``sources``...)."""

    def on_discard(self, action: Callable[[], object]) -> None:
        """Run ``action()`` if the write fails (latest first): undo a change made outside the store."""

    def after_publish(self, action: Callable[[], object]) -> None:
        """Run ``action()`` once the write is published, before another write can start."""


class Store(Protocol):
    location: str  # for messages: where the index is kept

    def has_index(self) -> bool:
        ...

    def current(self) -> ReadView:
        """The published index (the newest, should another process have published since); NoIndex if none."""

    def write(self, *, fresh: bool = False, progress: Progress | None = None) -> AbstractContextManager[Transaction]:
        """One transaction over a new index (``fresh``) or the current one (a new one if there is none).

        Only one write runs at a time (WriteInProgress for another); whatever the
        caller reads inside the block cannot change under it.
        """

    def merge_due(self) -> bool:
        """Whether the store has kept enough small writes apart to fold them together now (``merge``)."""

    def merge(self, *, progress: Progress | None = None) -> dict | None:
        """Fold the small writes kept apart into one published version, as one more write (WriteInProgress
        while another runs); its manifest, or None when there was nothing to fold.  A store whose writes
        need no folding returns None."""
