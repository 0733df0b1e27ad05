"""`crisisbot state move`: a local installation's state.sqlite and feeds.sqlite copied into a real PostgreSQL
(the session's pgserver), read back through the Postgres-backed ``BotState`` and ``SubscriptionStore``."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot import cli
from bot.cli_state import local_databases
from bot.state import PRIVATE_QUESTION, BotState, StoredCitation
from index.conversation import Turn
from index.database_copy import LocalDatabase, declared_tables, move
from index.errors import IndexMismatch
from index.subscriptions import Item, Subscription, SubscriptionStore

pytestmark = pytest.mark.timeout(180)

CITATION = StoredCitation(1, "A title", "https://example.org/a", "2022-02-17", "example.org", "Some text.", 7)
OTHER = StoredCitation(2, "Другий", None, None, "upload", "Ще текст.", 9)
BIG = 1_234_567_890_123_456_789  # Discord ids need 64 bits
FEED = "https://example.org/feed.xml"
SITEMAP = "https://example.org/news-sitemap.xml"


@pytest.fixture
def cli_env(monkeypatch, tmp_path, postgres_database):
    """Run ``crisisbot`` in this process on the data dir ``tmp_path/data`` and the test's database, no stray .env."""
    data_dir = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    monkeypatch.delenv("CRISISBOT_USER_HASH_SALT", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(cli.app, list(args))

    invoke.data_dir, invoke.url = data_dir, postgres_database
    return invoke


def fill_local(data_dir: Path) -> SimpleNamespace:
    """A local installation with every kind of row, written through the real APIs (the salt in data/user-salt)."""
    state = BotState(data_dir / "state.sqlite")
    made = SimpleNamespace()
    made.answer_id = state.save_answer("Who wrote to Lavrov?", [CITATION, OTHER])
    made.private_id = state.save_answer("a secret", [CITATION], private=True)
    state.remember_last(5, made.answer_id)
    made.search_id = state.save_search("sanctions", 5, since="2022-01-01", exclude=[7, 9])
    assert state.vote(made.answer_id, 5, 1) and state.vote(made.answer_id, 6, -1)
    for n in range(3):
        state.audit("mod", "sources add", f"https://example.org/{n}", "added", ok=n != 1, actor_id=40 + n)
    answered = SimpleNamespace(question="Who wrote to Lavrov?", citations=[CITATION], abstained=False, language="en", reason=None)
    refused = SimpleNamespace(question="Atlantis?", citations=[], abstained=True, language="uk", reason="no-evidence")
    state.record_asked(answered, made.answer_id, guild_id=BIG)
    state.record_asked(refused, guild_id=BIG)
    state.record_asked(refused, guild_id=BIG)  # asked twice: two events, no key tells them apart but their time
    state.set_autoanswer(BIG, BIG + 1, tag_id=BIG + 2, say_nothing_found=True, added_by=5)
    state.set_guild_language(BIG, "uk")
    state.add_turn(BIG + 3, Turn("Who is Blinken?", "Who is Blinken?", (7,)), keep=3, opened=True)
    state.add_turn(BIG + 3, Turn("And Lavrov?", "And Lavrov Blinken", (9,)), keep=3)
    state.set_guild_setting(BIG, "ask_opens_thread", "1")
    assert state.cooldown(5, "ask", 600) == 0
    made.hash5 = state.user_hash(5)
    made.audit, made.asked = state.recent_audit(10), state.asked_since(1)
    made.channels, made.conversation = state.autoanswer_channels(), state.conversation(BIG + 3)
    state.close()
    with sqlite3.connect(data_dir / "state.sqlite") as db:  # meta: an older version's salt (never moved) and another key
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("salt", "an old salt"), ("format", "1")])
    db.close()

    feeds = SubscriptionStore(data_dir / "feeds.sqlite")
    feed = Subscription(FEED, "feed", 30, time.time(), "cli", title="Kyiv Wire")
    sitemap = Subscription(SITEMAP, "sitemap", 60, time.time(), "mod")
    assert feeds.add(feed) and feeds.add(sitemap)
    feed.etag, feed.last_modified, feed.last_poll, feed.http_status, feed.seen, feed.added_items = (
        '"v1"', "Tue, 01 Mar 2022 10:00:00 GMT", time.time(), 200, 2, 2)
    sitemap.newest, sitemap.failures, sitemap.last_error = "2022-03-01", 1, "HTTP 503"
    feeds.save_poll(feed, [Item(FEED, "guid-1", "https://example.org/1", "f1", "h1", "doc1"),
                           Item(FEED, "guid-2", None, "f2", misses=1)], [])
    feeds.save_poll(sitemap, [Item(SITEMAP, "https://example.org/s1", "https://example.org/s1", "f3", "h3", "doc3")], [])
    made.subscriptions = feeds.all()
    made.items = {url: feeds.items(url) for url in (FEED, SITEMAP)}
    feeds.close()
    return made


