"""Kept copies of sources in PostgreSQL (index/store/postgres/kept.py): with the index in a database, the
files and pages added through one host are in that database, so another host with a data dir of its own
rebuilds, cites, refreshes and removes them; a write that fails or is killed leaves no kept row behind;
``crisisbot store export|import`` carries them from the folders into the database; ``migrate`` makes
their table and ``doctor`` counts them.  Real PostgreSQL (tests/postgres.py), real model, loopback pages."""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import BadInput
from index.fetch import FetchPolicy, fetch_document
from index.kept import check_name, page_record
from index.service import CrisisService
from index.store import portable
from index.store.postgres.writer import PostgresTransaction

from .helpers import adds_killed, bigger_corpus, clean_env, make_settings
from .webpages import PageServer

LVIV = ("Missiles hit a fuel depot in Lviv\n\n"
        "Air raid sirens sounded over Lviv in the early hours of the morning.\n\n"
        "The regional governor said two missiles struck a fuel depot on the edge of the city.\n")
LVIV_Q = "What did the missiles strike in Lviv?"
SANCTIONS_Q = "How many Duma members did the EU sanction?"
SANCTIONS_TITLE = "EU agrees first sanctions package against Russia"
LOOPBACK = FetchPolicy(timeout_seconds=2, max_bytes=512 * 1024, allow_private=True)


@pytest.fixture(scope="module")
def pages():
    server = PageServer().start()
    yield server
    server.stop()


def url_of(service: CrisisService) -> str:
    return service.settings.database_url.get_secret_value()


@pytest.fixture
def hosts(postgres_service, embedder, tmp_path):
    """Two hosts, each with a data dir of its own, on one database holding the bundled corpus."""
    url = url_of(postgres_service)
    made = [CrisisService(make_settings(tmp_path / name, database_url=url, allow_private_urls=True, fetch_timeout_seconds=2),
                          embedder=embedder) for name in ("host-a", "host-b")]
    yield made
    for service in made:
        service.store.close()


def lviv_file(tmp_path: Path) -> Path:
    path = tmp_path / "upload" / "lviv.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LVIV, encoding="utf-8")
    return path


