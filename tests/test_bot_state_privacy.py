"""What state.sqlite keeps about members: private files, the salt elsewhere, no private questions, nothing
older than state_max_age_days (issue 12, item 5)."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import re
import sqlite3
import stat
import time

import pytest

from bot import state as state_module
from bot.state import BotState, StoredCitation
from tests.helpers import QUESTION, callback_of, edit_of, running_bot

pytestmark = pytest.mark.timeout(90)

CITATION = StoredCitation(1, "A title", "https://example.org/a", "2022-02-17", "example.org", "Some text.", 7)
DAY = 86_400


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def old_state_file(data_dir, salt: str = "0123456789abcdef0123456789abcdef") -> None:
    """state.sqlite as the previous version left it: 0644 in a 0755 folder, the salt in the meta table."""
    data_dir.mkdir(mode=0o755, parents=True)
    os.chmod(data_dir, 0o755)
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(state_module.SCHEMA)
        db.execute("INSERT INTO meta VALUES ('salt', ?)", (salt,))
    os.chmod(data_dir / "state.sqlite", 0o644)


def test_state_files_are_private_even_when_an_older_version_made_them_readable(tmp_path):
    data_dir = tmp_path / "data"
    old_state_file(data_dir)
    previous = os.umask(0o022)
    try:
        state = BotState(data_dir / "state.sqlite")
        state.save_search("q", 1)
    finally:
        os.umask(previous)
    files = [data_dir / name for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "user-salt")]
    assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    assert oct(mode(data_dir)) == "0o700"
    state.close()


def test_a_new_state_is_private_from_the_start(tmp_path):
    previous = os.umask(0o022)
    try:
        state = BotState(tmp_path / "fresh" / "state.sqlite")
        state.save_search("q", 1)  # hashes the user id: the salt file is made
    finally:
        os.umask(previous)
    assert oct(mode(tmp_path / "fresh")) == "0o700"
    for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "user-salt"):
        assert oct(mode(tmp_path / "fresh" / name)) == "0o600", name
    state.close()


def test_an_old_salt_moves_out_of_the_database_and_old_hashes_stay_valid(tmp_path):
    data_dir, salt = tmp_path / "data", "feedfacecafebeef0011223344556677"
    old_state_file(data_dir, salt)
    old_hash = hashlib.sha256(f"{salt}:4242".encode()).hexdigest()  # what the previous version stored
    state = BotState(data_dir / "state.sqlite")
    assert state.user_hash(4242) == old_hash
    state.close()
    assert (data_dir / "user-salt").read_text().strip() == salt
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT * FROM meta WHERE key = 'salt'").fetchall() == []
    for name in ("state.sqlite", "state.sqlite-wal"):  # not left behind in a free page or the log either
        if (data_dir / name).exists():
            assert salt.encode() not in (data_dir / name).read_bytes(), name
    again = BotState(data_dir / "state.sqlite")  # once: the next start reads the file
    assert again.user_hash(4242) == old_hash
    again.close()


def test_a_configured_salt_is_used_and_not_stored(tmp_path):
    state = BotState(tmp_path / "state.sqlite", salt="from-the-environment")
    assert state.user_hash(1) == hashlib.sha256(b"from-the-environment:1").hexdigest()
    state.close()
    assert not (tmp_path / "user-salt").exists()
    assert b"from-the-environment" not in (tmp_path / "state.sqlite").read_bytes()


def _race_for_salt(path, start, results) -> None:
    start.wait()
    results.put(state_module.shared_salt(path, os.urandom(16).hex()))


def test_two_processes_creating_the_salt_at_once_end_with_one(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = tmp_path / f"user-salt-{round_}"
        start, results = context.Event(), context.Queue()
        racers = [context.Process(target=_race_for_salt, args=(path, start, results)) for _ in range(6)]
        for racer in racers:
            racer.start()
        start.set()
        salts = {results.get(timeout=30) for _ in racers}
        for racer in racers:
            racer.join(30)
        assert salts == {path.read_text().strip()}, salts
        assert oct(mode(path)) == "0o600"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_prune_deletes_old_answers_searches_pointers_and_votes_but_keeps_the_audit(tmp_path):
    state = BotState(tmp_path / "state.sqlite", max_age_days=30)
    old_answer = state.save_answer("old question", [CITATION])
    new_answer = state.save_answer("new question", [CITATION])
    state.save_search("old query", 1)
    state.save_search("new query", 2)
    state.remember_last(1, old_answer)
    state.remember_last(2, new_answer)
    state.vote(old_answer, 1, 1)
    state.vote(new_answer, 2, -1)
    state.audit("mod", "sources add", "x", "added", ok=True)
    long_ago = time.time() - 31 * DAY
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("UPDATE answers SET created = ? WHERE question = 'old question'", (long_ago,))
        db.execute("UPDATE searches SET created = ? WHERE query = 'old query'", (long_ago,))
        db.execute("UPDATE feedback SET time = ? WHERE answer_id = ?", (long_ago, old_answer))
        db.execute("UPDATE audit SET time = ?", (long_ago,))
    assert state.answer(old_answer) is None  # too old to use, even before the prune
    assert state.prune() == {"answers": 1, "searches": 1, "feedback": 1, "last_answer": 1, "conversations": 0, "cooldowns": 0}
    assert state.last_answer(1) is None and state.last_answer(2).question == "new question"
    assert [row[1] for row in state.feedback()] == ["new question"]
    assert len(state.recent_audit()) == 1  # moderator actions are kept
    assert state.prune() == {"answers": 0, "searches": 0, "feedback": 0, "last_answer": 0, "conversations": 0, "cooldowns": 0}
    assert state.prune(max_age_days=0) == {"answers": 1, "searches": 1, "feedback": 1, "last_answer": 1, "conversations": 0, "cooldowns": 0}
    state.close()


async def test_a_private_question_is_not_stored_anywhere(double, shared_service, tmp_path):
    data_dir = tmp_path / "bot"
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0) as bot:
        interaction = await double.slash("ask", {"question": QUESTION, "private": True})
        edit = await double.wait_for(edit_of(interaction))
        ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
        assert not any(i.startswith("crisisbot:more:") for i in ids)  # it would re-run the question
        up = next(i for i in ids if i.startswith("crisisbot:vote:up:"))
        click = await double.click(up)
        assert "Thanks" in (await double.wait_for(callback_of(click))).json["data"]["content"]
        answer = bot.state.answer(up.rsplit(":", 1)[1])
        assert answer.question == state_module.PRIVATE_QUESTION and answer.citations
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT question FROM feedback").fetchall() == [(state_module.PRIVATE_QUESTION,)]
        assert db.execute("SELECT count(*) FROM searches").fetchone() == (0,)
    for path in data_dir.iterdir():
        assert QUESTION.encode() not in path.read_bytes(), path.name


async def test_buttons_under_an_answer_older_than_the_limit_say_so(double, shared_service, tmp_path):
    age_days = 2 / DAY  # two seconds
    data_dir = tmp_path / "bot"
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0, state_max_age_days=age_days):
        interaction = await double.slash("ask", {"question": QUESTION})
        edit = await double.wait_for(edit_of(interaction))
        ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
        await asyncio.sleep(2.5)
        for prefix, what in (("crisisbot:sources:", "answer"), ("crisisbot:vote:up:", "answer"), ("crisisbot:more:", "answer")):
            click = await double.click(next(i for i in ids if i.startswith(prefix)))
            text = (await double.wait_for(callback_of(click))).json["data"].get("content") or ""
            assert re.fullmatch(rf"That {what} is older than \S+ days and no longer stored; ask again\.", text), text
    # The next start prunes them.
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (1,)
    async with running_bot(double, shared_service, data_dir, state_max_age_days=age_days):
        for _ in range(100):
            with sqlite3.connect(data_dir / "state.sqlite") as db:
                left = db.execute("SELECT (SELECT count(*) FROM answers) + (SELECT count(*) FROM searches)").fetchone()[0]
            if not left:
                break
            await asyncio.sleep(0.05)
    assert left == 0


def _stored_text(folder, url) -> str:
    """Everything the state holds, as text: the SQLite files' bytes, or every row of every table in PostgreSQL."""
    if url is None:
        return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("state.sqlite")).decode("latin-1")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        return "\n".join(str(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_no_member_id_salt_or_private_question_is_stored_on_either_backend(backend, request, tmp_path):
    from types import SimpleNamespace

    url = request.getfixturevalue("postgres_database") if backend == "postgres" else None
    member, moderator, salt, secret = 734_512_998_112_345_678, 118_822_733_991_004_455, "s3cr3t-salt-0f-the-b0t", "my own secret question"
    state = BotState(tmp_path / "state.sqlite", salt=salt, database_url=url)
    answer_id = state.save_answer(secret, [CITATION], private=True)
    state.record_asked(SimpleNamespace(question=secret, citations=[CITATION], abstained=False, language="en", reason=None),
                       answer_id, private=True, guild_id=5)
    state.remember_last(member, answer_id)
    state.vote(answer_id, member, 1)
    state.save_search("public query", member)
    state.cooldown(member, "ask", 30)
    state.set_autoanswer(5, 6, tag_id=None, say_nothing_found=False, added_by=moderator)
    state.close()
    stored = _stored_text(tmp_path, url)
    assert "public query" in stored and state.user_hash(member) in stored  # what is stored can be found
    for kept_out in (str(member), str(moderator), salt, secret):
        assert kept_out not in stored, kept_out
