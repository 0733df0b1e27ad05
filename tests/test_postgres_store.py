"""The PostgreSQL store (index/store/postgres/) on a real server with pgvector (tests/postgres.py): it retrieves
what the local store retrieves and scores the dev set as well; a write is one transaction (readers keep the
previous generation until it commits, a SIGKILL mid-write leaves it serving, a second writer is refused);
``crisisbot migrate`` is idempotent; ``crisisbot store export|import`` moves a corpus local -> Postgres -> local
with the same answers.  The protocol's own tests run on it too (tests/test_store_protocol.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import psycopg
import pytest

from index import eval as evaluation
from index.ingest import Document
from index.service import CrisisService
from index.store import IndexMismatch, WriteInProgress
from index.store.postgres import PostgresStore

from .helpers import ROOT, adds_killed, bigger_corpus, clean_env, make_settings

QUESTIONS = [
    "Who did Blinken write to proposing a meeting?",
    "Which US diplomat did Russia kick out of Moscow?",
    "Who signed the Minsk II agreement?",
    "russian troops near the border",
    "What did Biden say about an invasion?",
]
GAS = Document(id="gas-talks", title="Gas talks resume", origin="test", outlet="Test Wire", date="2022-09-05",
               paragraphs=["Energy ministers met in Brussels on Monday to discuss a cap on gas prices. No deal was reached."])
GAS_QUESTION = "Where did energy ministers meet about a gas price cap?"


def url_of(service: CrisisService) -> str:
    return service.settings.database_url.get_secret_value()


def answers(service: CrisisService) -> list[tuple[str, list[str]]]:
    return [(a.answer, [c.text for c in a.citations]) for a in map(service.ask, QUESTIONS)]


def test_postgres_retrieves_what_the_local_store_retrieves(postgres_service, shared_service):
    for question in QUESTIONS:
        ours, theirs = postgres_service.search(question, k=10), shared_service.search(question, k=10)
        assert [p.paragraph.text for p in ours] == [p.paragraph.text for p in theirs], question
        assert [p.lexical for p in ours] == pytest.approx([p.lexical for p in theirs], rel=1e-5)
        assert [p.dense for p in ours] == pytest.approx([p.dense for p in theirs], abs=1e-5)
    assert answers(postgres_service) == answers(shared_service)
    view, local = postgres_service.snapshot(), shared_service.snapshot()
    assert view.vocabulary().doc_freq == local.vocabulary().doc_freq
    assert view.documents() == local.documents()


def test_eval_on_the_dev_set_is_within_0_01_mrr_of_the_local_store(postgres_service, shared_service):
    questions = evaluation.load_questions(ROOT / "tests" / "eval" / "dev.jsonl")
    ours, theirs = (evaluation.compare(s, questions, ["final"])[0] for s in (postgres_service, shared_service))
    assert ours.questions == theirs.questions > 20
    assert abs(ours.mrr - theirs.mrr) <= 0.01, (ours.mrr, theirs.mrr)
    assert ours.mrr > 0.5


def test_readers_keep_the_previous_generation_until_the_write_commits(postgres_service, embedder, tmp_path):
    reader = CrisisService(make_settings(tmp_path / "reader", database_url=url_of(postgres_service)), embedder=embedder)
    before = reader.snapshot()
    with postgres_service.store.write() as tx:
        tx.add_documents([GAS], embedder, near_duplicate_ratio=90)
        during = reader.snapshot()
        assert during is before and "gas-talks" not in {d.id for d in during.documents()}
        assert all(c.document_id != "gas-talks" for c in reader.ask(GAS_QUESTION).citations)
        assert len(during.dense_search(embedder.encode_one(GAS_QUESTION), 10)) == 10  # the uncommitted row takes no place
    after = reader.snapshot()
    assert after.manifest["generation"] == before.manifest["generation"] + 1 and after.size == before.size + 1
    assert reader.ask(GAS_QUESTION).citations[0].document_id == "gas-talks"


def test_a_second_writer_is_refused_while_one_writes(postgres_service, embedder):
    other = PostgresStore(url_of(postgres_service), embedder.name)  # another connection, as another process would have
    with postgres_service.store.write() as tx:
        tx.annotate(note="first")
        with pytest.raises(WriteInProgress, match="another index write"):
            with other.write():
                pass
    with other.write() as tx:  # the lock went with the first write
        tx.annotate(note="second")
    assert other.current().manifest["note"] == "second"
    other.close()


def _documents(service: CrisisService) -> frozenset[str]:
    view = service.snapshot()
    assert view.size == view.manifest["paragraphs"] == len(view.vectors_of(range(1, view.size + 1)))
    assert "Lavrov" in service.ask(QUESTIONS[0]).citations[0].text
    return frozenset(d.id for d in view.documents())


def test_a_writer_killed_mid_write_leaves_the_previous_generation_serving(postgres_service, tmp_path):
    extra = tmp_path / "extra"
    bigger_corpus(extra, n_docs=8)
    before = _documents(postgres_service)
    env = clean_env() | {"CRISISBOT_DATABASE_URL": url_of(postgres_service)}
    rng = random.Random(11)
    delays = [*(rng.uniform(0.0, 2.5) for _ in range(3)), None]
    states = adds_killed(tmp_path / "data", extra / "recombined.jsonl", env, delays, lambda: _documents(postgres_service))
    assert all(state in (before, states[-1]) for state in states)
    assert states[-1] > before and len(states[-1] - before) == 8  # the last run, not killed, published all of it


def test_migrate_is_idempotent_and_a_newer_schema_is_refused(run, monkeypatch, postgres_database, embedder):
    local = run("migrate")
    assert local.exit_code == 0 and "nothing to migrate" in local.output
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    first, again = run("migrate"), run("migrate")
    assert first.exit_code == 0 and "schema version 2 (applied 1, 2)" in first.output
    assert again.exit_code == 0 and "schema version 2 (up to date)" in again.output
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        assert conn.execute("SELECT array_agg(version ORDER BY version) FROM schema_migrations").fetchone()[0] == [1, 2]
        assert conn.execute("SELECT to_regclass('kept_sources')").fetchone()[0] == "kept_sources"  # 2: the kept copies
        conn.execute("INSERT INTO schema_migrations (version) VALUES (99)")
    with pytest.raises(IndexMismatch, match="upgrade crisisbot"):
        PostgresStore(postgres_database, embedder.name).current()
    refused = run("ask", QUESTIONS[0])
    assert refused.exit_code != 0 and "upgrade crisisbot" in refused.output and "Traceback" not in refused.output


def _export_rows(folder: Path) -> tuple[list, list]:
    documents = sorted((json.loads(line) for line in (folder / "documents.jsonl").read_text().splitlines()), key=lambda d: d["id"])
    paragraphs = [json.loads(line) for line in (folder / "paragraphs.jsonl").read_text().splitlines()]
    return [{k: v for k, v in d.items() if k != "added_at"} for d in documents], paragraphs


def test_export_and_import_move_a_corpus_local_to_postgres_to_local(run, monkeypatch, postgres_database, shared_service, embedder, tmp_path):
    exported = run("store", "export", str(tmp_path / "from-local"))
    assert exported.exit_code == 0 and "exported" in exported.output, exported.output
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    imported = run("store", "import", str(tmp_path / "from-local"))
    assert imported.exit_code == 0 and "imported" in imported.output, imported.output
    assert run("store", "export", str(tmp_path / "from-postgres")).exit_code == 0
    assert _export_rows(tmp_path / "from-postgres") == _export_rows(tmp_path / "from-local")
    monkeypatch.delenv("CRISISBOT_DATABASE_URL")
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(tmp_path / "again"))
    assert run("store", "import", str(tmp_path / "from-postgres")).exit_code == 0
    in_postgres = CrisisService(make_settings(tmp_path / "pg", database_url=postgres_database), embedder=embedder)
    back_home = CrisisService(make_settings(tmp_path / "again"), embedder=embedder)
    assert answers(in_postgres) == answers(shared_service) == answers(back_home)
    in_postgres.store.close()
    not_empty = run("store", "export", str(tmp_path / "from-local"))
    assert not_empty.exit_code == 2 and "not empty" in not_empty.output
    bad = run("store", "import", str(tmp_path))
    assert bad.exit_code == 2 and "cannot read the corpus export" in bad.output


def test_the_first_write_of_any_kind_makes_the_hnsw_index(postgres_database, embedder, tmp_path):
    service = CrisisService(make_settings(tmp_path / "data", database_url=postgres_database), embedder=embedder)
    added = service.add_documents([GAS])  # not a build: a first `sources add` on an empty database
    assert added.manifest["paragraphs"] == 1 and service.ask(GAS_QUESTION).citations[0].document_id == "gas-talks"
    with psycopg.connect(postgres_database) as conn:
        [definition] = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'paragraphs_embedding'").fetchone()
        assert "hnsw" in definition and "vector_cosine_ops" in definition
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'paragraphs'::regclass "
                            "AND attname = 'embedding'").fetchone()[0] == f"vector({embedder.dimension})"
    service.store.close()


def test_date_windows_filter_the_same_passages_in_both_stores(postgres_database, embedder, tmp_path):
    """since/until are applied to the candidates either store returns (index/search.py): the same windows, the same passages."""
    events = ROOT / "tests" / "eval" / "news" / "events.jsonl"
    local = CrisisService(make_settings(tmp_path / "local"), embedder=embedder)
    postgres = CrisisService(make_settings(tmp_path / "pg", database_url=postgres_database), embedder=embedder)
    for service in (local, postgres):
        service.build([events])
    windows = [(None, dt.date(2022, 4, 5)), (dt.date(2022, 4, 1), dt.date(2022, 6, 30)), (dt.date(2022, 6, 25), None)]
    for question in ("missile strike on a railway station", "Russian forces withdraw", "Where did the attack happen?"):
        for since, until in windows:
            ours = postgres.search(question, k=5, since=since, until=until)
            theirs = local.search(question, k=5, since=since, until=until)
            assert [p.paragraph.text for p in ours] == [p.paragraph.text for p in theirs], (question, since, until)
            assert all((since is None or dt.date.fromisoformat(p.paragraph.document.date) >= since)
                       and (until is None or dt.date.fromisoformat(p.paragraph.document.date) <= until) for p in ours)
    assert len(postgres.search("Kramatorsk railway station", k=5, since=dt.date(2022, 4, 8), until=dt.date(2022, 4, 8))) >= 1
    postgres.store.close()


def test_doctor_and_rollback_speak_of_the_database_not_of_folders(run, monkeypatch, postgres_database, embedder, tmp_path):
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    empty = run("doctor")
    assert empty.exit_code == 1 and "problem:" in empty.output and "Traceback" not in empty.output
    CrisisService(make_settings(tmp_path / "pg", database_url=postgres_database), embedder=embedder).build()
    healthy = run("doctor", "--json")
    assert healthy.exit_code == 0, healthy.output
    report = json.loads(healthy.output)
    assert report["healthy"] and "paragraphs" in report["findings"][0]["message"] and "password" not in healthy.output
    rollback = run("index", "rollback")
    assert rollback.exit_code == 1 and "backups" in rollback.output and "Traceback" not in rollback.output
