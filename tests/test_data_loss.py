"""Writes that must lose nothing: garbage collection, racing adds, writes during a build,
document ids, planted URL sources and the data dir's permissions (issue 12, items 2, 5-9)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from index import store
from index.config import BUNDLED_CORPUS
from index.ingest import Document
from index.service import CrisisService

from .helpers import make_settings

BLINKEN = "Who did Blinken write to proposing a meeting?"
ARTICLE = (
    "Air raid sirens sounded over Lviv in the early hours of the morning.\n\n"
    "The regional governor said two missiles struck a fuel depot on the edge of the city.\n\n"
    "Firefighters worked through the night to contain the blaze at the depot.\n"
)


def bundled_ids(service: CrisisService) -> set[str]:
    return {d.id for d in service.documents() if Path(d.origin).parent == BUNDLED_CORPUS}


def note(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def document(i: int) -> Document:
    return Document(
        id=f"doc-{i}", title=f"Kharkiv report {i}", origin="test",
        paragraphs=[f"Shelling hit the Saltivka district of Kharkiv for the {i}th night in a row, officials said."],
    )


# --- item 6: garbage collection never deletes the published index ----------------------


def test_quick_adds_with_a_relative_data_dir_keep_the_published_index(tmp_path, built_data_dir, embedder, monkeypatch):
    shutil.copytree(built_data_dir, tmp_path / "data", symlinks=True)
    monkeypatch.chdir(tmp_path)
    service = CrisisService(make_settings(Path("data")), embedder=embedder)
    for i in range(6):  # several publications inside one second
        service.add_documents([document(i)])
        assert service.has_index(), f"the index published by add {i} was deleted"
        assert "Lavrov" in service.ask(BLINKEN).citations[0].text
    assert {f"doc-{i}" for i in range(6)} <= {d.id for d in service.documents()}


def test_working_folders_sort_by_creation_not_by_clock_or_random_suffix(tmp_path):
    data_dir = tmp_path / "data"
    made = [store.new_folder(data_dir) for _ in range(40)]
    assert sorted(made, key=lambda p: p.name) == made


def test_garbage_collection_keeps_current_and_anything_newer(tmp_path):
    data_dir = tmp_path / "data"
    published = []
    for _ in range(4):
        working = store.new_folder(data_dir)
        (working / "manifest.json").write_text("{}")
        published.append(store.publish(data_dir, working, keep=10))
    # point current back at the second folder (a rollback), then collect garbage
    tmp = data_dir / ".current.test"
    os.symlink(Path(store.INDEXES) / published[1].name, tmp)
    os.replace(tmp, data_dir / "current")
    store._collect_garbage(data_dir, keep=1)
    left = sorted(p.name for p in (data_dir / store.INDEXES).iterdir())
    assert published[1].name in left, "the folder current points to was deleted"
    assert published[2].name in left and published[3].name in left, "a folder newer than current was deleted"
    assert published[0].name not in left
    assert store.current_folder(data_dir) == published[1].resolve()


# --- item 7: two adds of the same file --------------------------------------------------


def test_a_refused_add_of_the_same_file_does_not_delete_the_winners_copy(service: CrisisService, tmp_path):
    upload = note(tmp_path / "in", "lviv.txt", "Missiles hit a fuel depot in Lviv\n\n" + ARTICLE)
    embedding = threading.Event()
    release = threading.Event()

    def slow(stage, done, total):
        if stage == "embedding":
            embedding.set()
            release.wait(30)

    errors: list[BaseException] = []

    def first():
        try:
            service.add_paths([upload], progress=slow)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    winner = threading.Thread(target=first)
    winner.start()
    assert embedding.wait(30)
    with pytest.raises(store.WriteInProgress):
        service.add_paths([upload])
    release.set()
    winner.join(60)
    assert not errors
    kept = service.sources_dir / "lviv.txt"
    assert kept.exists(), "the refused add deleted the copy the winner published"
    service.build()
    assert any(d.title == "Missiles hit a fuel depot in Lviv" for d in service.documents())


# --- item 8: add or remove during a build ------------------------------------------------


class PausedBuild:
    """A full build in a thread, held just after it has read the sources."""

    def __init__(self, service: CrisisService, monkeypatch):
        import index.service

        self.read = threading.Event()
        self.release = threading.Event()
        real_load = index.service.load

        def load_then_wait(*args, **kwargs):
            report = real_load(*args, **kwargs)
            if threading.current_thread() is self.thread:
                self.read.set()
                self.release.wait(30)
            return report

        monkeypatch.setattr(index.service, "load", load_then_wait)
        self.thread = threading.Thread(target=service.build)

    def __enter__(self):
        self.thread.start()
        assert self.read.wait(60)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(120)


def test_a_remove_during_a_build_is_refused_or_really_removes(service: CrisisService, tmp_path, monkeypatch):
    service.add_paths([note(tmp_path / "in", "lviv.txt", "Missiles hit a fuel depot in Lviv\n\n" + ARTICLE)])
    [lviv] = [d.id for d in service.documents() if d.title.startswith("Missiles hit")]
    with PausedBuild(service, monkeypatch):
        try:
            service.remove_sources([lviv])
            removed = True
        except store.WriteInProgress:
            removed = False
    present = lviv in {d.id for d in service.documents()}
    assert present != removed, "the remove reported success but the new index still has the source"


def test_an_add_during_a_build_is_refused_or_really_added(service: CrisisService, tmp_path, monkeypatch):
    with PausedBuild(service, monkeypatch):
        try:
            service.add_paths([note(tmp_path / "in", "lviv.txt", "Missiles hit a fuel depot in Lviv\n\n" + ARTICLE)])
            added = True
        except store.WriteInProgress:
            added = False
    present = any(d.title.startswith("Missiles hit") for d in service.documents())
    assert present == added, "the add reported success but the published index lacks it"


# --- item 9: ids never collide silently and are stable across rebuilds -------------------


def test_a_jsonl_id_equal_to_an_existing_id_does_not_replace_that_source(service: CrisisService, tmp_path):
    [bundled] = bundled_ids(service)
    bundled_paragraphs = {d.id: d.paragraphs for d in service.documents()}[bundled]
    before = service.stats()["paragraphs"]
    line = {"id": bundled, "title": "Lviv depot strike", "date": "2022-03-26", "text": ARTICLE}
    service.add_paths([note(tmp_path / "in", "planted.jsonl", json.dumps(line) + "\n")])
    docs = {d.id: d for d in service.documents()}
    assert bundled in docs and docs[bundled].paragraphs == bundled_paragraphs
    assert any(d.title == "Lviv depot strike" for d in docs.values())
    assert service.stats()["paragraphs"] > before
    ids = {d.id: d.title for d in service.documents()}
    service.build()
    assert {d.id: d.title for d in service.documents()} == ids


def test_same_named_files_from_two_folders_are_two_sources_with_stable_ids(service: CrisisService, tmp_path):
    a = note(tmp_path / "a", "notes.txt", "Field notes\n\nRussian troops withdrew from the Kyiv region by early April.\n")
    b = note(tmp_path / "b", "notes.txt", "Field notes\n\nUkrainian forces retook the town of Lyman in early October.\n")
    service.add_paths([a])
    service.add_paths([b])
    notes = {d.id: d.paragraphs for d in service.documents() if d.title == "Field notes"}
    assert len(notes) == 2
    service.build()
    assert {d.id: d.paragraphs for d in service.documents() if d.title == "Field notes"} == notes


def test_ids_of_a_folder_build_do_not_depend_on_where_the_folder_is(tmp_path, embedder):
    first = note(tmp_path / "one" / "feed", "a.jsonl", json.dumps({"title": "T", "text": ARTICLE}) + "\n")
    second = tmp_path / "two" / "feed"
    shutil.copytree(first.parent, second)
    ids = []
    for folder in (first.parent, second):
        service = CrisisService(make_settings(tmp_path / f"data-{len(ids)}"), embedder=embedder)
        service.build([folder])
        ids.append({d.id for d in service.documents()})
    assert ids[0] == ids[1]


# --- item 2: only URLs added as URLs are refreshed ----------------------------------------


def test_an_uploaded_file_named_like_a_url_source_is_not_refreshed(service: CrisisService, tmp_path):
    record = {"id": "url-0123456789", "title": "Planted", "text": ARTICLE, "source_url": "http://127.0.0.1:9/steal"}
    service.add_paths([note(tmp_path / "in", "url-x.jsonl", json.dumps(record) + "\n")])
    assert any(d.title == "Planted" for d in service.documents())
    assert service.url_sources() == []


# --- item 5: the data dir and what is in it are private -----------------------------------


def test_data_dir_is_0700_and_its_files_0600(tmp_path, embedder):
    service = CrisisService(make_settings(tmp_path / "data"), embedder=embedder)
    service.build()
    service.add_paths([note(tmp_path / "in", "lviv.txt", "Missiles hit a fuel depot in Lviv\n\n" + ARTICLE)])
    data_dir = tmp_path / "data"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.rglob("*"):
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(data_dir)} is {oct(mode)}"
