"""What is wrong with a data dir and what to run about it (``crisisbot doctor``), and the one
repair that needs no rebuild (``crisisbot index rollback``).

``examine`` only reads: it never takes the write lock or changes a mode.  It returns
``Finding``s; the CLI prints them.  A ``problem`` stops the bot from answering (or
from answering right); a ``warning`` does not, but deserves a look.

One job, a little over 300 lines: every check of a data dir, each a short function.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import sqlite3
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index import integrity, store
from index.errors import CrisisError, IndexDamaged

OK, WARNING, PROBLEM = "ok", "warning", "problem"
KEPT_FIX = "it cannot be rolled back to; later index writes remove it, or delete it"


@dataclass(frozen=True)
class Finding:
    level: str  # OK, WARNING or PROBLEM
    subject: str  # what was checked, relative to the data dir
    message: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level:<8} {self.subject}: {self.message}" + (f"; {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Report:
    data_dir: Path
    findings: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return not any(f.level == PROBLEM for f in self.findings)

    def to_json(self) -> dict:
        return {"data_dir": str(self.data_dir), "healthy": self.healthy, "findings": [asdict(f) for f in self.findings]}


@dataclass(frozen=True)
class IndexCheck:
    """One index folder: what is wrong with it (``(path, message, fix)``, none when sound) and a summary."""

    folder: Path
    problems: tuple[tuple[Path, str, str], ...] = ()
    legacy: bool = False
    summary: str = ""


def _split(exc: CrisisError) -> tuple[str, str]:
    """A core error's line as (what is wrong, what to run), joined in it by the last '; '.

    The path an IndexDamaged names is dropped from the first: a finding's subject says it.
    """
    message, _, fix = str(exc).rpartition("; ")
    message, fix = (message, fix) if message else (fix, "")
    path = getattr(exc, "path", None)
    return (message.split(f"{path} ", 1)[-1] if path else message), fix


def _count(n: object, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def published(data_dir: Path) -> list[Path]:
    """Published index folders, oldest first (the store's own order: by creation)."""
    indexes = data_dir / store.INDEXES
    if not indexes.is_dir():
        return []
    folders = [p for p in indexes.iterdir() if p.is_dir() and not p.name.endswith(store.BUILDING_SUFFIX)]
    return [p.resolve() for p in store._by_creation(folders)]


def check_index(folder: Path, model: str) -> IndexCheck:
    """Manifest, model, every file's size and checksum, then a load, the vectors' values, the counts
    and SQLite's quick_check.  A file that fails its checksum is never handed to a parser."""
    try:
        manifest = store.read_manifest(folder)
        store.check_model(manifest, model, folder)
        legacy = integrity.is_legacy(manifest)
        files = {} if legacy else integrity.file_problems(folder, manifest)
    except CrisisError as exc:
        return IndexCheck(folder, ((Path(getattr(exc, "path", None) or folder), *_split(exc)),))
    if files:
        return IndexCheck(folder, tuple((folder / name, problem, integrity.RECOVERY) for name, problem in files.items()), legacy)
    try:
        snapshot = store.Snapshot(folder, model, verify=False)
    except CrisisError as exc:
        return IndexCheck(folder, ((Path(getattr(exc, "path", None) or folder), *_split(exc)),), legacy)
    try:
        problems = _contents(snapshot)
        summary = (f"{_count(manifest.get('paragraphs'), 'paragraph')} from {_count(manifest.get('documents'), 'source')}, "
                   f"{manifest.get('faiss_index')}")
        own = manifest.get("delta")
        if isinstance(own, dict):  # a delta (index/store/delta.py): it serves only with its base
            base = folder.parent / str(own.get("base"))
            summary += (f"; a delta over {base.name}: {_count(snapshot.size, 'paragraph')} added, "
                        f"{_count(own.get('removed_paragraphs'), 'paragraph')} removed")
            if not (base / integrity.MANIFEST).is_file():
                problems.append((base, "is missing: the delta over it cannot serve"))
    finally:
        snapshot.close()
    return IndexCheck(folder, tuple((path, problem, integrity.RECOVERY) for path, problem in problems), legacy, summary)


def _contents(snapshot: store.Snapshot) -> list[tuple[Path, str]]:
    problems = []
    vectors, corpus = snapshot.folder / "vectors.faiss", snapshot.folder / "corpus.sqlite"
    bad = integrity.bad_vectors(snapshot.vectors)
    if bad:
        problems.append((vectors, f"holds {bad} zero or non-finite vectors of {snapshot.size}"))
    try:
        with integrity.reading(corpus):
            checked = [row[0] for row in snapshot.db.execute("PRAGMA quick_check")]
            paragraphs = snapshot.db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]
    except IndexDamaged as exc:
        return [*problems, (corpus, _split(exc)[0])]
    if checked != ["ok"]:
        problems.append((corpus, f"fails SQLite's quick_check: {checked[0]}"))
    if paragraphs != snapshot.size:
        problems.append((corpus, f"holds {paragraphs} paragraphs for {snapshot.size} vectors"))
    return problems


