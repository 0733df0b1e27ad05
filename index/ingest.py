"""Reading sources into documents.

Supported inputs, chosen by file extension:

* ``.txt`` in the seed format: line 1 title, line 2 date ``YYYYMMDD``, line 3
  URL, then one paragraph per line.  A ``.txt`` without that header is read as
  plain text (first line title, blank-line separated paragraphs).
* ``.jsonl``: one ``{"id"?, "title", "date", "url", "text", ...}`` object per
  line; unknown fields are kept as metadata.
* ``.md`` / ``.markdown``: optional front matter, ``# title``, paragraphs.
* ``.html`` / ``.htm``: main text and metadata extracted with trafilatura.

A file that cannot be read is skipped and reported with its reason; the rest
is still loaded.  Nothing here raises on bad input.

Bounds, so that no source can hang the loader or fill its memory:

* Only regular files are read.  A symbolic link to a file is never followed,
  nor is any link met inside a folder (to a file or a folder); a FIFO, device
  or socket is refused before it is opened, and again, for a file swapped in
  meanwhile, on what was opened (``O_NOFOLLOW | O_NONBLOCK``, then ``fstat``).
  A folder named directly may itself be a link.
* At most ``MAX_FILE_BYTES`` (20 MiB) are read from a file, counted on the
  bytes read, not on what ``stat`` says (``/proc`` files say 0).
* Folders are walked without recursion and at most ``MAX_FOLDER_DEPTH`` levels
  below a given folder; a deeper one is reported, not read.
* ``finish`` splits a paragraph longer than ``max_chars`` (default 2,000) at
  sentence ends, at spaces inside a longer sentence, or hard in a run without
  any; and keeps at most ``max_paragraphs`` (default 3,000) per document,
  reporting the cut as a warning.  Cleaning works on pieces of at most
  ``CLEAN_CHUNK_CHARS``, so its time is linear in the paragraph's length.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from index import text as textlib
from index.errors import MalformedSource

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FOLDER_DEPTH = 32
# Raw paragraphs are cleaned in pieces of at most this many characters (cut at a
# sentence end where there is one), so cleaning never works on megabytes at once.
CLEAN_CHUNK_CHARS = 64 * 1024
_MIB = 1024 * 1024
_READ_CHUNK = _MIB
# Never through a link; a FIFO opens at once instead of waiting for a writer (and is then refused).
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_LINK = "a symbolic link, not followed"

# Display names for outlets people will recognise; anything else shows its domain.
OUTLETS = {
    "cnn.com": "CNN",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "reuters.com": "Reuters",
    "apnews.com": "AP",
    "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post",
    "theguardian.com": "The Guardian",
    "aljazeera.com": "Al Jazeera",
    "kyivindependent.com": "The Kyiv Independent",
    "france24.com": "France 24",
    "dw.com": "DW",
    "npr.org": "NPR",
    "politico.com": "Politico",
    "ft.com": "Financial Times",
}


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


def outlet_for(url: str | None) -> str:
    if not url:
        return ""
    host = (urlparse(url).hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    parts = host.split(".")
    for n in range(len(parts)):
        candidate = ".".join(parts[n:])
        if candidate in OUTLETS:
            return OUTLETS[candidate]
    return host


def parse_date(value: object) -> str | None:
    """ISO date from ``YYYYMMDD``, ``YYYY-MM-DD`` or an ISO timestamp; None if unparseable."""
    if value is None:
        return None
    s = str(value).strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def _doc_id(*parts: str | None) -> str:
    key = "\x1f".join(p or "" for p in parts)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _is_url(s: str) -> bool:
    parsed = urlparse(s.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


# --- reading a file: regular files only, never a link, never more than MAX_FILE_BYTES -------


def _refuse_unless_regular(info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise MalformedSource(_LINK)
    if not stat.S_ISREG(info.st_mode):
        raise MalformedSource("not a regular file")


def _limit_text(limit: int) -> str:
    return f"{limit // _MIB} MiB" if limit and limit % _MIB == 0 else f"{limit:,}-byte"


def _read_at_most(fd: int, limit: int) -> bytes:
    """All of ``fd``, or MalformedSource once more than ``limit`` bytes have been read."""
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise MalformedSource(f"over the {_limit_text(limit)} limit")


def _read_checked(path: Path) -> bytes:
    """The bytes of a supported, regular, not linked file of at most MAX_FILE_BYTES."""
    _refuse_unless_regular(os.lstat(path))  # links, FIFOs and devices are not even opened
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise MalformedSource(f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        fd = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: a FIFO swapped in since lstat cannot block the open
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since lstat
            raise MalformedSource(_LINK) from None
        raise
    try:
        info = os.fstat(fd)
        _refuse_unless_regular(info)  # what was opened, not what was looked at
        if info.st_size > MAX_FILE_BYTES:
            raise MalformedSource(f"over the {_limit_text(MAX_FILE_BYTES)} limit")
        return _read_at_most(fd, MAX_FILE_BYTES)
    finally:
        os.close(fd)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise MalformedSource("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedSource(f"not UTF-8 text (byte {exc.start})") from None


def read_source_bytes(path: Path | str) -> bytes:
    """The bytes of one source file, for keeping a copy of it.

    Raises MalformedSource, with the reason, unless ``path`` has a supported
    extension, is a regular file and not a symbolic link, holds at most
    MAX_FILE_BYTES (counted as read) and is UTF-8 text: what ``read_file``
    would refuse is never copied.  OSError if it cannot be read at all.
    """
    data = _read_checked(Path(path))
    _decode(data)
    return data


def _read_text(path: Path) -> str:
    return _decode(_read_checked(path))


def _blocks(body: str) -> list[str]:
    """Paragraphs of a plain text body: blank-line separated, or one per line if there are no blank lines."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n\s*\n", body):
        # Lines of a block are joined with a space; clean() collapses the rest.  (A regex
        # like \s*\n\s* here is quadratic on a long run of spaces.)
        return [b.replace("\n", " ").strip() for b in re.split(r"\n\s*\n", body)]
    return body.split("\n")


