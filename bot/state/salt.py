"""The salt of the members' hashes: never next to them (the ``user_hash_salt`` setting, else ``<data_dir>/user-salt``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from index.fsutil import FILE_MODE

SALT_FILE = "user-salt"


def shared_salt(path: Path, candidate: str) -> str:
    """The salt in ``path``; when there is none yet, ``candidate`` is put there first.

    The file appears whole or not at all: the salt goes to a temporary file
    created with O_CREAT|O_EXCL (0600), which is then hard-linked to ``path``.
    A link never replaces an existing file, so of two processes racing, one
    salt wins and both read it back.
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(candidate + "\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: its salt stands
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    salt = path.read_text(encoding="ascii").strip()
    if not salt:
        raise RuntimeError(f"{path} is empty; delete it to start with a new salt (stored votes then lose their owner)")
    return salt
