"""Large archives read one record at a time, for ``crisisbot import``: JSON Lines, CSV, and
folders of HTML files.  Nothing holds a whole file: a reader yields one ``Entry`` per record
(a document, or the problem that stopped it) with the ``Position`` just after it, and can
start again from any such position.

* JSON Lines (``.jsonl``, ``.ndjson``): one record per line, the fields of the ``.jsonl``
  source format (index/formats.py).  A line that is not a JSON object with a text is reported
  with its line number and skipped.
* CSV (``.csv``): a header row, then one article per row; which column holds what is
  ``CsvColumns`` (default names title, date, url, text, outlet, id); other columns are kept as
  metadata.  Fields may hold newlines and be up to ``MAX_RECORD_BYTES`` long.
* A folder: its ``.html``/``.htm`` files, walked in sorted order (index/reading.py: no links,
  bounded depth), each extracted like an HTML source.

A record (a line, a physical CSV line, an HTML file) longer than ``MAX_RECORD_BYTES`` is read
through in pieces and reported, never held.  Positions are byte offsets in a file (the record
count for a folder), so a resumed import continues exactly after the last record it committed.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from index.documents import Document, Problem
from index.errors import BadInput, MalformedSource
from index.formats import document_from_record, read_html
from index.reading import _read_text, iter_files

MAX_RECORD_BYTES = 64 * 1024 * 1024
_PIECE = 1024 * 1024
KINDS = ("jsonl", "csv", "html")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_HTML = (".html", ".htm")


@dataclass(frozen=True)
class Position:
    """Where reading stands: ``offset`` bytes of a file consumed (files done, for a folder),
    ``record`` lines (JSON Lines), lines (CSV) or files (folder) passed, ``done`` bytes read."""

    offset: int = 0
    record: int = 0
    done: int = 0


@dataclass
class Entry:
    """One record: its document, or the problem that stopped it; ``position`` is just after it."""

    position: Position
    document: Document | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class CsvColumns:
    """Which CSV column holds what.  None: the default name, used if the header has it;
    a name given is required (``BadInput`` when the header lacks it)."""

    title: str | None = None
    date: str | None = None
    url: str | None = None
    text: str | None = None
    outlet: str | None = None
    id: str | None = None

    def resolve(self, header: list[str], where: str) -> dict[str, int]:
        """Field -> column index; the text column must be there."""
        found: dict[str, int] = {}
        for field, chosen in asdict(self).items():
            name = chosen or field
            if name in header:
                found[field] = header.index(name)
            elif chosen or field == "text":
                flag = f"--{field}-col"
                raise BadInput(f"{where}: no column {name!r} (the header has {', '.join(map(repr, header[:20]))}); name it with {flag}")
        return found


class Archive:
    """One archive: a JSON Lines or CSV file, or a folder of HTML files."""

    def __init__(self, path: Path, kind: str, columns: CsvColumns = CsvColumns()):
        self.path, self.kind, self.columns = path, kind, columns
        self.name = path.name  # document ids are namespaced by it, so a moved archive keeps its ids

    @classmethod
    def open(cls, path: Path | str, kind: str = "auto", columns: CsvColumns = CsvColumns()) -> Archive:
        """The archive at ``path``; ``kind`` ``auto`` goes by the extension (a folder is HTML files)."""
        path = Path(path).absolute()
        if not os.path.lexists(path):
            raise BadInput(f"{path}: no such file or folder")
        if path.is_symlink():
            raise BadInput(f"{path}: a symbolic link; name the file it points to")
        if kind == "auto":
            kind = "html" if path.is_dir() else _SUFFIXES.get(path.suffix.lower(), "")
            if not kind:
                raise BadInput(f"{path}: not an archive (.jsonl, .ndjson, .csv, or a folder of .html files); or give --format")
        if kind not in KINDS:
            raise BadInput(f"unknown archive format {kind!r}; one of {', '.join(KINDS)}")
        if (kind == "html") != path.is_dir():
            raise BadInput(f"{path}: {'a folder' if path.is_dir() else 'a file'}, not a {kind} archive")
        if not path.is_dir() and not path.is_file():
            raise BadInput(f"{path}: not a regular file")
        return cls(path, kind, columns)

    def fingerprint(self) -> dict:
        """What identifies this archive's content for a checkpoint: a change of any of it starts over."""
        if self.kind == "html":
            files = [(p, p.lstat()) for p in self._html_files()]
            size, mtime = sum(s.st_size for _, s in files), max((s.st_mtime_ns for _, s in files), default=0)
            extra = {"files": len(files)}
        else:
            info = self.path.stat()
            size, mtime, extra = info.st_size, info.st_mtime_ns, {}
        columns = {k: v for k, v in asdict(self.columns).items() if v} if self.kind == "csv" else {}
        return {"path": str(self.path), "kind": self.kind, "size": size, "mtime_ns": mtime, **extra, "columns": columns}

    def entries(self, start: Position = Position()) -> Iterator[Entry]:
        """Every record after ``start``, in order."""
        if self.kind == "jsonl":
            return self._jsonl(start)
        if self.kind == "csv":
            return self._csv(start)
        return self._html(start)

    # --- JSON Lines ---------------------------------------------------------------------

    def _jsonl(self, start: Position) -> Iterator[Entry]:
        with open(self.path, "rb") as handle:
            handle.seek(start.offset)
            number = start.record
            for line, offset in bounded_lines(handle, MAX_RECORD_BYTES):
                number += 1
                position = Position(offset, number, offset)
                where = f"{self.path.name}:{number}"
                if line is None:
                    yield Entry(position, problem=Problem(where, f"a line over {MAX_RECORD_BYTES >> 20} MiB"))
                    continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
                except UnicodeDecodeError as exc:
                    yield Entry(position, problem=Problem(where, f"not UTF-8 (byte {exc.start})"))
                    continue
                except json.JSONDecodeError as exc:
                    yield Entry(position, problem=Problem(where, f"invalid JSON ({exc.msg})"))
                    continue
                if not isinstance(obj, dict):
                    yield Entry(position, problem=Problem(where, "not a JSON object"))
                    continue
                yield self._record(obj, where, f"line {number}", position)

    def _record(self, obj: dict, where: str, place: str, position: Position) -> Entry:
        warnings: list[Problem] = []
        try:
            doc = document_from_record(obj, where, str(self.path), f"{self.path.stem} {place}", warnings)
        except MalformedSource as exc:
            return Entry(position, problem=Problem(where, str(exc)))
        local = doc.id or doc.url or place  # the record's id, else its URL, else where it is
        doc.meta["id_in_source"] = local
        doc.meta["format"] = self.kind
        doc.id = local
        doc.warnings.extend(warnings)
        return Entry(position, document=doc)

    # --- CSV ----------------------------------------------------------------------------

    def _csv(self, start: Position) -> Iterator[Entry]:
        csv.field_size_limit(MAX_RECORD_BYTES)
        with open(self.path, "rb") as handle:
            feed = _CsvFeed(handle)
            header = next(csv.reader(feed), None)
            if header is None:
                return
            fields = self.columns.resolve(header, self.path.name)
            if start.offset > feed.offset:
                handle.seek(start.offset)
                feed = _CsvFeed(handle, start.offset, start.record)
            rows = csv.reader(feed)
            while True:
                first_line = feed.line + 1
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except csv.Error as exc:
                    position = Position(feed.offset, feed.line, feed.offset)
                    yield Entry(position, problem=Problem(f"{self.path.name}:{first_line}", f"bad CSV row ({exc})"))
                    rows = csv.reader(feed)  # a fresh parser starts on the next line
                    continue
                position = Position(feed.offset, feed.line, feed.offset)
                where = f"{self.path.name}:{first_line}"
                issue, feed.issue = feed.issue, None
                if issue:
                    yield Entry(position, problem=Problem(where, issue))
                elif any(cell.strip() for cell in row):
                    obj = {field: row[i] for field, i in fields.items() if i < len(row) and row[i].strip()}
                    extra = {name: row[i] for i, name in enumerate(header) if i < len(row) and i not in fields.values() and row[i]}
                    yield self._record({**extra, **obj}, where, f"line {first_line}", position)

    # --- a folder of HTML files ---------------------------------------------------------

    def _html_files(self) -> Iterator[Path]:
        return (p for p in iter_files([self.path]) if p.suffix.lower() in _HTML)

    def _html(self, start: Position) -> Iterator[Entry]:
        done = start.done
        for number, path in enumerate(self._html_files(), 1):
            if number <= start.offset:
                continue
            relative = path.relative_to(self.path).as_posix()
            try:
                done += path.lstat().st_size
                document = read_html(path, _read_text(path, MAX_RECORD_BYTES))[0]
            except (MalformedSource, OSError) as exc:
                reason = str(exc) if isinstance(exc, MalformedSource) else f"cannot read: {exc.strerror or exc}"
                yield Entry(Position(number, number, done), problem=Problem(f"{self.name}/{relative}", reason))
                continue
            document.id = relative  # the file's place in the folder: stable across runs
            document.meta["id_in_source"] = relative
            yield Entry(Position(number, number, done), document=document)