# --- readers: each returns a list of Documents or raises MalformedSource -----------------


def read_seed_or_text(path: Path, content: str) -> list[Document]:
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = [line.strip() for line in lines[:3]]
    if len(header) == 3 and re.fullmatch(r"\d{8}", header[1]) and _is_url(header[2]):
        date = parse_date(header[1])
        if date is None:
            raise MalformedSource(f"line 2 {header[1]!r} is not a valid YYYYMMDD date")
        title = textlib.clean(header[0])
        if not title:
            raise MalformedSource("line 1 (title) is empty")
        url = header[2]
        return [
            Document(
                id=_doc_id(url, title),
                title=title,
                date=date,
                url=url,
                outlet=outlet_for(url),
                paragraphs=lines[3:],
                origin=str(path),
                meta={"format": "seed"},
            )
        ]
    if len(header) >= 2 and re.fullmatch(r"\d{6,10}", header[1] or ""):
        raise MalformedSource(f"looks like the seed format but line 2 {header[1]!r} is not a YYYYMMDD date")
    if len(header) >= 3 and re.fullmatch(r"\d{8}", header[1]) and not _is_url(header[2]):
        raise MalformedSource("looks like the seed format but line 3 is not an http(s) URL")
    # Plain text: first non-empty line is the title.
    stripped = content.strip()
    if not stripped:
        raise MalformedSource("file is empty")
    first, _, rest = stripped.partition("\n")
    title = textlib.clean(first) if len(first) <= 200 else path.stem.replace("-", " ")
    body = rest if len(first) <= 200 else stripped
    return [
        Document(
            id=_doc_id(str(path.name), title),
            title=title,
            paragraphs=_blocks(body),
            origin=str(path),
            meta={"format": "text"},
        )
    ]


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _strip_markdown(block: str) -> str:
    block = _MD_LINK.sub(r"\1", block)
    block = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)", "", block, flags=re.MULTILINE)
    block = _MD_MARKS.sub(r"\2", block)
    return block


