"""``crisisbot import``: archives into the index in batches, resumable after a kill.

Records are read one at a time (index/archive.py), cleaned and bounded like any source
(``ingest.finish``) and gathered into a batch of at most ``batch_size`` documents (or
``BATCH_CHARS`` characters); each batch is one ``add_documents`` write, published whole or not
at all.  After each published batch a checkpoint (``<data dir>/imports/<key>.json``, written
atomically) records the position after its last record, with the archive's size and mtime:
running the same import again continues from there, and a changed archive starts over.
Document ids come from the archive's name and the record's id (else its URL, else its line or
file), so a record read twice replaces itself: a kill between a publish and its checkpoint
costs a batch of work, never a duplicate.  The batch is all that is held in memory.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index.archive import Archive, CsvColumns, Entry, Position
from index.documents import Document, LoadReport, Problem, document_id
from index.errors import BadInput, NoIndex
from index.fsutil import private_dir, write_private
from index.ingest import finish

if TYPE_CHECKING:
    from index.service import CrisisService

BATCH_SIZE = 1000
BATCH_CHARS = 32 * 1024 * 1024  # a batch of long articles is cut sooner: its text is what a batch holds
EXAMPLES = 20  # problems kept word for word; the rest are counted by reason
CHECKPOINT_VERSION = 1

# (archive name, bytes done, bytes in all); the CLI draws it as a bar with an ETA.
ByteProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportOptions:
    kind: str = "auto"  # jsonl, csv, html, or auto (by extension; a folder is HTML files)
    columns: CsvColumns = field(default_factory=CsvColumns)
    batch_size: int = BATCH_SIZE
    restart: bool = False  # ignore checkpoints: read every archive from its start

    def __post_init__(self):
        if self.batch_size < 1:
            raise BadInput(f"the batch size must be at least 1, not {self.batch_size}")


@dataclass
class ImportResult:
    read: int = 0  # documents read
    added: int = 0
    replaced: int = 0
    paragraphs_added: int = 0
    duplicates: int = 0  # paragraphs already in the index (exact or near)
    batches: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> records skipped for it
    examples: list[Problem] = field(default_factory=list)  # the first EXAMPLES records skipped, with why
    warnings: list[Problem] = field(default_factory=list)  # the first EXAMPLES warnings (a date not understood, a cut)
    warning_count: int = 0
    notes: list[str] = field(default_factory=list)  # resumed, already imported, started over
    seconds: float = 0.0

    def skip(self, problem: Problem, reason: str | None = None) -> None:
        self.skipped[reason or _reason_kind(problem.reason)] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(problem)

    def warn(self, problem: Problem) -> None:
        self.warning_count += 1
        if len(self.warnings) < EXAMPLES:
            self.warnings.append(problem)


def _reason_kind(reason: str) -> str:
    """A reason without the details that differ per record ("invalid JSON (Expecting value)" -> "invalid JSON")."""
    return reason.split(" (", 1)[0]


class Checkpoint:
    """How far one archive's import got: a small JSON file, replaced atomically after each batch."""

    def __init__(self, folder: Path, archive: Archive):
        self.archive = archive
        self.path = folder / f"{hashlib.sha1(str(archive.path).encode()).hexdigest()[:16]}.json"
        self.fingerprint = archive.fingerprint()

    def load(self) -> dict | None:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and state.get("version") == CHECKPOINT_VERSION else None

    def save(self, position: Position, last_id: str | None, *, finished: bool = False) -> None:
        state = {"version": CHECKPOINT_VERSION, **self.fingerprint, "position": asdict(position), "last_id": last_id,
                 "finished": finished, "saved_at": time.time()}
        write_private(private_dir(self.path.parent) / self.path.name, json.dumps(state, indent=1).encode())

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def import_archives(service: CrisisService, paths: Sequence[Path | str], options: ImportOptions = ImportOptions(),
                    progress: ByteProgress | None = None) -> ImportResult:
    """Import every archive in ``paths``, in order; see the module's docstring."""
    start = time.perf_counter()
    archives = [Archive.open(p, options.kind, options.columns) for p in paths]  # every path checked before anything is written
    result = ImportResult()
    for archive in archives:
        _import_one(service, archive, options, result, progress)
    result.seconds = time.perf_counter() - start
    return result


