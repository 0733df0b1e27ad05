"""SIGTERM on a running ``python -m bot``: no new questions, the answer in flight is delivered, exit 0."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import time

import pytest

from bot.app import RESTARTING
from index import store
from tests.helpers import QUESTION, callback_of, edit_of, running_bot, start_worker

GRACE_BOUND = 25.0  # the bot's own grace is 20 s


@pytest.fixture
def data_dir(tmp_path, built_data_dir):
    copy = tmp_path / "data"
    shutil.copytree(built_data_dir, copy, symlinks=True)
    return copy


@pytest.mark.timeout(120)
async def test_sigterm_finishes_the_answer_in_flight_and_exits_0(double, data_dir, tmp_path):
    worker = await start_worker(double.port, data_dir, tmp_path)
    try:
        await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"), timeout=60)
        in_flight = await double.slash("ask", {"question": QUESTION}, user=1)
        assert (await double.wait_for(callback_of(in_flight))).json["type"] == 5
        # The child loads its model on this first question, so the answer is still being worked on.
        signalled = time.perf_counter()
        worker.process.send_signal(signal.SIGTERM)
        await worker.wait_line("stop signal")

        refused = await double.slash("ask", {"question": QUESTION}, user=2)
        response = await double.wait_for(callback_of(refused))
        assert response.json["type"] == 4 and response.json["data"]["flags"] & 64
        assert response.json["data"]["content"] == RESTARTING

        edit = await double.wait_for(edit_of(in_flight), timeout=GRACE_BOUND)
        assert edit.at > signalled, "the answer was in flight when SIGTERM arrived"
        assert "[1]" in edit.json["embeds"][0]["description"]
        returncode = await worker.finish(GRACE_BOUND)
    finally:
        if worker.process.returncode is None:
            worker.process.kill()
            await worker.process.wait()
    assert returncode == 0, worker.output
    assert time.perf_counter() - signalled < GRACE_BOUND
    assert "Traceback" not in worker.output, worker.output
    assert [r for r in double.requests if edit_of(in_flight)(r)] == [edit], "exactly one final edit"
    assert not [r for r in double.requests if edit_of(refused)(r)], "the refused question was not answered"
    assert not double._sockets, "the gateway connection was closed"
    with sqlite3.connect(data_dir / "state.sqlite") as db:  # closed cleanly: readable, the answer kept
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT question FROM answers").fetchall() == [(QUESTION,)]


@pytest.mark.timeout(60)
async def test_sigterm_when_idle_exits_0_at_once(double, data_dir, tmp_path):
    worker = await start_worker(double.port, data_dir, tmp_path)
    try:
        await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"), timeout=60)
        signalled = time.perf_counter()
        worker.process.send_signal(signal.SIGTERM)
        returncode = await worker.finish(10)
    finally:
        if worker.process.returncode is None:
            worker.process.kill()
            await worker.process.wait()
    assert returncode == 0 and time.perf_counter() - signalled < 5, worker.output
    assert "stopped" in worker.output and "Traceback" not in worker.output


@pytest.mark.timeout(90)
async def test_close_waits_for_a_background_reindex_to_publish(double, service, tmp_path):
    """A /reindex running at shutdown completes (within the grace) rather than being cut off."""
    before = store.current_folder(service.data_dir)
    async with running_bot(double, service, tmp_path / "bot", ask_cooldown_seconds=0) as bot:
        rebuilder = bot.get_cog("Moderation").rebuilder
        job = rebuilder.start(started_by="test")
        assert job.running
        await bot.close()  # what SIGTERM does after it stops taking questions
        assert not job.running and job.error is None, job.error
    after = store.current_folder(service.data_dir)
    assert after != before and (after / "manifest.json").exists()
    assert not list((service.data_dir / "indexes").glob("*.building"))
