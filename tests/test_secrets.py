"""Secrets: the bot token never reaches a log line; a missing or refused token is one clear line;
.env is git-ignored; users see an error id, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import subprocess
import sys

import pytest

from bot.app import create_bot
from tests.discord_double.faults import INTERACTION_CALLBACK, Fault
from tests.helpers import QUESTION, ROOT, bot_settings, callback_of, clean_env, edit_of, running_bot, start_worker

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcRt.do-not-log-me_7f3a9c2e5b8d1"


def leaks(text: str) -> bool:
    """The token, or a recognisable half of it, in ``text``."""
    return TOKEN in text or TOKEN.split(".")[-1] in text


@pytest.mark.timeout(60)
async def test_token_is_never_logged_at_debug(faulty, shared_service, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    bot = create_bot(bot_settings(tmp_path / "bot", ask_cooldown_seconds=0), shared_service)
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await faulty.wait_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        faulty.inject("POST", INTERACTION_CALLBACK, Fault(429, 0.1))
        interaction = await faulty.slash("ask", {"question": QUESTION})
        await faulty.wait_for(edit_of(interaction))
        before = len(faulty.sessions)
        await faulty.invalidate_session(False)  # a fresh IDENTIFY, which carries the token
        assert await faulty.wait_reconnected(before) == "READY"
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
    assert len(caplog.records) > 50, "DEBUG logging was captured"
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in caplog.records:
        line = formatter.format(record)  # with any traceback and stack
        assert not leaks(line), f"the token leaked in {record.name}: {line[:200]}"
    for request in faulty.requests:
        assert not leaks(f"{request.path} {request.query} {request.json}")


def run_bot_module(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = clean_env(("CRISISBOT_", "DISCORD_"))
    clean.update(PYTHONPATH=str(ROOT), CRISISBOT_DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.timeout(60)
def test_python_m_bot_without_a_token_is_one_line_and_non_zero(tmp_path):
    result = run_bot_module(tmp_path)  # tmp_path has no .env
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "DISCORD_TOKEN" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.timeout(60)
async def test_a_refused_token_is_one_line_and_non_zero(faulty, tmp_path):
    faulty.inject("GET", "/users/@me", Fault(401))
    worker = await start_worker(faulty.port, tmp_path / "data", tmp_path, token=TOKEN, level="DEBUG")
    try:
        returncode = await worker.finish(45)
    finally:
        if worker.process.returncode is None:
            worker.process.kill()
            await worker.process.wait()
    assert returncode == 1, worker.output
    assert worker.output.strip().splitlines()[-1].startswith("error: Discord refused DISCORD_TOKEN")
    assert "Traceback" not in worker.output and not leaks(worker.output), worker.output


def test_dotenv_is_git_ignored():
    patterns = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in patterns
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, "git does not ignore .env"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".env"], cwd=ROOT, capture_output=True)
    assert tracked.returncode != 0, ".env is committed"


class ExplodingService:
    """The real service, except that answering fails with an internal detail in the message."""

    def __init__(self, service):
        self._service = service

    def __getattr__(self, name):
        return getattr(self._service, name)

    def ask(self, *args, **kwargs):
        raise RuntimeError("sqlite3 disk I/O error at /srv/crisisbot/secret-path/corpus.sqlite")


@pytest.mark.timeout(60)
async def test_an_error_in_ask_shows_the_user_an_id_not_a_traceback(faulty, shared_service, tmp_path, caplog):
    async with running_bot(faulty, ExplodingService(shared_service), tmp_path / "bot", ask_cooldown_seconds=0):
        interaction = await faulty.slash("ask", {"question": QUESTION})
        assert (await faulty.wait_for(callback_of(interaction))).json["type"] == 5
        reply = await faulty.wait_for(
            lambda r: r.method in ("POST", "PATCH") and r.path.startswith("/webhooks/") and interaction["token"] in r.path
        )
    text = str(reply.json)
    match = re.search(r"error id `([0-9a-f]{8})`", text)
    assert match, text
    for secret in ("Traceback", "RuntimeError", "secret-path", "sqlite3", 'File "'):
        assert secret not in text
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and match.group(1) in logged[0].getMessage() and logged[0].exc_info is not None


def test_python_m_bot_takes_its_log_level_from_the_settings_and_dotenv(tmp_path, monkeypatch):
    """.env.example says CRISISBOT_LOG_LEVEL applies to the CLI and the bot: the bot read os.environ only."""
    import logging

    import bot.__main__ as entry
    import bot.app

    (tmp_path / ".env").write_text("CRISISBOT_LOG_LEVEL=ERROR\nDISCORD_TOKEN=from-dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("CRISISBOT_LOG_LEVEL", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    seen = {}
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: seen.update(kwargs))
    monkeypatch.setattr(bot.app, "run_bot", lambda settings: seen.update(token=settings.discord_token.get_secret_value()))
    assert entry.main() == 0
    assert seen["level"] == "ERROR" and seen["token"] == "from-dotenv"