def _import_one(service: CrisisService, archive: Archive, options: ImportOptions, result: ImportResult,
                progress: ByteProgress | None) -> None:
    checkpoint = Checkpoint(service.data_dir / "imports", archive)
    position, last_id = _resume_from(service, checkpoint, options, result)
    if position is None:
        return
    total = checkpoint.fingerprint["size"]
    batch: dict[str, Document] = {}
    chars = 0
    settings = service.settings

    def commit(at: Position, finished: bool = False) -> None:
        nonlocal batch, chars, last_id
        if batch:
            written = service.add_documents(list(batch.values()))
            change = written.change
            result.added += change.documents_added
            result.replaced += change.documents_replaced
            result.paragraphs_added += change.paragraphs_added
            result.duplicates += change.exact_duplicates + change.near_duplicates
            result.batches += 1
            last_id = next(reversed(batch))
        checkpoint.save(at, last_id, finished=finished)
        batch, chars = {}, 0

    entry: Entry | None = None
    for entry in archive.entries(position):
        if entry.document is not None:
            doc = _finished(entry.document, archive, settings, result)
            if doc is not None:
                if doc.id in batch:  # the later record of an id wins, as it would in a later batch
                    result.skip(Problem(doc.origin, f"{batch[doc.id].title!r} repeated later under the same id"), "repeated id")
                    del batch[doc.id]
                batch[doc.id] = doc
                chars += sum(map(len, doc.paragraphs))
        else:
            result.skip(entry.problem)
        if len(batch) >= options.batch_size or chars >= BATCH_CHARS:
            commit(entry.position)
        if progress:
            progress(archive.name, entry.position.done, total)
    commit(entry.position if entry else position, finished=True)
    if progress:
        progress(archive.name, total, total)


def _finished(doc: Document, archive: Archive, settings, result: ImportResult) -> Document | None:
    """The record cleaned and bounded like any source, its id namespaced by the archive; None if nothing is left."""
    result.read += 1
    report = LoadReport()
    for warning in doc.warnings:
        result.warn(warning)
    finish(doc, report, settings.min_paragraph_chars, max_chars=settings.max_paragraph_chars,
           max_paragraphs=settings.max_paragraphs_per_source)
    for warning in report.warnings:
        result.warn(warning)
    if not doc.paragraphs:
        result.skip(Problem(f"{archive.name} ({doc.meta.get('id_in_source')})", "no paragraphs left after clean-up"))
        return None
    doc.id = document_id(archive.name, doc.id)
    return doc


def _resume_from(service: CrisisService, checkpoint: Checkpoint, options: ImportOptions,
                 result: ImportResult) -> tuple[Position | None, str | None]:
    """Where to start: after the last published batch of an earlier run of the same archive, else at
    the start; None when that run finished (``--restart`` reads it again)."""
    name = checkpoint.archive.name
    state = None if options.restart else checkpoint.load()
    if state is None:
        return Position(), None
    same = all(state.get(key) == value for key, value in checkpoint.fingerprint.items())
    if not same:
        result.notes.append(f"{name}: changed since the last import; reading it from the start")
        return Position(), None
    last_id = state.get("last_id")
    if last_id is not None and last_id not in _indexed_ids(service):
        result.notes.append(f"{name}: the index no longer holds what the last import added (rebuilt or rolled back?); "
                            "reading it from the start")
        return Position(), None
    if state.get("finished"):
        result.notes.append(f"{name}: already imported; --restart imports it again")
        return None, last_id
    position = Position(**state["position"])
    result.notes.append(f"{name}: continuing after record {position.record:,} (of an earlier run)")
    return position, last_id


def _indexed_ids(service: CrisisService) -> set[str]:
    try:
        return {d.id for d in service.documents()}
    except NoIndex:
        return set()
