"""The copies of sources kept so a rebuild needs neither the uploader's files nor the network.

A copy has a name: an added file's own (``lviv.txt``; a different file of the same name becomes
``<stem>-<hash>.<suffix>``), or ``web/<id>.jsonl`` for a fetched page, kept as one JSON Lines
record written and read only here (a rebuild reads it back with the ordinary .jsonl reader).
Only those pages are URL sources, the ones a refresh fetches again.

Two backends keep them, chosen with the store (``kept_sources``):

* ``KeptFolder``: files under ``<data dir>/sources/`` (the local store, and any store of its own);
* ``index.store.postgres.kept.KeptInPostgres``: rows of the PostgreSQL database the index is in,
  written in the index write's own transaction, so every host behind that database sees them.

Every change is registered with the store transaction it belongs to: a discarded write leaves
no copy behind, and a removed source's copy is hidden at once and gone once the removal is
published (or back if it fails).  ``readable`` hands the copies to the ordinary readers as a
folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath

from index.fsutil import private_dir, write_private
from index.ingest import Document, MalformedSource, Problem, iter_files, read_source_bytes
from index.store import Transaction

WEB = "web"
FILE, PAGE = "file", "page"


def kind_of(name: str) -> str:
    """A copy's kind: a fetched page (``web/<id>.jsonl``) or an added file."""
    return PAGE if name.startswith(f"{WEB}/") else FILE


def check_name(name: str) -> str:
    """``name`` if it can be a copy's name (relative, no ``..``, empty parts or NUL); ValueError if not."""
    if not name or "\0" in name or PurePosixPath(name).is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"{name!r} is not the name of a kept source")
    return name


