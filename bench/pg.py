"""PostgreSQL for the benchmarks: the server named by ``--database-url``, or a private one (pgserver)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo


@contextlib.contextmanager
def server(given_url: str | None, prefix: str) -> Iterator[tuple[str, Path]]:
    """(the server's maintenance URL, a temporary work folder), both gone afterwards.

    Without ``given_url`` a private PostgreSQL with pgvector starts in the work folder (0755: run
    as root, pgserver runs the server as a user of its own, who must reach it).
    """
    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)
    private = None
    try:
        if given_url:
            admin = given_url
        else:
            import pgserver

            private = pgserver.get_server(work / "postgres", cleanup_mode="stop")
            admin = private.get_uri()
        yield admin, work
    finally:
        if private is not None:
            private.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def fresh_database(admin: str, name: str) -> str:
    """An empty database ``name`` on the server of ``admin`` (dropped first if it exists); its URL."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_conninfo(admin, dbname=name)
