"""The data dir's lifecycle: numbered index folders, the write lock, and publishing by one symlink swap.

Layout under the data dir::

    current -> indexes/00000007-20260101T120000   (symlink, swapped atomically)
    indexes/<number>-<time>/                     one published index each (see index/store/local.py)
    indexes/<number>-<time>.building/            a write in progress, or abandoned by a crash
    write.lock                                   held by whoever is writing a new index

Every write happens in a fresh folder that is published by replacing the
``current`` symlink (``staging``), so a crash at any point leaves the previous
index serving.  Readers load a folder once and never see it change.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from index import integrity
from index.errors import IndexDamaged
from index.fsutil import DIR_MODE, FILE_MODE, private_dir, private_tree
from index.store.protocol import WriteInProgress

CURRENT = "current"
INDEXES = "indexes"
BUILDING_SUFFIX = ".building"
KEEP = 2  # published folders kept (besides ``current`` and anything newer), for rollback


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(path)
    _fsync_dir(root)


def current_folder(data_dir: Path) -> Path | None:
    """The folder ``current`` links to; None when there is no index yet.

    IndexDamaged when ``current`` is a link loop, dangles, or is a real folder or
    file (which no write could swap atomically).
    """
    link = data_dir / CURRENT
    fix = "run `crisisbot index rollback` to link the newest index that verifies, or `crisisbot index build`"
    if not link.is_symlink():
        if not link.exists():
            return None
        raise integrity.damaged(link, "is a folder or file, not a link", f"move it out of {data_dir}, then {fix}",
                                what="index link")
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop, before Python 3.13
        problem = "is a link loop" if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP else "points to nothing"
        raise integrity.damaged(link, problem, fix, what="index link") from None
    if not target.is_dir():
        raise integrity.damaged(link, f"points to {target}, which is not a folder", fix, what="index link")
    return target


@contextmanager
def write_lock(data_dir: Path):
    """Exclusive lock for writers; raises WriteInProgress if another holds it."""
    private_dir(data_dir)
    fd = os.open(data_dir / "write.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a lock file made by an older version was 0644
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise WriteInProgress("another index write (build, add or remove) is running; try again when it ends") from None
            raise
        yield
    finally:
        os.close(fd)


_SEQUENCE = re.compile(r"(\d{8})-")


def _sequence(folder: Path) -> int:
    """The creation number in a folder's name; -1 for folders named before numbering (older than all)."""
    match = _SEQUENCE.match(folder.name)
    return int(match.group(1)) if match else -1


def _by_creation(folders: Iterable[Path]) -> list[Path]:
    return sorted(folders, key=lambda p: (_sequence(p), p.name))


def new_folder(data_dir: Path) -> Path:
    """A fresh, unpublished working folder, named so that names sort by creation.

    The number is one more than any folder's under ``indexes/`` (callers hold the
    write lock, so no two writers pick the same one); the time is for people.
    """
    indexes = private_dir(data_dir / INDEXES)
    last = max((_sequence(p) for p in indexes.iterdir()), default=0)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = indexes / f"{max(last, 0) + 1:08d}-{stamp}{BUILDING_SUFFIX}"
    folder.mkdir(mode=DIR_MODE)
    return folder


def publish(data_dir: Path, working: Path, *, keep: int = KEEP) -> Path:
    """Make ``working`` the current index in one atomic step, then tidy up."""
    final = working.with_name(working.name.removesuffix(BUILDING_SUFFIX))
    private_tree(working)
    _fsync_tree(working)
    os.rename(working, final)
    tmp_link = data_dir / f".{CURRENT}.{secrets.token_hex(4)}"
    os.symlink(Path(INDEXES) / final.name, tmp_link)
    os.replace(tmp_link, data_dir / CURRENT)
    _fsync_dir(data_dir)
    _collect_garbage(data_dir, keep=keep)
    return final


def _collect_garbage(data_dir: Path, *, keep: int) -> None:
    """Remove abandoned working folders and published ones older than both ``current`` and the newest ``keep``.

    The folder ``current`` points to, and anything created after it, is never removed.
    Only called with the write lock held, so no ``.building`` folder is live.
    """
    indexes = (data_dir / INDEXES).resolve()
    try:
        current = current_folder(data_dir)
    except IndexDamaged:  # no trustworthy current: remove no published folder
        current = None
    current = current.resolve() if current is not None else None
    folders = _by_creation(indexes.iterdir())
    published = [f for f in folders if not f.name.endswith(BUILDING_SUFFIX)]
    newest = set(published[-keep:]) if keep > 0 else set()
    floor = _sequence(current) if current is not None and current.parent == indexes else None
    kept = [f for f in published if f == current or f in newest or floor is None or _sequence(f) >= floor]
    bases = {indexes / name for f in kept if (name := _base_of(f))}  # a kept delta needs its base
    for folder in folders:
        abandoned = folder.name.endswith(BUILDING_SUFFIX)
        superseded = folder not in kept and folder not in bases
        if abandoned or superseded:
            shutil.rmtree(folder, ignore_errors=True)


def _base_of(folder: Path) -> str | None:
    """The base folder a delta's manifest names (index/store/delta.py); None for a base or an unreadable manifest."""
    try:
        manifest = json.loads((folder / integrity.MANIFEST).read_text(encoding="utf-8"))
        base = manifest["delta"]["base"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return base if isinstance(base, str) and "/" not in base and not base.startswith(".") else None


def discard(working: Path) -> None:
    shutil.rmtree(working, ignore_errors=True)


class Staging:
    """An unpublished working folder, and what to undo if it is discarded."""

    def __init__(self, data_dir: Path, folder: Path):
        self.data_dir = data_dir
        self.folder = folder
        self.published: Path | None = None  # the folder's name once published
        self._undo: list[Callable[[], object]] = []
        self._after: list[Callable[[], object]] = []

    def on_discard(self, action: Callable[[], object]) -> None:
        """Run ``action()`` if the write fails (latest first): undo a change made outside the folder."""
        self._undo.append(action)

    def after_publish(self, action: Callable[[], object]) -> None:
        """Run ``action()`` once the folder is published, still under the write lock."""
        self._after.append(action)


@contextmanager
def staging(data_dir: Path):
    """Lock, a new working folder, the caller's writes, then publish; or discard and undo on any failure.

    The one transaction every index write goes through, like sqlite-utils' ``Database.atomic()``.
    Whatever the caller reads inside (sources, the current index) cannot change under it.
    """
    with write_lock(data_dir):
        stage = Staging(data_dir, new_folder(data_dir))
        try:
            yield stage
            stage.published = publish(data_dir, stage.folder)
        except BaseException:
            discard(stage.folder)
            for action in reversed(stage._undo):
                action()
            raise
        for action in stage._after:
            action()