class KeptSources(ABC):
    """The copies of added sources, by name; a backend stores, reads and removes them."""

    location: str  # for people and manifests: where the copies are

    # --- what a backend implements ------------------------------------------------------

    @abstractmethod
    def origin(self, name: str) -> str:
        """The origin recorded for documents read from the copy ``name``."""

    @abstractmethod
    def name_of(self, origin: str) -> str | None:
        """The copy a document's ``origin`` names; None for a document read from anywhere else."""

    @abstractmethod
    def names(self) -> list[str]:
        """Every copy's name, sorted."""

    @abstractmethod
    def read(self, name: str, tx: Transaction | None = None) -> bytes | None:
        """The copy's bytes (as ``tx`` sees them, when given); None if there is none."""

    @abstractmethod
    def write(self, name: str, data: bytes, tx: Transaction) -> None:
        """Keep ``data`` as ``name`` (replacing a copy of that name), undone if ``tx`` is discarded."""

    @abstractmethod
    def set_aside(self, name: str, tx: Transaction) -> None:
        """Remove the copy: hidden now, deleted once ``tx`` is published, back if it is discarded."""

    @abstractmethod
    def readable(self, tx: Transaction, names: Sequence[str] | None = None) -> AbstractContextManager[Path | None]:
        """A folder holding the copies ``names`` (default: all) as their names say, for the readers,
        while the block runs; None when there are no copies."""

    # --- the same for every backend -------------------------------------------------------

    def keep_files(self, paths: list[Path], tx: Transaction) -> tuple[list[str], list[Problem]]:
        """Copy the files under ``paths`` (inside the write); the copies' names, and what was refused and why."""
        kept: list[str] = []
        skipped: list[Problem] = []
        for src in iter_files(paths, skipped):
            try:
                data = read_source_bytes(src)
            except (MalformedSource, OSError) as exc:
                reason = str(exc) if isinstance(exc, MalformedSource) else f"cannot read: {exc.strerror or exc}"
                skipped.append(Problem(str(src), reason))
                continue
            name = src.name
            existing = self.read(name, tx)
            if existing is not None and existing != data:
                name = f"{src.stem}-{hashlib.sha1(data).hexdigest()[:8]}{src.suffix}"
                existing = self.read(name, tx)
            if existing is None:
                self.write(name, data, tx)
            kept.append(name)
        return kept, skipped

    def keep_page(self, document: Document, tx: Transaction) -> str:
        """Keep a fetched page's record (replacing an older one of the same URL); the document's origin is it."""
        name = f"{WEB}/{document.id}.jsonl"
        self.write(name, (json.dumps(page_record(document), ensure_ascii=False) + "\n").encode("utf-8"), tx)
        document.origin = self.origin(name)
        return name

    def page(self, document_id: str) -> dict | None:
        """The kept record of the fetched page ``document_id`` (see ``page_record``), if there is one."""
        return self._record(f"{WEB}/{document_id}.jsonl")

    def _record(self, name: str) -> dict | None:
        try:
            record = json.loads((self.read(name) or b"").decode("utf-8").splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return record if isinstance(record, dict) else None

    def counts(self) -> dict[str, int]:
        """How many copies there are of each kind (``FILE``, ``PAGE``)."""
        kinds = [kind_of(name) for name in self.names()]
        return {FILE: kinds.count(FILE), PAGE: kinds.count(PAGE)}

    def forget(self, origin: str, tx: Transaction) -> None:
        """The copy a removed source was read from (if any): hidden now, deleted once published, or put back."""
        name = self.name_of(origin)
        if name is not None:
            self.set_aside(name, tx)

    def url_sources(self) -> list[dict]:
        """Pages added as URLs (id, url, content_hash), read from their records; items of feeds are the poller's to refresh."""
        found = []
        for name in self.names():
            path = PurePosixPath(name)
            if kind_of(name) != PAGE or not path.name.startswith("url-") or path.suffix != ".jsonl" or len(path.parts) != 2:
                continue
            record = self._record(name)
            if record is None:
                continue
            if record.get("source_url") and record.get("id") == path.stem and not record.get("feed"):  # feed items: the poller's
                found.append({"id": record["id"], "url": record["source_url"], "content_hash": record.get("content_hash")})
        return found


class KeptFolder(KeptSources):
    """The copies as files under ``folder`` (``<data dir>/sources/``), pages under ``folder/web/``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.location = str(folder)

    @property
    def web(self) -> Path:
        """Fetched pages: the only URL sources a refresh fetches."""
        return self.folder / WEB

    def origin(self, name: str) -> str:
        return str(self.folder / name)

    def name_of(self, origin: str) -> str | None:
        path = Path(origin)
        if path.parent not in (self.folder, self.web):
            return None
        return path.relative_to(self.folder).as_posix()

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(path.relative_to(self.folder).as_posix() for path in iter_files([self.folder]) if path.is_file())

    def read(self, name: str, tx: Transaction | None = None) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.exists() else None

    def write(self, name: str, data: bytes, tx: Transaction) -> None:
        path = self.folder / name
        private_dir(path.parent)
        previous = path.read_bytes() if path.exists() else None
        write_private(path, data)
        tx.on_discard(lambda: write_private(path, previous) if previous is not None else path.unlink(missing_ok=True))

    def set_aside(self, name: str, tx: Transaction) -> None:
        path = self.folder / name
        if path.parent not in (self.folder, self.web) or not path.is_file():
            return
        aside = path.with_name(f".removing-{path.name}")
        os.replace(path, aside)
        tx.on_discard(lambda: os.replace(aside, path))
        tx.after_publish(lambda: aside.unlink(missing_ok=True))

    def keep_files(self, paths: list[Path], tx: Transaction) -> tuple[list[str], list[Problem]]:
        private_dir(self.folder)
        return super().keep_files(paths, tx)

    @contextmanager
    def readable(self, tx: Transaction, names: Sequence[str] | None = None) -> Iterator[Path | None]:
        """The folder itself: the copies are files already."""
        yield self.folder if self.folder.exists() else None


def kept_sources(store: object, folder: Path) -> KeptSources:
    """Where the copies live for ``store``: its own place (a store with ``kept_sources()``, PostgreSQL), else ``folder``."""
    own = getattr(store, "kept_sources", None)
    return own() if own is not None else KeptFolder(folder)


def page_record(document: Document) -> dict:
    """A fetched page as the JSON Lines record kept under ``web/`` (read back by the .jsonl reader)."""
    return {
        "id": document.id,
        "title": document.title,
        "date": document.date,
        "url": document.url,
        "outlet": document.outlet,
        "paragraphs": document.paragraphs,
        **{k: v for k, v in document.meta.items() if k != "format"},
    }
