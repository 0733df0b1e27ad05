"""Shared fixtures: the real bundled model (loaded once) and a real index of the bundled corpus.

Tests that change an index get their own copy of the session's built index
(``service``); read-only tests share one (``shared_service``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.config import Settings
from index.embed import Embedder
from index.service import CrisisService

ROOT = Path(__file__).resolve().parent.parent


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings that ignore the developer's own .env file."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
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