def counts(data_dir: Path, url: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Every declared table's (rows in the SQLite file, rows in PostgreSQL)."""
    found = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for database in local_databases(data_dir):
            with sqlite3.connect(database.path) as db:
                for table in declared_tables(database.schema):
                    local = db.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
                    found[database.name, table.name] = (local, conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])
            db.close()
    return found


def fingerprint(data_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data_dir.iterdir()) if p.is_file()}


def test_every_row_moves_and_reads_back_through_the_postgres_backed_apis(cli_env):
    made = fill_local(cli_env.data_dir)
    before = fingerprint(cli_env.data_dir)
    result = cli_env("state", "move")
    assert result.exit_code == 0, result.output
    assert re.search(r"^  state  answers +2 +2 +0$", result.output, re.M), result.output  # rows, copied, already there
    assert re.search(r"^  feeds  items +3 +3 +0$", result.output, re.M) and "23 rows copied, 0 already there" in result.output
    assert f"a copy of {cli_env.data_dir / 'user-salt'}" in result.output
    assert fingerprint(cli_env.data_dir) == before  # the SQLite files (and the salt file) as they were

    # Every table the schema modules declare was filled and moved whole, with the salt left out of meta:
    # a table added to bot/state/schema.py or index/subscriptions.py must get rows here, and arrive.
    moved = counts(cli_env.data_dir, cli_env.url)
    empty = [f"{database}.{table}" for (database, table), (local, _) in moved.items() if local == 0]
    assert empty == [], f"fill_local writes no row into {empty}: give each table rows through its API"
    extra = {("state", "audit"): 1}  # the move's own audit entry; meta: "salt" stays out, "salt_check" comes in
    assert {k: v[1] for k, v in moved.items()} == {k: v[0] + extra.get(k, 0) for k, v in moved.items()}
    with psycopg.connect(cli_env.url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert set(meta) == {"format", "salt_check"} and "an old salt" not in meta.values()

    state = BotState(cli_env.data_dir / "state.sqlite", database_url=cli_env.url)  # the data dir's salt file
    assert state.answer(made.answer_id).citations == [CITATION, OTHER]  # the button still resolves
    assert state.answer(made.private_id).question == PRIVATE_QUESTION
    assert state.last_answer(5).answer_id == made.answer_id
    search = state.search(made.search_id)
    assert (search.query, search.since, search.exclude, search.user_hash) == ("sanctions", "2022-01-01", [7, 9], made.hash5)
    assert state.user_hash(5) == made.hash5
    assert state.vote(made.answer_id, 5, -1)  # the same member: the vote is changed, not added
    assert sorted((row[3], row[4]) for row in state.feedback()) == sorted([(made.hash5, -1), (state.user_hash(6), -1)])
    assert state.recent_audit(10)[1:] == made.audit  # the move itself is the newest entry
    assert (state.recent_audit(1)[0].action, state.recent_audit(1)[0].target) == ("state move", state.db.location)
    assert state.asked_since(1) == made.asked
    assert state.autoanswer_channels() == made.channels and state.guild_language(BIG) == "uk"
    assert state.conversation(BIG + 3) == made.conversation and state.conversation(BIG + 3).opened
    assert state.guild_setting(BIG, "ask_opens_thread") == "1"
    assert state.cooldown(5, "ask", 600) > 500  # the member's cooldown runs on
    state.close()

    feeds = SubscriptionStore(cli_env.data_dir / "feeds.sqlite", database_url=cli_env.url)
    assert feeds.all() == made.subscriptions and feeds.get(FEED).etag == '"v1"'
    assert {url: feeds.items(url) for url in (FEED, SITEMAP)} == made.items
    feeds.close()


def test_a_second_run_copies_nothing_twice_and_a_later_one_only_what_is_new(cli_env):
    made = fill_local(cli_env.data_dir)
    assert cli_env("state", "move").exit_code == 0
    after_first = counts(cli_env.data_dir, cli_env.url)
    again = cli_env("state", "move", "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["copied"] == 0 and report["missing"] == [] and report["salt"].endswith("user-salt")
    assert all(t["copied"] == 0 and t["present"] == t["rows"] for t in report["tables"])
    assert counts(cli_env.data_dir, cli_env.url) == after_first

    state = BotState(cli_env.data_dir / "state.sqlite")  # the local bot went on for a while
    newer = state.save_answer("And now?", [OTHER])
    state.audit("mod", "reindex", "all", "done")
    state.close()
    dry = json.loads(cli_env("state", "move", "--dry-run", "--json").output)
    assert dry["dry_run"] and {(t["table"], t["copied"]) for t in dry["tables"] if t["copied"]} == {("answers", 1), ("audit", 1)}
    assert counts(cli_env.data_dir, cli_env.url)[("state", "answers")] == (3, 2)  # a dry run writes nothing
    third = json.loads(cli_env("state", "move", "--json").output)
    assert {(t["table"], t["copied"]) for t in third["tables"] if t["copied"]} == {("answers", 1), ("audit", 1)}
    moved = BotState(cli_env.data_dir / "state.sqlite", database_url=cli_env.url)
    assert moved.answer(newer).citations == [OTHER] and moved.answer(made.answer_id) is not None
    assert [e.action for e in moved.recent_audit(3)] == ["state move", "reindex", "state move"]
    moved.close()


def test_rows_a_running_bot_has_only_in_its_write_ahead_log_are_moved(cli_env):
    """Told to stop the bot first, an operator may not: what it wrote is in state.sqlite-wal, not yet in the file."""
    running = BotState(cli_env.data_dir / "state.sqlite")
    answer_id = running.save_answer("Still in the log?", [CITATION])
    assert (cli_env.data_dir / "state.sqlite-wal").stat().st_size > 0
    file_before = hashlib.sha256((cli_env.data_dir / "state.sqlite").read_bytes()).hexdigest()
    result = cli_env("state", "move")
    assert result.exit_code == 0, result.output
    assert hashlib.sha256((cli_env.data_dir / "state.sqlite").read_bytes()).hexdigest() == file_before
    later = running.save_answer("Written after the move", [OTHER])  # the bot's writes go on
    running.close()
    moved = BotState(cli_env.data_dir / "state.sqlite", database_url=cli_env.url)
    assert moved.answer(answer_id).question == "Still in the log?" and moved.answer(later) is None
    moved.close()
    assert json.loads(cli_env("state", "move", "--json").output)["copied"] == 1  # run again: the rest


def test_a_salt_an_older_version_kept_in_state_sqlite_is_the_one_pinned(cli_env):
    """No user-salt file yet: the salt is still in state.sqlite's meta (an older version); it goes to the salt file, not
    into PostgreSQL, and the moved hashes match."""
    old = BotState(cli_env.data_dir / "state.sqlite", salt="an older salt")
    search_id = old.save_search("sanctions", 5)
    old.close()
    with sqlite3.connect(cli_env.data_dir / "state.sqlite") as db:
        db.execute("INSERT INTO meta VALUES ('salt', 'an older salt')")
    db.close()
    salt_file = cli_env.data_dir / "user-salt"
    assert cli_env("state", "move", "--dry-run").exit_code == 0 and not salt_file.exists()  # a dry run writes nothing
    result = cli_env("state", "move")
    assert result.exit_code == 0, result.output
    assert salt_file.read_text().strip() == "an older salt"
    moved = BotState(cli_env.data_dir / "state.sqlite", database_url=cli_env.url)  # reads the salt file
    assert moved.search(search_id).user_hash == moved.user_hash(5)
    moved.close()
    with psycopg.connect(cli_env.url, autocommit=True) as conn:
        assert "an older salt" not in {value for _, value in conn.execute("SELECT key, value FROM meta").fetchall()}


def test_a_database_written_with_another_salt_is_refused_and_nothing_moves(cli_env, tmp_path):
    fill_local(cli_env.data_dir)
    other = BotState(tmp_path / "elsewhere" / "state.sqlite", salt="another salt", database_url=cli_env.url)
    other.user_hash(1)  # that installation pinned its salt
    other.close()
    result = cli_env("state", "move")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "written with another salt" in result.output and "nothing copied" in result.output
    moved = counts(cli_env.data_dir, cli_env.url)
    assert moved[("state", "answers")][1] == 0 and moved[("feeds", "subscriptions")][1] == 0  # all or nothing


def test_a_row_postgres_refuses_midway_rolls_everything_back(cli_env):
    """SQLite text may hold a NUL, PostgreSQL's may not: the feeds are copied after the state, and the state's rows
    copied by then go too."""
    fill_local(cli_env.data_dir)
    feeds = SubscriptionStore(cli_env.data_dir / "feeds.sqlite")
    feeds.save_poll(feeds.get(FEED), [Item(FEED, "guid-nul", None, "finger\x00print")], [])
    feeds.close()
    result = cli_env("state", "move")
    assert (result.exit_code, result.output.count("\n")) == (1, 1), result.output
    assert "feeds: the table items cannot be copied" in result.output and "nothing copied" in result.output
    moved = counts(cli_env.data_dir, cli_env.url)
    assert {v[1] for v in moved.values()} == {0}, moved  # not a row, not even the salt check
    with psycopg.connect(cli_env.url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0


def test_errors_are_one_line_and_an_exit_code(cli_env, monkeypatch):
    result = cli_env("state", "move")
    assert (result.exit_code, result.output.count("\n")) == (2, 1) and "nothing to move: neither" in result.output
    cli_env.data_dir.mkdir()
    (cli_env.data_dir / "state.sqlite").write_bytes(b"this is not a database, only text" * 100)
    result = cli_env("state", "move")
    assert (result.exit_code, result.output.count("\n")) == (1, 1) and "cannot read" in result.output, result.output
    (cli_env.data_dir / "state.sqlite").unlink()
    SubscriptionStore(cli_env.data_dir / "feeds.sqlite").close()  # only feeds.sqlite: moved, state.sqlite reported missing
    result = cli_env("state", "move")
    assert result.exit_code == 0 and "state.sqlite: not there, nothing to move" in result.output and "user-id salt" not in result.output
    for url, says in (("postgresql://crisisbot@127.0.0.1:1/crisisbot?connect_timeout=3", "cannot reach postgresql://127.0.0.1:1"),
                      ("postgresql://crisisbot:secret@127.0.0.1:1/crisisbot?no_such_option=1", "invalid URI query parameter")):
        monkeypatch.setenv("CRISISBOT_DATABASE_URL", url)
        result = cli_env("state", "move")
        assert (result.exit_code, result.output.count("\n")) == (1, 1) and says in result.output, result.output
        assert "Traceback" not in result.output and "secret" not in result.output
    monkeypatch.delenv("CRISISBOT_DATABASE_URL")
    result = cli_env("state", "move")
    assert (result.exit_code, result.output.count("\n")) == (2, 1) and "CRISISBOT_DATABASE_URL is not set" in result.output


# --- the copy is generic over the tables a schema declares ---

TOY_SCHEMA = """
CREATE TABLE IF NOT EXISTS child (parent TEXT NOT NULL REFERENCES parent(name), n INTEGER NOT NULL, PRIMARY KEY (parent, n));
CREATE TABLE IF NOT EXISTS parent (name TEXT PRIMARY KEY, value REAL);
CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (time REAL NOT NULL, what TEXT);
"""
TOY_MIGRATIONS = {1: """
CREATE TABLE parent (name text PRIMARY KEY, value double precision);
CREATE TABLE child (parent text NOT NULL REFERENCES parent(name), n bigint NOT NULL, PRIMARY KEY (parent, n));
CREATE TABLE log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text NOT NULL);
CREATE TABLE events (time double precision NOT NULL, what text);
"""}


def toy(path: Path, schema: str = TOY_SCHEMA, migrations=None) -> LocalDatabase:
    return LocalDatabase("toy", path, schema, "toy", migrations or TOY_MIGRATIONS)


def test_a_new_table_is_carried_without_code_and_one_without_a_migration_is_refused(postgres_database, tmp_path):
    path = tmp_path / "toy.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(TOY_SCHEMA)
        db.executemany("INSERT INTO child VALUES (?, ?)", [("a", 1), ("a", 2)])  # declared before its parent
        db.executemany("INSERT INTO parent VALUES (?, ?)", [("a", 0.1), ("b", None)])
        db.executemany("INSERT INTO log (what) VALUES (?)", [("first",), ("second",)])
        db.executemany("INSERT INTO events VALUES (?, ?)", [(1.5, "x"), (1.5, "x"), (2.0, None)])  # a row twice
    db.close()
    assert [t.name for t in declared_tables(TOY_SCHEMA)] == ["parent", "child", "log", "events"]

    unmigrated = TOY_SCHEMA + "CREATE TABLE IF NOT EXISTS notes (note TEXT);"
    with pytest.raises(IndexMismatch, match="toy: the table notes is not in .*: its PostgreSQL migration is missing"):
        move([toy(path, unmigrated)], postgres_database)

    _, report = move([toy(path)], postgres_database)
    assert [(t.table, t.rows, t.copied) for t in report] == [("parent", 2, 2), ("child", 2, 2), ("log", 2, 2), ("events", 3, 3)]
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        assert conn.execute("SELECT id, what FROM log ORDER BY id").fetchall() == [(1, "first"), (2, "second")]
        conn.execute("INSERT INTO log (what) VALUES ('written in postgres')")  # the identity goes on after the copied rows
        assert conn.execute("SELECT max(id) FROM log").fetchone()[0] == 3
    _, again = move([toy(path)], postgres_database)
    assert [(t.table, t.copied, t.present) for t in again] == [("parent", 0, 2), ("child", 0, 2), ("log", 0, 2), ("events", 0, 3)]


CHARACTERS = st.one_of(st.sampled_from("\t\n\r\\N,'\"ї"), st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
ROW = st.tuples(st.floats(allow_nan=False, width=64), st.one_of(st.none(), st.text(CHARACTERS, max_size=30)))


@st.composite
def rows_with_repeats(draw) -> list[tuple]:
    """Rows drawn from a few distinct ones, so the same row often comes twice or more."""
    pool = draw(st.lists(ROW, min_size=1, max_size=4))
    return draw(st.lists(st.sampled_from(pool), max_size=12))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_with_repeats(), there=st.integers(min_value=0, max_value=12))
def test_rows_arrive_exactly_once_whatever_their_values(postgres_database, tmp_path_factory, rows, there):
    """Floats at their extremes, any text (tabs, backslashes, newlines: COPY's escapes), rows twice, some of them in
    PostgreSQL already: after a move (and another) PostgreSQL holds each row exactly as often as the file does."""
    path = tmp_path_factory.mktemp("toy") / "toy.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(TOY_SCHEMA)
        db.executemany("INSERT INTO events VALUES (?, ?)", rows)
        stored = db.execute("SELECT time, what FROM events").fetchall()
    db.close()
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        move([toy(path)], postgres_database, dry_run=True)  # the tables exist
        conn.execute("DELETE FROM events")
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO events VALUES (%s, %s)", stored[:there])
        move([toy(path)], postgres_database)
        _, again = move([toy(path)], postgres_database)
        arrived = conn.execute("SELECT time, what FROM events").fetchall()
    assert again[-1].copied == 0
    assert sorted(arrived, key=repr) == sorted(stored, key=repr)
