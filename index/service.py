"""CrisisService: the one object the Discord bot and the CLI talk to.

It owns the embedding model (loaded once), the currently published index
snapshot (reloaded when another process publishes a new one) and every write
(build, add, remove), which always goes through a fresh folder and an atomic
swap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index import store
from index.answer import Answer, compose
from index.config import BUNDLED_CORPUS, Settings
from index.embed import Embedder, Progress
from index.ingest import Document, LoadReport, load
from index.search import DEFAULT_MODE, Passage, make_query, retrieve
from index.text import normalize_unicode

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


class BadQuestion(ValueError):
    """The question cannot be asked as given (empty, too long)."""


@dataclass
class WriteResult:
    manifest: dict
    change: store.ChangeReport
    load: LoadReport = field(default_factory=LoadReport)
    seconds: float = 0.0


def check_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """The question, cleaned of what no model should see; BadQuestion if nothing usable is left.

    Lone surrogates (invalid UTF-16 halves), control, zero-width and bidi
    characters are dropped and Unicode is normalised (NFKC).
    """
    question = (question or "").encode("utf-8", "ignore").decode("utf-8")
    question = normalize_unicode(question)
    if not question:
        raise BadQuestion("the question is empty")
    if len(question) > limit:
        raise BadQuestion(f"the question is {len(question)} characters long; the limit is {limit}")
    return question


class CrisisService:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None):
        self.settings = settings or Settings()
        self.data_dir = Path(self.settings.data_dir)
        self.embedder = embedder or Embedder(self.settings.model, device=self.settings.device, batch_size=self.settings.batch_size, backend=self.settings.backend)
        self._snapshot: store.Snapshot | None = None
        self._snapshot_lock = threading.Lock()

    # --- the published index ---------------------------------------------------------

    @property
    def sources_dir(self) -> Path:
        """Where files added by moderators and operators are kept, for rebuilds."""
        return self.data_dir / "sources"

    def has_index(self) -> bool:
        return store.current_folder(self.data_dir) is not None

    def snapshot(self) -> store.Snapshot:
        """The current index; picks up a newer one published by any process."""
        folder = store.current_folder(self.data_dir)
        if folder is None:
            raise store.NoIndex(f"no index in {self.data_dir} yet; build one with `crisisbot index build`")
        snap = self._snapshot
        if snap is None or snap.folder != folder:
            with self._snapshot_lock:
                snap = self._snapshot
                if snap is None or snap.folder != folder:
                    snap = store.Snapshot(folder, self.embedder.name)
                    self._snapshot = snap
        return snap

    # --- reading ---------------------------------------------------------------------

    def warm(self) -> None:
        """Load the model and the index now rather than on the first question."""
        self.embedder.load()
        self.snapshot()

    def retrieve(self, question: str, k: int | None = None, *, since: dt.date | None = None, until: dt.date | None = None, mode: str = DEFAULT_MODE) -> tuple[store.Snapshot, object, list[Passage]]:
        snap = self.snapshot()
        vector = self.embedder.encode_one(question)
        query = make_query(snap, question, vector, since, until)
        passages = retrieve(snap, query, k or self.settings.top_k, dense_weight=self.settings.dense_weight, mode=mode)
        return snap, query, passages

    def ask(self, question: str, k: int | None = None, *, since: dt.date | None = None, until: dt.date | None = None, mode: str = DEFAULT_MODE) -> Answer:
        """A cited answer, or an abstention when the corpus does not support one.

        ``took_ms`` runs from the question to the answer; the one-off model load
        of a cold process is not part of it (see ``warm``).
        """
        question = check_question(question)
        self.warm()
        start = time.perf_counter()
        snap, query, passages = self.retrieve(question, k, since=since, until=until, mode=mode)
        answer = compose(
            snap,
            self.embedder,
            query,
            passages,
            max_citations=self.settings.max_citations,
            min_dense=self.settings.min_dense_score,
            min_coverage=self.settings.min_lexical_coverage,
            min_evidence=self.settings.min_evidence,
            coverage_weight=self.settings.evidence_coverage_weight,
        )
        answer.took_ms = (time.perf_counter() - start) * 1000
        return answer

    def search(self, query: str, k: int = 10, *, since: dt.date | None = None, until: dt.date | None = None, mode: str = DEFAULT_MODE) -> list[Passage]:
        """Raw passages, best first (no answer, no abstention)."""
        return self.retrieve(check_question(query), k, since=since, until=until, mode=mode)[2]

    def documents(self) -> list[store.DocumentRow]:
        return self.snapshot().documents()

    def stats(self) -> dict:
        snap = self.snapshot()
        docs = snap.documents()
        dates = sorted(d.date for d in docs if d.date)
        return {
            **snap.manifest,
            "index_folder": str(snap.folder),
            "backend": self.embedder.backend,  # as configured; "runtime" is what it resolved to
            "runtime": self.embedder.runtime,  # None until the model is loaded
            "date_range": [dates[0], dates[-1]] if dates else None,
            "outlets": sorted({d.outlet for d in docs if d.outlet}),
        }

    # --- writing ---------------------------------------------------------------------

    def default_sources(self) -> list[Path]:
        """The bundled corpus plus every source file added since."""
        paths = [BUNDLED_CORPUS]
        if self.sources_dir.exists():
            paths.append(self.sources_dir)
        return paths

    def build(self, sources: Sequence[Path | str] | None = None, *, progress: Progress | None = None) -> WriteResult:
        """Rebuild the whole index from ``sources`` (default: ``default_sources()``)."""
        start = time.perf_counter()
        paths = [Path(p) for p in (sources or self.default_sources())]
        if progress:
            progress("reading sources", 0, len(paths))
        report = load(paths, min_chars=self.settings.min_paragraph_chars)
        if not report.documents:
            reasons = "; ".join(str(p) for p in report.skipped[:5]) or "no supported files"
            raise store.IndexError_(f"nothing to index: {reasons}")
        with store.write_lock(self.data_dir):
            working = store.new_folder(self.data_dir)
            try:
                writer = store.IndexWriter.create(working, self.embedder)
                change = writer.add_documents(report.documents, self.embedder, near_duplicate_ratio=self.settings.near_duplicate_ratio, progress=progress)
                seconds = time.perf_counter() - start
                manifest = writer.commit(progress, built_at=store._now(), build_seconds=round(seconds, 2), sources=[str(p) for p in paths])
                store.publish(self.data_dir, working)
            except BaseException:
                store.discard(working)
                raise
        return WriteResult(manifest, change, report, time.perf_counter() - start)

    def add_documents(self, documents: Sequence[Document], *, progress: Progress | None = None) -> WriteResult:
        """Add (or replace, by id) documents in a copy of the current index, then swap it in."""
        start = time.perf_counter()
        with store.write_lock(self.data_dir):
            current = store.current_folder(self.data_dir)
            working = store.new_folder(self.data_dir)
            try:
                if current is None:
                    writer = store.IndexWriter.create(working, self.embedder)
                else:
                    writer = store.IndexWriter.copy_of(current, working, self.embedder)
                change = writer.add_documents(documents, self.embedder, near_duplicate_ratio=self.settings.near_duplicate_ratio, progress=progress)
                manifest = writer.commit(progress)
                store.publish(self.data_dir, working)
            except BaseException:
                store.discard(working)
                raise
        return WriteResult(manifest, change, seconds=time.perf_counter() - start)

    # --- sources kept for rebuilds -----------------------------------------------------

    def add_paths(self, paths: Sequence[Path | str], *, progress: Progress | None = None) -> WriteResult:
        """Add files (or folders of them): keep a copy under ``sources_dir``, then index incrementally.

        Unreadable files are in ``result.load.skipped``; if nothing is usable,
        IndexError_ says why and nothing changes.
        """
        report = load([Path(p) for p in paths], min_chars=self.settings.min_paragraph_chars)
        if not report.documents:
            reasons = "; ".join(str(p) for p in report.skipped[:5]) or "no supported files"
            raise store.IndexError_(f"nothing to add: {reasons}")
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        kept: dict[str, Path] = {}
        for origin in dict.fromkeys(d.origin for d in report.documents):
            src = Path(origin)
            dest = self.sources_dir / src.name
            if dest.exists() and dest.resolve() != src.resolve() and dest.read_bytes() != src.read_bytes():
                dest = self.sources_dir / f"{src.stem}-{hashlib.sha1(src.read_bytes()).hexdigest()[:8]}{src.suffix}"
            if dest.resolve() != src.resolve():
                shutil.copyfile(src, dest)
            kept[origin] = dest
        for doc in report.documents:
            doc.origin = str(kept[doc.origin])
        try:
            result = self.add_documents(report.documents, progress=progress)
        except BaseException:
            for dest in kept.values():
                if not self._origin_in_use(dest):
                    dest.unlink(missing_ok=True)
            raise
        result.load = report
        return result

    def add_fetched(self, document: Document, *, progress: Progress | None = None) -> WriteResult:
        """Add a document fetched from a URL; it is kept as JSON Lines so rebuilds need no network."""
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        kept = self.sources_dir / f"{document.id}.jsonl"
        record = {
            "id": document.id,
            "title": document.title,
            "date": document.date,
            "url": document.url,
            "outlet": document.outlet,
            "paragraphs": document.paragraphs,
            **{k: v for k, v in document.meta.items() if k != "format"},
        }
        tmp = kept.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        document.origin = str(kept)
        previous = kept.read_bytes() if kept.exists() else None
        os.replace(tmp, kept)
        try:
            return self.add_documents([document], progress=progress)
        except BaseException:
            if previous is None:
                kept.unlink(missing_ok=True)
            else:
                kept.write_bytes(previous)
            raise

    def url_sources(self) -> list[dict]:
        """URL sources (id, url, content_hash), read from their kept copies."""
        found = []
        for path in sorted(self.sources_dir.glob("url-*.jsonl")) if self.sources_dir.exists() else []:
            try:
                record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
            except (OSError, ValueError, IndexError):
                continue
            if record.get("source_url"):
                found.append({"id": record["id"], "url": record["source_url"], "content_hash": record.get("content_hash")})
        return found

    def _origin_in_use(self, path: Path) -> bool:
        if not self.has_index():
            return False
        return any(Path(d.origin) == path for d in self.snapshot().documents())

    def remove_sources(self, ids: Sequence[str]) -> WriteResult:
        """Remove documents, and the kept copy of any file no remaining document comes from."""
        origins = {d.id: Path(d.origin) for d in self.documents()}
        result = self.remove_documents(ids)
        for doc_id in ids:
            origin = origins.get(doc_id)
            if origin is not None and origin.parent == self.sources_dir and not self._origin_in_use(origin):
                origin.unlink(missing_ok=True)
        return result

    def remove_documents(self, ids: Sequence[str]) -> WriteResult:
        start = time.perf_counter()
        with store.write_lock(self.data_dir):
            current = store.current_folder(self.data_dir)
            if current is None:
                raise store.NoIndex(f"no index in {self.data_dir} yet; build one with `crisisbot index build`")
            working = store.new_folder(self.data_dir)
            try:
                writer = store.IndexWriter.copy_of(current, working, self.embedder)
                missing = set(ids) - writer.document_ids()
                if missing:
                    raise store.IndexError_(f"no source with id {', '.join(sorted(missing))}; see `crisisbot sources list`")
                change = writer.remove_documents(ids)
                manifest = writer.commit()
                store.publish(self.data_dir, working)
            except BaseException:
                store.discard(working)
                raise
        return WriteResult(manifest, change, seconds=time.perf_counter() - start)
