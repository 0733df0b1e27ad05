"""Shared fixtures: the real bundled model (loaded once), a real index of the bundled corpus, and the
Discord doubles with the real bot on them.

Tests that change an index get their own copy of the session's built index
(``service``); read-only tests share one (``shared_service``).  Plain helpers and constants
are in tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.embed import Embedder
from index.service import CrisisService
from tests.discord_double import DiscordDouble, serving
from tests.discord_double.faults import FaultyDiscordDouble
from tests.helpers import make_settings, running_bot

pytest_plugins = ["tests.postgres"]  # postgres_url, postgres_database, postgres_service: a real PostgreSQL with pgvector

# --- the model and the bundled corpus index ---------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def onnx_export_cache(tmp_path_factory):
    """ONNX exports made by the tests (the default runtime exports every local model folder it
    loads) go to a session folder, not the user's cache; subprocess tests inherit it."""
    if "CRISISBOT_ONNX_CACHE" in os.environ:  # the developer chose one: reuse it
        yield Path(os.environ["CRISISBOT_ONNX_CACHE"])
        return
    folder = tmp_path_factory.mktemp("onnx-export-cache")
    os.environ["CRISISBOT_ONNX_CACHE"] = str(folder)
    yield folder
    os.environ.pop("CRISISBOT_ONNX_CACHE", None)


@pytest.fixture(scope="session")
def embedder(onnx_export_cache) -> Embedder:
    model = Embedder()
    model.load()  # once for the whole session
    return model


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory, embedder) -> Path:
    """A data dir with the bundled corpus indexed.  Do not modify: copy it."""
    data_dir = tmp_path_factory.mktemp("built") / "data"
    CrisisService(make_settings(data_dir), embedder=embedder).build()
    return data_dir


@pytest.fixture(scope="session")
def shared_service(built_data_dir, embedder) -> CrisisService:
    """A read-only service over the bundled corpus index."""
    return CrisisService(make_settings(built_data_dir), embedder=embedder)


@pytest.fixture
def service(tmp_path, built_data_dir, embedder) -> CrisisService:
    """A service over a private copy of the bundled corpus index, free to modify."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    return CrisisService(make_settings(data_dir), embedder=embedder)


@pytest.fixture
def empty_service(tmp_path, embedder) -> CrisisService:
    """A service with no index yet."""
    return CrisisService(make_settings(tmp_path / "empty"), embedder=embedder)


# --- the Discord doubles and the real bot on them ---------------------------------------------


@pytest.fixture
async def double(monkeypatch):
    async with serving(DiscordDouble(), monkeypatch) as server:
        yield server


@pytest.fixture
async def faulty(monkeypatch):
    async with serving(FaultyDiscordDouble(), monkeypatch) as server:
        yield server


@pytest.fixture
async def bot(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=0) as running:
        yield running


# --- the command line, in this process ----------------------------------------------------------


@pytest.fixture
def run(monkeypatch, tmp_path, built_data_dir, embedder):
    """Invoke the CLI in this process against a private copy of the built index (``run.data_dir``,
    ``run.folder`` the published index), with the session's model and no stray .env or token."""
    from typer.testing import CliRunner

    from bot import cli, cli_support

    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setattr(cli_support, "_embedder", lambda *args: embedder)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli.app, list(args), input=input)

    invoke.data_dir = data_dir
    invoke.folder = (data_dir / "current").resolve()
    return invoke


# --- feeds on loopback (tests/feedserver.py) ------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """A loopback server of real-shaped feeds, sitemaps and their pages, one per test module."""
    from tests.feedserver import FeedServer

    feeds = FeedServer().start()
    yield feeds
    feeds.stop()
