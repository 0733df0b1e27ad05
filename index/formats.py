"""The source formats, one reader each, chosen by file extension:

* ``.txt`` in the seed format: line 1 title, line 2 date ``YYYYMMDD``, line 3
  URL, then one paragraph per line.  A ``.txt`` without that header is read as
  plain text (first line title, blank-line separated paragraphs).
* ``.jsonl``: one ``{"id"?, "title", "date", "url", "text", ...}`` object per
  line; unknown fields are kept as metadata.
* ``.md`` / ``.markdown``: optional front matter, ``# title``, paragraphs.
* ``.html`` / ``.htm``: main text and metadata extracted with trafilatura.

Each reader returns the file's documents (ids local to the file) or raises
``MalformedSource``; metadata helpers (outlet names, dates) live here too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlparse

from index import text as textlib
from index.documents import Document, Problem
from index.errors import MalformedSource
from index.reading import _read_text

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


def split_blocks(body: str) -> list[str]:
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
        title = textlib.clean(header[0], repair=False)
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
    title = textlib.clean(first, repair=False) if len(first) <= 200 else path.stem.replace("-", " ")
    body = rest if len(first) <= 200 else stripped
    return [
        Document(
            id=_doc_id(str(path.name), title),
            title=title,
            paragraphs=split_blocks(body),
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
    blocks = [_strip_markdown(b) for b in split_blocks(content) if not re.match(r"^\s*#{1,6}\s", b)]
    if not any(b.strip() for b in blocks):
        raise MalformedSource("no text after the title")
    url = meta.get("url")
    title = textlib.clean(title or path.stem.replace("-", " "), repair=False)
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
    title = textlib.clean(data.get("title") or Path(str(path)).stem.replace("-", " "), repair=False)
    outlet = outlet_for(url) if url and outlet_for(url) in OUTLETS.values() else (data.get("sitename") or outlet_for(url))
    return [
        Document(
            id=_doc_id(url or Path(str(path)).name, title),  # the name, not where the file happens to be
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


def document_from_record(obj: dict, where: str, origin: str, fallback_title: str, problems: list[Problem]) -> Document:
    """One JSON Lines record (or a CSV row read as one) as a Document; MalformedSource if it has no text.

    The document's id is the record's own ``id`` (``""`` when it has none: the caller
    picks one); a date that is not understood is reported in ``problems`` and left out.
    """
    body = obj.get("text")
    if isinstance(obj.get("paragraphs"), list):
        paragraphs = [str(p) for p in obj["paragraphs"]]
    elif isinstance(body, str) and body.strip():
        paragraphs = split_blocks(body)
    else:
        raise MalformedSource("missing \"text\"")
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    title = textlib.clean(str(obj.get("title") or ""), repair=False) or fallback_title
    date = parse_date(obj.get("date"))
    if obj.get("date") and date is None:
        problems.append(Problem(where, f"date {obj['date']!r} not understood; kept without a date"))
    return Document(
        id=str(obj["id"]) if obj.get("id") not in (None, "") else "",
        title=title,
        date=date,
        url=url,
        outlet=str(obj.get("outlet") or obj.get("source") or outlet_for(url)),
        paragraphs=paragraphs,
        origin=origin,
        meta={"format": "jsonl", **{k: v for k, v in obj.items() if k not in _JSONL_KNOWN}},
    )


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
        try:
            doc = document_from_record(obj, where, str(path), f"{path.stem} #{lineno}", problems)
        except MalformedSource as exc:
            problems.append(Problem(where, str(exc)))
            continue
        doc.id = doc.id or _doc_id(doc.url or f"{path.name}:{lineno}", doc.title)
        docs.append(doc)
    if not seen_any:
        raise MalformedSource("file is empty")
    if not docs:
        raise MalformedSource("no valid JSON line with a \"text\" field")
    return docs


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