def kept_rows(url: str) -> list[tuple[str, str, str]]:
    """(name, kind, sha256) of every row of kept_sources, read straight from the database."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT name, kind, sha256 FROM kept_sources ORDER BY name").fetchall()


def cited(service: CrisisService, question: str) -> list[str]:
    return [c.title for c in service.ask(question).citations]


def leftover_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("crisisbot-kept-*"))


def test_a_file_and_a_page_added_through_one_host_survive_a_rebuild_through_another(hosts, pages, tmp_path):
    a, b = hosts
    before = leftover_folders()
    added = a.add_paths([lviv_file(tmp_path)])
    page = asyncio.run(a.add_url(pages.url("/articles/eu-sanctions")))
    assert added.change.documents_added == 1 and page.change.paragraphs_added == 5
    assert not a.sources_dir.exists() and not b.sources_dir.exists()  # on no host's disk
    assert [(name, kind) for name, kind, _ in kept_rows(url_of(a))] == [("lviv.txt", "file"), (f"web/{page.change.added_ids[0]}.jsonl", "page")]
    ids = {d.title: (d.id, d.origin) for d in a.documents()}

    built = b.build()  # the other host's full rebuild reads the copies from the database
    assert built.manifest["sources"][-1] == b.kept.location and "kept_sources" in b.kept.location
    rebuilt = {d.title: (d.id, d.origin) for d in b.documents()}
    assert rebuilt["Missiles hit a fuel depot in Lviv"] == ids["Missiles hit a fuel depot in Lviv"]  # same ids, same origins
    assert rebuilt[SANCTIONS_TITLE] == ids[SANCTIONS_TITLE] == (page.change.added_ids[0], f"kept:web/{page.change.added_ids[0]}.jsonl")
    assert ids["Missiles hit a fuel depot in Lviv"][1] == "kept:lviv.txt"
    assert cited(b, LVIV_Q)[0] == "Missiles hit a fuel depot in Lviv"
    assert cited(b, SANCTIONS_Q)[0] == SANCTIONS_TITLE and "351" in b.ask(SANCTIONS_Q).answer
    assert cited(a, LVIV_Q)[0] == "Missiles hit a fuel depot in Lviv"  # and the first host serves what the second built
    assert leftover_folders() == before  # the copies written out for the rebuild are gone

    assert b.url_sources() == a.url_sources() == [{"id": ids[SANCTIONS_TITLE][0], "url": pages.url("/articles/eu-sanctions"),
                                                   "content_hash": page.load.documents[0].meta["content_hash"]}]
    refreshed = asyncio.run(b.refresh_urls())  # the other host's refresh sees the page A added
    assert (refreshed.checked, refreshed.changed, refreshed.failed) == (1, [], [])
    # The page's record, as a feed poll reads it to know an item that comes back (index/feeds.py), on any host.
    record = b.kept.page(ids[SANCTIONS_TITLE][0])
    assert record is not None and record["content_hash"] == page.load.documents[0].meta["content_hash"]
    assert b.kept.page("url-not-kept") is None


def test_a_remove_through_another_host_deletes_the_kept_copy(hosts, pages, tmp_path):
    a, b = hosts
    a.add_paths([lviv_file(tmp_path)])
    a.add_fetched(asyncio.run(fetch_document(pages.url("/articles/eu-sanctions"), LOOPBACK)))
    ids = {d.title: d.id for d in a.documents()}
    b.remove_sources([ids["Missiles hit a fuel depot in Lviv"]])
    assert [name for name, *_ in kept_rows(url_of(a))] == [f"web/{ids[SANCTIONS_TITLE]}.jsonl"]
    b.remove_sources([ids[SANCTIONS_TITLE]])
    assert kept_rows(url_of(a)) == [] and a.url_sources() == [] and a.kept.names() == []
    a.build()  # nothing comes back
    assert not {"Missiles hit a fuel depot in Lviv", SANCTIONS_TITLE} & {d.title for d in a.documents()}
    assert "Missiles hit a fuel depot in Lviv" not in cited(a, LVIV_Q)


def test_a_write_that_fails_after_keeping_leaves_no_kept_row(hosts, pages, tmp_path, monkeypatch):
    a, b = hosts
    url = url_of(a)

    def crash(stage: str, done: int, total: int) -> None:  # after the copy is kept, while embedding
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        a.add_paths([lviv_file(tmp_path)], progress=crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        a.add_fetched(asyncio.run(fetch_document(pages.url("/articles/eu-sanctions"), LOOPBACK)), progress=crash)
    assert kept_rows(url) == [] and b.kept.names() == []
    assert not {"Missiles hit a fuel depot in Lviv", SANCTIONS_TITLE} & {d.title for d in b.documents()}

    a.add_paths([lviv_file(tmp_path)])
    [doc] = [d for d in a.documents() if d.title == "Missiles hit a fuel depot in Lviv"]

    def refuse(self):
        raise RuntimeError("commit refused")

    monkeypatch.setattr(PostgresTransaction, "commit", refuse)  # a removal that fails at its very end
    with pytest.raises(RuntimeError, match="commit refused"):
        b.remove_sources([doc.id])
    monkeypatch.undo()
    assert [name for name, *_ in kept_rows(url)] == ["lviv.txt"]  # the deleted row is back with the document
    assert doc.id in {d.id for d in b.documents()}


def test_a_writer_killed_mid_add_leaves_no_kept_row(postgres_service, tmp_path):
    extra = tmp_path / "extra"
    bigger_corpus(extra, n_docs=8)
    url = url_of(postgres_service)
    env = clean_env() | {"CRISISBOT_DATABASE_URL": url}

    def state() -> tuple[frozenset, list]:
        return frozenset(d.id for d in postgres_service.snapshot().documents()), [name for name, *_ in kept_rows(url)]

    before = state()
    rng = random.Random(17)
    delays = [*(rng.uniform(0.3, 2.5) for _ in range(3)), None]
    states = adds_killed(tmp_path / "data", extra / "recombined.jsonl", env, delays, state)
    assert before[1] == [] and states[-1][1] == ["recombined.jsonl"] and len(states[-1][0] - before[0]) == 8
    assert all(s in (before, states[-1]) for s in states)  # a copy only with its documents, never without


def test_export_from_the_folders_then_import_into_postgres_keeps_the_copies(run, monkeypatch, postgres_database, pages, tmp_path,
                                                                           embedder):
    assert run("sources", "add", "--quiet", str(lviv_file(tmp_path))).exit_code == 0
    monkeypatch.setenv("CRISISBOT_ALLOW_PRIVATE_URLS", "true")
    added = run("sources", "add", "--quiet", pages.url("/articles/eu-sanctions"))
    assert added.exit_code == 0, added.output
    local_copies = sorted(p.relative_to(run.data_dir / "sources").as_posix() for p in (run.data_dir / "sources").rglob("*") if p.is_file())
    exported = run("store", "export", str(tmp_path / "export"))
    assert exported.exit_code == 0, exported.output
    assert [json.loads(line)["name"] for line in (tmp_path / "export" / "kept.jsonl").read_text().splitlines()] == local_copies

    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    imported = run("store", "import", str(tmp_path / "export"))
    assert imported.exit_code == 0, imported.output
    assert [name for name, *_ in kept_rows(postgres_database)] == local_copies == ["lviv.txt", local_copies[1]]
    elsewhere = CrisisService(make_settings(tmp_path / "another-host", database_url=postgres_database), embedder=embedder)
    try:
        origins = {d.title: d.origin for d in elsewhere.documents()}
        assert origins["Missiles hit a fuel depot in Lviv"] == "kept:lviv.txt" and origins[SANCTIONS_TITLE] == f"kept:{local_copies[1]}"
        assert [s["url"] for s in elsewhere.url_sources()] == [pages.url("/articles/eu-sanctions")]
        elsewhere.build()  # a rebuild on the database reads the imported copies
        assert cited(elsewhere, LVIV_Q)[0] == "Missiles hit a fuel depot in Lviv"
        assert cited(elsewhere, SANCTIONS_Q)[0] == SANCTIONS_TITLE
        doctor = run("doctor", "--json")
        assert doctor.exit_code == 0, doctor.output
        assert json.loads(doctor.output)["findings"][1]["message"] == "1 added source files and 1 fetched pages kept for rebuilds"
    finally:
        elsewhere.store.close()


def test_a_database_of_schema_1_is_refused_until_migrate_makes_the_kept_table(run, monkeypatch, postgres_service):
    url = url_of(postgres_service)
    postgres_service.store.close()
    with psycopg.connect(url, autocommit=True) as conn:  # as a database written before kept_sources was
        conn.execute("DROP TABLE kept_sources")
        conn.execute("DELETE FROM schema_migrations WHERE version = 2")
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", url)
    refused = run("ask", "Who did Blinken write to proposing a meeting?")
    assert refused.exit_code != 0 and "run `crisisbot migrate`" in refused.output and "Traceback" not in refused.output
    migrated = run("migrate")
    assert migrated.exit_code == 0 and "index schema version 2 (applied 2)" in migrated.output, migrated.output
    assert run("ask", "Who did Blinken write to proposing a meeting?").exit_code == 0
    doctor = run("doctor", "--json")
    assert doctor.exit_code == 0 and json.loads(doctor.output)["findings"][1]["message"].startswith("0 added source files and 0 fetched")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.txt", ".", "..", "", ".hidden", "web", "x\0y", "/", "~", " ", "é"]), min_size=1, max_size=6))
def test_a_kept_name_never_reaches_outside_its_folder(parts):
    name = "/".join(parts)
    try:
        check_name(name)
    except ValueError:
        return
    root = "/srv/kept"
    assert os.path.normpath(os.path.join(root, name)).startswith(root + "/") and "\0" not in name


def test_an_export_whose_kept_copies_are_tampered_with_is_refused(shared_service, tmp_path):
    folder = tmp_path / "export"
    shared_service.export_corpus(folder)
    assert portable.load(folder).kept == []  # the bundled corpus alone: no copies
    (folder / "kept").mkdir()
    (tmp_path / "escape.txt").write_text("planted", encoding="utf-8")
    with open(folder / "kept.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"name": "../escape.txt", "kind": "file", "sha256": "0" * 64, "origin": "x"}) + "\n")
    with pytest.raises(BadInput, match="not the name of a kept source"):
        portable.load(folder)
    (folder / "kept" / "lviv.txt").write_text(LVIV, encoding="utf-8")
    with open(folder / "kept.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"name": "lviv.txt", "kind": "file", "sha256": "0" * 64, "origin": "x"}) + "\n")
    with pytest.raises(BadInput, match="does not match its SHA-256"):
        portable.load(folder)


def test_migrate_moves_the_copies_an_earlier_version_kept_on_a_hosts_disk_into_the_database(run, monkeypatch, hosts, pages):
    a, b = hosts
    # What an earlier version left on host A: copies under its data dir, documents whose origins are their paths.
    (a.sources_dir / "web").mkdir(parents=True)
    (a.sources_dir / "lviv.txt").write_text(LVIV, encoding="utf-8")
    page = asyncio.run(fetch_document(pages.url("/articles/eu-sanctions"), LOOPBACK))
    (a.web_dir / f"{page.id}.jsonl").write_text(json.dumps(page_record(page)) + "\n", encoding="utf-8")
    a.add_documents(a._load([a.sources_dir / "lviv.txt", a.web_dir / f"{page.id}.jsonl"]).documents)
    before = {d.title: d for d in b.documents()}
    assert before["Missiles hit a fuel depot in Lviv"].origin == str(a.sources_dir / "lviv.txt")

    monkeypatch.setenv("CRISISBOT_DATABASE_URL", url_of(a))
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(a.data_dir))
    migrated = run("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert [name for name, *_ in kept_rows(url_of(a))] == ["lviv.txt", f"web/{page.id}.jsonl"]
    assert not a.sources_dir.exists() and len(list(a.data_dir.glob("sources.in-database-*/lviv.txt"))) == 1  # set aside, not deleted
    moved = {d.title: d for d in b.documents()}
    assert moved["Missiles hit a fuel depot in Lviv"].origin == "kept:lviv.txt" and moved[SANCTIONS_TITLE].origin == f"kept:web/{page.id}.jsonl"
    assert [s["url"] for s in b.url_sources()] == [pages.url("/articles/eu-sanctions")]
    assert run("migrate").exit_code == 0 and len(kept_rows(url_of(a))) == 2  # nothing left to move

    b.build()  # the other host rebuilds them with the ids they had
    assert {d.title: d.id for d in b.documents()}["Missiles hit a fuel depot in Lviv"] == before["Missiles hit a fuel depot in Lviv"].id
    assert cited(b, LVIV_Q)[0] == "Missiles hit a fuel depot in Lviv"
    b.remove_sources([before["Missiles hit a fuel depot in Lviv"].id])
    assert [name for name, *_ in kept_rows(url_of(a))] == [f"web/{page.id}.jsonl"]
