"""The copies of sources kept under ``<data dir>/sources/``, so a rebuild needs neither the
uploader's files nor the network.

* Added files are copied byte for byte (``sources/<name>``; a different file of the same
  name becomes ``<stem>-<hash>.<suffix>``).
* Fetched pages are kept as one JSON Lines record each under ``sources/web/<id>.jsonl``:
  written and read only here (a rebuild reads it back with the ordinary .jsonl reader).
  Only these are URL sources, the ones a refresh fetches again.
* A removed source's copy is set aside (hidden, so rebuilds skip it) and deleted once the
  removal is published, or put back if it fails.

Every change is registered with the store transaction it belongs to, so it is undone when
the write is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from index.fsutil import private_dir, write_private
from index.ingest import Document, MalformedSource, Problem, iter_files, read_source_bytes
from index.store import Transaction

WEB = "web"


class KeptSources:
    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def web(self) -> Path:
        """Fetched pages: the only URL sources a refresh fetches."""
        return self.folder / WEB

    def keep_files(self, paths: list[Path], tx: Transaction) -> tuple[list[Path], list[Problem]]:
        """Copy the files under ``paths`` here (inside the write); the copies, and what was refused and why."""
        private_dir(self.folder)
        kept: list[Path] = []
        skipped: list[Problem] = []
        for src in iter_files(paths, skipped):
            try:
                data = read_source_bytes(src)
            except (MalformedSource, OSError) as exc:
                reason = str(exc) if isinstance(exc, MalformedSource) else f"cannot read: {exc.strerror or exc}"
                skipped.append(Problem(str(src), reason))
                continue
            dest = self.folder / src.name
            if dest.exists() and dest.read_bytes() != data:
                dest = self.folder / f"{src.stem}-{hashlib.sha1(data).hexdigest()[:8]}{src.suffix}"
            if not dest.exists():
                write_private(dest, data)
                tx.on_discard(lambda d=dest: d.unlink(missing_ok=True))
            kept.append(dest)
        return kept, skipped

    def keep_page(self, document: Document, tx: Transaction) -> Path:
        """Write a fetched page's record (replacing an older one of the same URL); the document's origin is it."""
        kept = private_dir(self.web) / f"{document.id}.jsonl"
        previous = kept.read_bytes() if kept.exists() else None
        write_private(kept, (json.dumps(page_record(document), ensure_ascii=False) + "\n").encode("utf-8"))
        tx.on_discard(lambda: write_private(kept, previous) if previous is not None else kept.unlink(missing_ok=True))
        document.origin = str(kept)
        return kept

    def url_sources(self) -> list[dict]:
        """Pages added as URLs (id, url, content_hash), read from their records; items of feeds are the poller's to refresh."""
        found = []
        for path in sorted(self.web.glob("url-*.jsonl")) if self.web.exists() else []:
            try:
                record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
            except (OSError, ValueError, IndexError):
                continue
            if record.get("source_url") and record.get("id") == path.stem and not record.get("feed"):  # feed items: the poller's
                found.append({"id": record["id"], "url": record["source_url"], "content_hash": record.get("content_hash")})
        return found

    def set_aside(self, path: Path, tx: Transaction) -> None:
        """A removed source's copy: hidden now, deleted once the removal is published, or put back."""
        if path.parent not in (self.folder, self.web) or not path.is_file():
            return
        aside = path.with_name(f".removing-{path.name}")
        os.replace(path, aside)
        tx.on_discard(lambda: os.replace(aside, path))
        tx.after_publish(lambda: aside.unlink(missing_ok=True))


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