def read_markdown(path: Path, content: str) -> list[Document]:
    content = content.replace("\r\n", "\n")
    meta: dict[str, str] = {}
    front = re.match(r"^---\n(.*?)\n---\n", content, re.DOTALL)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("'\"")
        content = content[front.end() :]
    content = re.sub(r"```.*?```", "", content, flags=re.DOTALL)  # code is not news
    title = meta.get("title")
    heading = re.search(r"^#\s+(.+)$", content, re.MULTILINE)
    if not title and heading:
        title = heading.group(1).strip()
    if heading and title == heading.group(1).strip():
        content = content[: heading.start()] + content[heading.end() :]
    blocks = [_strip_markdown(b) for b in _blocks(content) if not re.match(r"^\s*#{1,6}\s", b)]
    if not any(b.strip() for b in blocks):
        raise MalformedSource("no text after the title")
    url = meta.get("url")
    title = textlib.clean(title or path.stem.replace("-", " "))
    return [
        Document(
            id=meta.get("id") or _doc_id(url or path.name, title),
            title=title,
            date=parse_date(meta.get("date")),
            url=url,
            outlet=meta.get("outlet") or outlet_for(url),
            paragraphs=blocks,
            origin=str(path),
            meta={"format": "markdown"},
        )
    ]


def read_html(path: Path | str, content: str, *, url: str | None = None) -> list[Document]:
    import trafilatura

    extracted = trafilatura.bare_extraction(
        content, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    if extracted is None:
        raise MalformedSource("no article text could be extracted from the HTML")
    data = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    body = data.get("text") or ""
    if not body.strip():
        raise MalformedSource("no article text could be extracted from the HTML")
    url = url or data.get("url")
    title = textlib.clean(data.get("title") or Path(str(path)).stem.replace("-", " "))
    outlet = outlet_for(url) if url and outlet_for(url) in OUTLETS.values() else (data.get("sitename") or outlet_for(url))
    return [
        Document(
            id=_doc_id(url or str(path), title),
            title=title,
            date=parse_date(data.get("date")),
            url=url,
            outlet=outlet or "",
            paragraphs=body.split("\n"),
            origin=str(path),
            meta={"format": "html", **({"author": data["author"]} if data.get("author") else {})},
        )
    ]


_JSONL_KNOWN = {"id", "title", "date", "url", "text", "outlet", "source", "paragraphs"}


def read_jsonl(path: Path, content: str, problems: list[Problem]) -> list[Document]:
    docs: list[Document] = []
    seen_any = False
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        seen_any = True
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"invalid JSON ({exc.msg})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(where, "line is not a JSON object"))
            continue
        body = obj.get("text")
        if isinstance(obj.get("paragraphs"), list):
            paragraphs = [str(p) for p in obj["paragraphs"]]
        elif isinstance(body, str) and body.strip():
            paragraphs = _blocks(body)
        else:
            problems.append(Problem(where, "missing \"text\""))
            continue
        url = obj.get("url") if isinstance(obj.get("url"), str) else None
        title = textlib.clean(str(obj.get("title") or "")) or f"{path.stem} #{lineno}"
        date = parse_date(obj.get("date"))
        if obj.get("date") and date is None:
            problems.append(Problem(where, f"date {obj['date']!r} not understood; kept without a date"))
        docs.append(
            Document(
                id=str(obj["id"]) if obj.get("id") not in (None, "") else _doc_id(url or f"{path.name}:{lineno}", title),
                title=title,
                date=date,
                url=url,
                outlet=str(obj.get("outlet") or obj.get("source") or outlet_for(url)),
                paragraphs=paragraphs,
                origin=str(path),
                meta={"format": "jsonl", **{k: v for k, v in obj.items() if k not in _JSONL_KNOWN}},
            )
        )
    if not seen_any:
        raise MalformedSource("file is empty")
    if not docs:
        raise MalformedSource("no valid JSON line with a \"text\" field")
    return docs


# --- the loader --------------------------------------------------------------------------


def iter_files(paths: Iterable[Path | str], skipped: list[Problem] | None = None) -> Iterator[Path]:
    """The files under ``paths`` to read: folders walked in sorted order, hidden files left out
    (hidden folders are walked, as before).

    Nothing is followed inside a folder: a link there (to a file or a folder)
    or a special file is yielded like a file, for the readers to refuse with
    their reason.  A folder nested more than MAX_FOLDER_DEPTH levels below a
    given one, or one that cannot be listed, is added to ``skipped`` (logged
    if no list is given).  A folder named in ``paths`` may itself be a link.
    """
    for path in map(Path, paths):
        if path.is_dir():
            yield from _walk(path, skipped)
        else:
            yield path


def _walk(root: Path, skipped: list[Problem] | None) -> Iterator[Path]:
    # An explicit stack, not recursion; each folder's entries are pushed in reverse
    # name order, so they come out in the order sorted(root.rglob("*")) gave.
    stack: list[tuple[Path, int, bool]] = [(root, 0, True)]
    while stack:
        path, depth, is_folder = stack.pop()
        if not is_folder:
            yield path
            continue
        if depth > MAX_FOLDER_DEPTH:
            _note(skipped, Problem(str(path), f"a folder nested more than {MAX_FOLDER_DEPTH} levels deep, not read"))
            continue
        try:
            with os.scandir(path) as listing:
                entries = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing)
        except OSError as exc:
            _note(skipped, Problem(str(path), f"cannot read the folder: {exc.strerror or exc}"))
            continue
        for name, is_dir in reversed(entries):
            if is_dir or not name.startswith("."):
                stack.append((path / name, depth + 1, is_dir))


