"""Files and folders that only the bot's own user may read.

The data dir holds what members asked and what moderators uploaded, so it is
0700 and every file in it 0600, whatever the process umask.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created if needed, and made 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """An existing file made 0600."""
    os.chmod(path, FILE_MODE)
    return path


def private_tree(root: Path) -> None:
    """Every folder under ``root`` 0700 and every file 0600 (links are left alone)."""
    for folder, dirs, files in os.walk(root):
        os.chmod(folder, DIR_MODE)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a hidden temporary file, fsync, rename), mode 0600."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path
