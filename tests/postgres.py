"""PostgreSQL for the tests: a real server with pgvector, never a mock (conftest.py loads this as a plugin).

``CRISISBOT_TEST_DATABASE_URL`` names a server of one's own (its user may create databases and the
``vector`` extension); without it the session starts a private PostgreSQL 16 with pgvector from the
``pgserver`` wheel.  Each test gets a database of its own, made empty or as a copy of one with the
bundled corpus built (``CREATE DATABASE ... TEMPLATE``: a file copy, no re-embedding).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from index.service import CrisisService
from tests.helpers import make_settings

_names = itertools.count()


def create_database(url: str, name: str, template: str | None = None) -> str:
    """A new database on the server of ``url``; its URL."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return make_conninfo(url, dbname=name)


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a PostgreSQL server with pgvector for this session (its maintenance database)."""
    given = os.environ.get("CRISISBOT_TEST_DATABASE_URL")
    if given:
        yield given
        return
    import pgserver

    # Not under pytest's tmp folder: run as root, pgserver starts the server as a user of its own, who must
    # reach the data folder (pytest's base folder is private to its owner).
    base = Path(tempfile.mkdtemp(prefix="crisisbot-pg-"))
    base.chmod(0o755)
    server = pgserver.get_server(base / "data", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_url):
    """The URL of a new, empty database, dropped after the test."""
    name = f"crisisbot_test_{os.getpid()}_{next(_names)}"
    yield create_database(postgres_url, name)
    drop_database(postgres_url, name)


@pytest.fixture(scope="session")
def built_postgres(postgres_url, embedder, tmp_path_factory) -> str:
    """The name of a database with the bundled corpus built in it.  Do not modify: copy it (``postgres_service``)."""
    name = f"crisisbot_built_{os.getpid()}"
    url = create_database(postgres_url, name)
    service = CrisisService(make_settings(tmp_path_factory.mktemp("pg-built") / "data", database_url=url), embedder=embedder)
    service.build()
    service.store.close()  # a template database must have no connections
    yield name
    drop_database(postgres_url, name)


def postgres_copy(postgres_url: str, template: str) -> tuple[str, str]:
    name = f"crisisbot_copy_{os.getpid()}_{next(_names)}"
    return name, create_database(postgres_url, name, template)


@pytest.fixture
def postgres_service(postgres_url, built_postgres, embedder, tmp_path):
    """A service over a private copy of the bundled corpus in Postgres, free to modify."""
    name, url = postgres_copy(postgres_url, built_postgres)
    service = CrisisService(make_settings(Path(tmp_path) / "data", database_url=url), embedder=embedder)
    yield service
    service.store.close()
    drop_database(postgres_url, name)
