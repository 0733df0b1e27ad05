"""Long paragraphs cut into pieces a reader and the model can take: at sentence ends, at spaces
inside a longer sentence, hard in a run without any; in time linear in the paragraph's length."""

from __future__ import annotations

import re
import unicodedata

from index import text as textlib

# Raw paragraphs are cleaned in pieces of at most this many characters (cut at a
# sentence end where there is one), so cleaning never works on megabytes at once.
CLEAN_CHUNK_CHARS = 64 * 1024


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