# --- the data dir ------------------------------------------------------------------------


def examine(data_dir: Path, model: str) -> Report:
    """Every check of a data dir, for the index ``model`` should read."""
    data_dir = data_dir.resolve()
    if not data_dir.is_dir():
        missing = Finding(PROBLEM, str(data_dir), "does not exist", "build an index with `crisisbot index build`")
        return Report(data_dir, (missing,))

    def relative(path) -> str:
        path = Path(path)
        return path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else str(path)

    findings: list[Finding] = []
    current = _current(data_dir, findings)
    if current is not None:
        findings += _serving(check_index(current, model), relative)
    for folder in published(data_dir):
        if folder == current:
            continue
        check = check_index(folder, model)
        if check.problems:
            path, message, _ = check.problems[0]
            findings.append(Finding(WARNING, relative(path), message, KEPT_FIX))
        else:
            findings.append(Finding(OK, relative(folder), f"verifies ({check.summary}); `crisisbot index rollback` can serve it"))
    findings += _leftovers(data_dir, relative)
    findings += _sources(data_dir, relative)
    findings += _state(data_dir / "state.sqlite")
    findings += _state(data_dir / "feeds.sqlite", FEEDS_FIX)
    findings += _permissions(data_dir, relative)
    return Report(data_dir, tuple(findings))


def _current(data_dir: Path, findings: list[Finding]) -> Path | None:
    try:
        current = store.current_folder(data_dir)
    except IndexDamaged as exc:
        findings.append(Finding(PROBLEM, store.CURRENT, *_split(exc)))
        return None
    if current is None:
        findings.append(Finding(PROBLEM, store.CURRENT, "there is no index yet", "build one with `crisisbot index build`"))
    elif current.parent != (data_dir / store.INDEXES).resolve():
        outside = f"points to {current}, outside {store.INDEXES}/"
        findings.append(Finding(WARNING, store.CURRENT, outside, "`crisisbot index rollback` links an index of ours"))
    return current


def _serving(check: IndexCheck, relative) -> list[Finding]:
    name = relative(check.folder)
    found = [Finding(PROBLEM, relative(path), message, fix) for path, message, fix in check.problems]
    if check.legacy:
        found.append(Finding(WARNING, f"{name}/{integrity.MANIFEST}", "written before checksums: its files cannot be verified",
                             "`crisisbot index build` writes an index with them"))
    if not check.problems:
        verified = "files unverified" if check.legacy else "every file matches its checksum"
        found.insert(0, Finding(OK, store.CURRENT, f"-> {name}: {check.summary}; {verified}"))
    return found


def _writer_running(data_dir: Path) -> bool:
    try:
        fd = os.open(data_dir / "write.lock", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)  # closing also drops the shared lock just taken
    return False


def _leftovers(data_dir: Path, relative) -> list[Finding]:
    indexes = data_dir / store.INDEXES
    building = sorted(p for p in indexes.iterdir() if p.name.endswith(store.BUILDING_SUFFIX)) if indexes.is_dir() else []
    if building and _writer_running(data_dir):
        return [Finding(OK, relative(building[-1]), "an index write is running")]
    return [
        Finding(WARNING, relative(p), "left by an interrupted index write", "the next index write removes it, or delete it")
        for p in building
    ]