def _note(skipped: list[Problem] | None, problem: Problem) -> None:
    if skipped is None:
        log.warning("skipped %s", problem)
    else:
        skipped.append(problem)


def read_file(path: Path, problems: list[Problem]) -> list[Document]:
    """Documents of one file; raises MalformedSource when the file is unusable (see read_source_bytes)."""
    content = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return read_seed_or_text(path, content)
    if suffix == ".jsonl":
        return read_jsonl(path, content, problems)
    if suffix in (".md", ".markdown"):
        return read_markdown(path, content)
    return read_html(path, content)


# --- paragraphs: cleaned, bounded in length and in number -----------------------------------

_RAW_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\s")
_RAW_SPACE = re.compile(r"\s")


def _last_end(pattern: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    """Where the last match of ``pattern`` in ``text[start:end]`` ends, or None."""
    last = None
    for match in pattern.finditer(text, start, end):
        last = match
    return last.end() if last else None


def _raw_chunks(raw: str, size: int) -> list[str]:
    """``raw`` in pieces of at most ``size`` characters, for cleaning one at a time.

    A cut falls after a sentence end in the last quarter of a piece, else after
    a space there, else (a run with no space at all) at ``size``, moved back so
    no combining mark is parted from its letter.  clean() joins nothing across a
    space, so the cleaned pieces hold the same text as the cleaned whole.
    """
    if len(raw) <= size:
        return [raw]
    chunks, start = [], 0
    while len(raw) - start > size:
        end = start + size
        tail = end - max(1, size // 4)
        cut = _last_end(_RAW_SENTENCE_END, raw, tail, end) or _last_end(_RAW_SPACE, raw, tail, end)
        if cut is None:
            cut = end
            while cut > start + 1 and unicodedata.combining(raw[cut]):
                cut -= 1
        chunks.append(raw[start:cut])
        start = cut
    chunks.append(raw[start:])
    return chunks


def split_paragraph(paragraph: str, max_chars: int) -> list[str]:
    """A cleaned paragraph as pieces of at most ``max_chars`` characters, cut at sentence ends.

    Whole sentences are packed into each piece; a sentence longer than
    ``max_chars`` is cut at spaces, and a run with no space at all is cut hard.
    Each piece is a slice of ``paragraph`` without surrounding spaces; together
    they hold all of it but the spaces between them.  Linear in its length.
    """
    if len(paragraph) <= max_chars:
        return [paragraph] if paragraph else []
    units: list[tuple[int, int]] = []  # sentences, or parts of one, each at most max_chars
    for start, end in textlib.sentence_spans(paragraph):
        while end - start > max_chars:
            space = paragraph.rfind(" ", start + 1, start + max_chars + 1)
            cut = start + max_chars if space == -1 else space
            stop = cut
            while paragraph[stop - 1].isspace():
                stop -= 1
            units.append((start, stop))
            start = cut
            while paragraph[start].isspace():
                start += 1
        units.append((start, end))
    if not units:  # nothing but spaces
        return []
    pieces = []
    first, last = units[0]
    for start, end in units[1:]:
        if end - first <= max_chars:
            last = end
        else:
            pieces.append(paragraph[first:last])
            first, last = start, end
    pieces.append(paragraph[first:last])
    return pieces


def finish(doc: Document, report: LoadReport, min_chars: int, *, max_chars: int = 2000, max_paragraphs: int = 3000) -> Document:
    """Clean paragraphs, drop boilerplate and fragments, split long ones, keep at most ``max_paragraphs``.

    A paragraph longer than ``max_chars`` becomes pieces of at most that many
    characters (``split_paragraph``).  When a document has more than
    ``max_paragraphs`` paragraphs the first ones are kept and the cut is a
    warning in ``report``.
    """
    kept: list[str] = []
    title_key = textlib.dedup_key(doc.title)
    chunk_chars = max(CLEAN_CHUNK_CHARS, 2 * max_chars)
    for raw in doc.paragraphs:
        cleaned = [c for c in map(textlib.clean, _raw_chunks(raw, chunk_chars)) if c]
        if len(cleaned) > 1 and sum(map(len, cleaned)) < chunk_chars:  # it was long only with spaces
            cleaned = [" ".join(cleaned)]
        if len(cleaned) == 1:  # a paragraph of ordinary length: checked whole
            para = cleaned[0]
            if textlib.dedup_key(para) == title_key:  # a heading repeating the title
                continue
            if textlib.is_boilerplate(para):
                report.boilerplate_dropped += 1
                continue
            if len(para) < min_chars:
                report.short_dropped += 1
                continue
        pieces = [piece for chunk in cleaned for piece in split_paragraph(chunk, max_chars)]
        if len(pieces) > 1:
            report.paragraphs_split += 1
        kept.extend(pieces)
    if len(kept) > max_paragraphs:
        cut = f"kept the first {max_paragraphs} paragraphs of {len(kept)}"
        report.warnings.append(Problem(f"{doc.origin} ({doc.title})", cut))
        report.paragraphs_cut += len(kept) - max_paragraphs
        del kept[max_paragraphs:]
    doc.paragraphs = kept
    return doc


def load(paths: Iterable[Path | str], *, min_chars: int = 25, max_chars: int = 2000, max_paragraphs: int = 3000) -> LoadReport:
    """Read every supported file under ``paths``; bad files are reported, not fatal.

    ``max_chars`` and ``max_paragraphs`` bound each document's paragraphs (see ``finish``).
    """
    report = LoadReport()
    for path in iter_files(paths, report.skipped):
        if not os.path.lexists(path):
            report.skipped.append(Problem(str(path), "no such file or folder"))
            continue
        try:
            docs = read_file(path, report.warnings)
        except MalformedSource as exc:
            report.skipped.append(Problem(str(path), str(exc)))
            continue
        except OSError as exc:
            report.skipped.append(Problem(str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        for doc in docs:
            finish(doc, report, min_chars, max_chars=max_chars, max_paragraphs=max_paragraphs)
            if doc.paragraphs:
                report.documents.append(doc)
            else:
                report.skipped.append(Problem(f"{path} ({doc.title})", "no paragraphs left after clean-up"))
    return report
