"""What reading sources produces: documents, the problems met on the way, and the report of both."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class Document:
    """One article: metadata plus its cleaned, boilerplate-free paragraphs."""

    id: str
    title: str
    paragraphs: list[str]
    origin: str
    url: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    outlet: str = ""
    meta: dict = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list, compare=False)  # what reading it cut or changed; not stored


@dataclass
class Problem:
    """A file (or a line of one) that was skipped, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class LoadReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    boilerplate_dropped: int = 0
    short_dropped: int = 0
    paragraphs_split: int = 0  # paragraphs longer than max_chars, split into pieces
    paragraphs_cut: int = 0  # paragraphs left out because a document had more than max_paragraphs


def document_id(namespace: str, local_id: str) -> str:
    """A document's id: its source file (``namespace``) and the id it has inside that file."""
    return hashlib.sha1(f"{namespace}\x1f{local_id}".encode()).hexdigest()[:12]