def bounded_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[bytes | None, int]]:
    """Each line of ``handle`` from where it stands, with the offset just after it; a line longer
    than ``limit`` bytes (its newline not counted) is None, read through in pieces and never held."""
    offset = handle.tell()
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        offset += len(line)
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, offset
            continue
        while not line.endswith(b"\n"):
            line = handle.readline(_PIECE)
            if not line:
                break
            offset += len(line)
        yield None, offset


class _CsvFeed:
    """Lines for ``csv.reader``, decoded, counting the bytes and lines it has handed out (the csv
    module reads no further than the row it returns).  A line over ``MAX_RECORD_BYTES`` or not
    UTF-8 is handed out empty and noted in ``issue`` for the row it falls in."""

    def __init__(self, handle: BinaryIO, offset: int = 0, line: int = 0):
        self.lines = bounded_lines(handle, MAX_RECORD_BYTES)
        self.offset, self.line, self.issue = offset, line, None

    def __iter__(self) -> _CsvFeed:
        return self

    def __next__(self) -> str:
        raw, self.offset = next(self.lines)
        self.line += 1
        if raw is None:
            self.issue = f"a line over {MAX_RECORD_BYTES >> 20} MiB"
            return "\n"
        try:
            return raw.decode("utf-8-sig" if self.line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            self.issue = f"not UTF-8 (byte {exc.start} of line {self.line})"
            return "\n"
