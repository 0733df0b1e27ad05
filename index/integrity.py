"""Checksums of an index's files, and reading them so that any damage is one clear error.

``IndexWriter.commit`` lists every file of a new index in its manifest once the
file is final, with its size and SHA-256::

    "files": {"vectors.faiss": {"bytes": 75746, "sha256": "9f2c..."},
              "lexical/vocab.index.json": {"bytes": 7234, "sha256": "41d0..."}, ...}

and writes the manifest last.  Loading checks every size first (a stat each),
then every hash, before any parser sees a byte: a truncated, garbled or zeroed
file is named instead of crashing FAISS, bm25s, NumPy or SQLite, or, worse,
loading and answering wrongly.  A manifest without ``files`` (an index written
before checksums) still loads, with the cheaper checks below and its vectors'
values checked instead; ``crisisbot doctor`` says it is unverified.

SHA-256 because OpenSSL's runs at about 1.4 GB/s on this machine (SHA-NI), twice
blake2b's; ``bench/verify_load.py`` measures both and what verifying adds to a load.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import CrisisError, IndexDamaged

ALGORITHM = "sha256"
MANIFEST = "manifest.json"
RECOVERY = (
    "run `crisisbot index rollback` to serve the previous index, "
    "or `crisisbot index build` to rebuild it from the sources"
)
SQLITE_MAGIC = b"SQLite format 3\x00"
VECTOR_CHUNK = 65_536  # vectors checked per step, so a large index is not copied whole


def damaged(path: Path, problem: str, recovery: str = RECOVERY, *, what: str = "index file") -> IndexDamaged:
    """The one-line error for a damaged index file: which, what is wrong, what to run."""
    return IndexDamaged(f"the {what} {path} {problem}; {recovery}", path=str(path))


def _reason(exc: BaseException) -> str:
    """An exception as a short phrase on one line (FAISS prefixes the C++ function and source line)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", text)
    return text if len(text) <= 160 else text[:157] + "..."


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Any failure to read or parse ``path`` inside the block becomes IndexDamaged naming it.

    FAISS raises RuntimeError, bm25s and NumPy ValueError or EOFError, JSON a
    ValueError, SQLite DatabaseError: one rule for all of them.
    """
    try:
        yield
    except (CrisisError, sqlite3.ProgrammingError, sqlite3.InterfaceError):  # ours, or a bug: not damage
        raise
    except FileNotFoundError as exc:
        raise damaged(path, "is missing") from exc
    except Exception as exc:
        raise damaged(path, f"cannot be read ({_reason(exc)})") from exc


# --- checksums ---------------------------------------------------------------------------


def index_files(folder: Path) -> list[str]:
    """Every file of an index folder but the manifest, as sorted relative POSIX paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def file_digest(path: Path, algorithm: str = ALGORITHM) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def checksums(folder: Path, algorithm: str = ALGORITHM) -> dict[str, dict]:
    """The manifest's ``files``: each file's size and digest.  Call once every file is final."""
    return {
        name: {"bytes": (folder / name).stat().st_size, algorithm: file_digest(folder / name, algorithm)}
        for name in index_files(folder)
    }


def is_legacy(manifest: dict) -> bool:
    """Written before checksums: nothing to verify the files against."""
    return "files" not in manifest


def size_problem(path: Path, entry: dict) -> str | None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if size != entry.get("bytes"):
        return f"is {size} bytes, not the {entry.get('bytes')} it was written with (truncated or overwritten)"
    return None


def hash_problem(path: Path, entry: dict) -> str | None:
    algorithm = next((a for a in entry if a != "bytes" and a in hashlib.algorithms_available), None)
    if algorithm is None:
        return "has no checksum this version can check"
    try:
        digest = file_digest(path, algorithm)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if digest != entry[algorithm]:
        return f"does not match its {algorithm} checksum (corrupted or altered)"
    return None


def _entries(folder: Path, manifest: dict) -> dict[str, dict]:
    files = manifest["files"]
    if not isinstance(files, dict) or not all(isinstance(e, dict) for e in files.values()):
        raise damaged(folder / MANIFEST, "lists its files in a form this version cannot read")
    return files


def verify(folder: Path, manifest: dict) -> None:
    """Every listed file's size, then its checksum; IndexDamaged naming the first that differs.

    Nothing to do for a legacy manifest (``is_legacy``).
    """
    if is_legacy(manifest):
        return
    files = _entries(folder, manifest)
    for check in (size_problem, hash_problem):  # all the cheap checks before any expensive one
        for name, entry in files.items():
            problem = check(folder / name, entry)
            if problem:
                raise damaged(folder / name, problem)


def file_problems(folder: Path, manifest: dict) -> dict[str, str]:
    """Every listed file that differs, with what is wrong (for ``doctor``, which reports them all)."""
    problems = {}
    for name, entry in _entries(folder, manifest).items():
        problem = size_problem(folder / name, entry) or hash_problem(folder / name, entry)
        if problem:
            problems[name] = problem
    return problems


# --- cheap structural checks -------------------------------------------------------------


def check_sqlite_header(path: Path) -> None:
    """The magic string, and the size the header records against the file's: catches garbling and truncation."""
    with reading(path), open(path, "rb") as f:
        header = f.read(100)
        size = f.seek(0, 2)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise damaged(path, "is not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65_536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[24:28] == header[92:96]  # the header's page count is only kept up to date then
    if header_size_valid and pages and size != pages * page_size:
        raise damaged(path, f"is {size} bytes but its header says {pages * page_size} (truncated)")


def check_counts(folder: Path, manifest: dict, *, vectors: int, lexical: int) -> None:
    """Vectors and lexical rows against the manifest's paragraph count."""
    paragraphs = manifest.get("paragraphs")
    if vectors != paragraphs:
        raise damaged(folder / "vectors.faiss", f"holds {vectors} vectors for {paragraphs} paragraphs")
    if lexical != paragraphs:
        raise damaged(folder / "lexical_ids.npy", f"lists {lexical} lexical rows for {paragraphs} paragraphs")


def bad_vectors(index) -> int:
    """How many stored vectors are non-finite or zero (``index`` is an ``ann.VectorIndex``)."""
    ids = index.ids()
    bad = 0
    for start in range(0, len(ids), VECTOR_CHUNK):
        chunk = index.vectors(ids[start : start + VECTOR_CHUNK])
        finite = np.isfinite(chunk).all(axis=1)
        zero = np.einsum("ij,ij->i", chunk, chunk, dtype=np.float64) < 1e-12
        bad += int(np.count_nonzero(~finite | zero))
    return bad


def check_vectors(index, path: Path) -> None:
    bad = bad_vectors(index)
    if bad:
        raise damaged(path, f"holds {bad} zero or non-finite vectors of {index.count()}")