def _sources(data_dir: Path, relative) -> list[Finding]:
    sources = data_dir / "sources"
    if not sources.exists():
        return []
    if not sources.is_dir():
        return [Finding(PROBLEM, relative(sources), "is not a folder", "move it away; added sources are kept there")]
    unreadable, count = [], 0
    for root, _, names in os.walk(sources, onerror=lambda exc: unreadable.append(Path(exc.filename))):
        for name in names:
            count += 1
            try:
                with open(Path(root) / name, "rb") as f:
                    f.read(1)
            except OSError:
                unreadable.append(Path(root) / name)
    fix = "a rebuild (`crisisbot index build`) would leave it out; fix its permissions or remove the source"
    found = [Finding(WARNING, relative(path), "cannot be read", fix) for path in unreadable]
    return found or [Finding(OK, relative(sources), f"{count} added source files, all readable")]


STATE_FIX = "stop the bot and move it aside: a new one starts empty (audit log, saved answers and feedback are in the old one)"
FEEDS_FIX = ("stop the bot and move it aside: subscriptions start empty (add them again with `crisisbot feeds add`; "
             "what they indexed stays)")


def _state(path: Path, fix: str = STATE_FIX) -> list[Finding]:
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(path)  # as the bot opens it: read-only would leave -wal and -shm files behind
        try:
            checked = [row[0] for row in db.execute("PRAGMA quick_check")]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [Finding(PROBLEM, path.name, f"cannot be read ({exc})", fix)]
    if checked != ["ok"]:
        return [Finding(PROBLEM, path.name, f"fails SQLite's quick_check: {checked[0]}", fix)]
    return [Finding(OK, path.name, "readable, passes SQLite's quick_check")]


def _permissions(data_dir: Path, relative) -> list[Finding]:
    """The data dir holds what members asked: group or others should not read any of it."""
    paths = [data_dir, *(p for p in data_dir.iterdir() if not p.is_symlink())]
    open_to_others = [p for p in paths if p.stat().st_mode & 0o077]
    if not open_to_others:
        return []
    listed = ", ".join(f"{relative(p) or '.'} ({stat.filemode(p.stat().st_mode)})" for p in open_to_others)
    return [Finding(WARNING, ".", f"readable or writable by group or others: {listed}", f"chmod -R go-rwx {data_dir}")]


# --- rollback ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollback:
    previous: Path | None  # what current pointed to; None if the link was broken or missing
    current: Path
    skipped: tuple[tuple[Path, str], ...] = field(default=())  # newer folders that did not verify


def rollback(data_dir: Path, model: str) -> Rollback:
    """Point ``current`` at the newest published index older than the one it points to (any, if
    the link is broken) that loads and verifies, under the write lock.  IndexProblem if none does."""
    with store.write_lock(data_dir):
        link = data_dir / store.CURRENT
        try:
            current = store.current_folder(data_dir)
        except IndexDamaged:
            if not link.is_symlink():  # a real folder: whatever is in it is the operator's to move
                raise
            current = None
        folders = published(data_dir)
        older = folders[: folders.index(current)] if current in folders else folders
        skipped = []
        for folder in reversed(older):
            try:
                store.load_view(folder, model).close()  # a delta with its base
            except CrisisError as exc:
                skipped.append((folder, _split(exc)[0]))
                continue
            _link(data_dir, folder)
            return Rollback(current, folder, tuple(skipped))
    tried = "; ".join(f"{folder.name}: {problem}" for folder, problem in skipped)
    raise store.IndexProblem(
        f"no older index in {data_dir / store.INDEXES} verifies{f' ({tried})' if tried else ''}; "
        "rebuild it from the sources with `crisisbot index build`"
    )


def _link(data_dir: Path, folder: Path) -> None:
    """``current`` -> ``folder`` in one atomic step, as ``store.publish`` does it."""
    tmp = data_dir / f".{store.CURRENT}.{secrets.token_hex(4)}"
    os.symlink(Path(store.INDEXES) / folder.name, tmp)
    os.replace(tmp, data_dir / store.CURRENT)
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
