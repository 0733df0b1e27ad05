"""Reading sources into documents: every file under the given paths, in its format, cleaned and
bounded.  A file that cannot be read is skipped and reported with its reason; the rest is still
loaded.  Nothing here raises on bad input.

The parts: index/reading.py (which files, their bytes, safely), index/formats.py (one reader per
format), index/paragraphs.py (long paragraphs cut at sentence ends).  ``finish`` cleans a
document's paragraphs, drops boilerplate and fragments, splits a paragraph longer than
``max_chars`` and keeps at most ``max_paragraphs``, reporting the cut as a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from index import text as textlib
from index.documents import Document, LoadReport, Problem
from index.errors import MalformedSource
from index.formats import read_file, read_html
from index.paragraphs import CLEAN_CHUNK_CHARS, _raw_chunks, split_paragraph
from index.reading import MAX_FILE_BYTES, MAX_FOLDER_DEPTH, SUPPORTED_SUFFIXES, iter_files, read_source_bytes

__all__ = [
    "CLEAN_CHUNK_CHARS", "MAX_FILE_BYTES", "MAX_FOLDER_DEPTH", "SUPPORTED_SUFFIXES", "Document", "LoadReport",
    "MalformedSource", "Problem", "finish", "iter_files", "load", "read_file", "read_html", "read_source_bytes",
    "split_paragraph",
]


def finish(doc: Document, report: LoadReport, min_chars: int, *, max_chars: int = 2000, max_paragraphs: int = 3000) -> Document:
    """Clean paragraphs, drop boilerplate and fragments, split long ones, keep at most ``max_paragraphs``.

    A paragraph longer than ``max_chars`` becomes pieces of at most that many
    characters (``split_paragraph``).  When a document has more than
    ``max_paragraphs`` paragraphs the first ones are kept and the cut is a
    warning in ``report``.
    """
    kept: list[str] = []
    chunk_chars = max(CLEAN_CHUNK_CHARS, 2 * max_chars)
    repair = textlib.shows_glue(doc.paragraphs)  # clean text is never changed by a guessed repair
    if repair:  # the readers leave titles as they are; a glued document's title is glued too
        doc.title = textlib.clean(doc.title)
    title_key = textlib.dedup_key(doc.title)
    for raw in doc.paragraphs:
        cleaned = [c for c in (textlib.clean(chunk, repair=repair) for chunk in _raw_chunks(raw, chunk_chars)) if c]
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
