"""Reading source files safely: which files, and their bytes, never more than the bounds allow.

* Only regular files are read.  A symbolic link to a file is never followed,
  nor is any link met inside a folder (to a file or a folder); a FIFO, device
  or socket is refused before it is opened, and again, for a file swapped in
  meanwhile, on what was opened (``O_NOFOLLOW | O_NONBLOCK``, then ``fstat``).
  A folder named directly may itself be a link.
* At most ``MAX_FILE_BYTES`` (20 MiB) are read from a file, counted on the
  bytes read, not on what ``stat`` says (``/proc`` files say 0).
* Folders are walked without recursion and at most ``MAX_FOLDER_DEPTH`` levels
  below a given folder; a deeper one is reported, not read.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from index.documents import Problem
from index.errors import MalformedSource

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FOLDER_DEPTH = 32
_MIB = 1024 * 1024
_READ_CHUNK = _MIB
# Never through a link; a FIFO opens at once instead of waiting for a writer (and is then refused).
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_LINK = "a symbolic link, not followed"


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


def _read_checked(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a supported, regular, not linked file of at most ``limit`` bytes (MAX_FILE_BYTES:
    what moderators upload and what `sources add` keeps; `crisisbot import` reads its records with its own bound)."""
    limit = MAX_FILE_BYTES if limit is None else limit
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
        if info.st_size > limit:
            raise MalformedSource(f"over the {_limit_text(limit)} limit")
        return _read_at_most(fd, limit)
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


def _read_text(path: Path, limit: int | None = None) -> str:
    return _decode(_read_checked(path, limit))


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
