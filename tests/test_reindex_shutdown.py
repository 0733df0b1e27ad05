"""SIGTERM during a long /reindex (issue 12, item 10): the rebuild is cancelled between two embedding
batches and its thread joined; the process exits 0, the progress message says it stopped, and the
previous index keeps serving."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
import time

import pytest

from bot.state import BotState
from index import store
from index.jobs import Rebuilder
from index.service import CrisisService
from tests.discord_double.server import MANAGE_GUILD, MEMBER_PERMISSIONS
from tests.helpers import BLINKEN, ROOT, Worker, bigger_corpus, callback_of, clean_env, edit_of, make_settings

STOPPED = "Re-index stopped because the bot is restarting; the previous index is still serving."
GRACE = 1.0
# ``python -m bot`` against the double (tests/bot_worker.py), with a short grace and frequent progress edits.
WORKER = (
    "import sys, bot.app, bot.cogs.moderation; "
    f"bot.app.SHUTDOWN_GRACE_SECONDS = {GRACE}; bot.cogs.moderation.PROGRESS_SECONDS = 0.3; "
    "from tests.bot_worker import main; sys.exit(main())"
)


def test_cancel_stops_a_rebuild_between_batches_and_keeps_the_old_index(service):
    bigger_corpus(service.sources_dir, n_docs=12)
    before = store.current_folder(service.data_dir)
    rebuilder = Rebuilder(service)
    job = rebuilder.start("mod#1")
    deadline = time.monotonic() + 60
    while not (job.stage == "embedding" and job.done) and job.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.running and job.stage == "embedding", (job.stage, job.error)
    rebuilder.cancel()
    assert rebuilder.join(10), "the rebuild thread stopped"
    assert job.cancelled and job.error is None and not job.running
    assert job.done < job.total  # it stopped part-way
    assert store.current_folder(service.data_dir) == before
    assert not list((service.data_dir / "indexes").glob("*.building"))
    assert "Lavrov" in service.ask(BLINKEN).citations[0].text


@pytest.mark.timeout(120)
async def test_sigterm_during_a_long_reindex_cancels_it_and_exits_0(double, tmp_path, built_data_dir, embedder):
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    bigger_corpus(data_dir / "sources", n_docs=40)  # 1,600 paragraphs: far longer to embed than the test waits
    before = store.current_folder(data_dir)
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="test-token", CRISISBOT_DATA_DIR=str(data_dir), CRISISBOT_LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, str(double.port), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    worker = Worker(process)
    try:
        await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"), timeout=60)
        reindex = await double.slash("reindex", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
        assert (await double.wait_for(callback_of(reindex))).json["data"]["content"].startswith("Re-indexing")
        await double.wait_for(lambda r: edit_of(reindex)(r) and "embedding" in r.json.get("content", ""), timeout=60)
        signalled = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        returncode = await worker.finish(GRACE + 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert returncode == 0, worker.output
    assert "terminate called" not in worker.output and "Traceback" not in worker.output, worker.output
    assert time.perf_counter() - signalled < GRACE + 15
    edits = [r.json["content"] for r in double.requests if edit_of(reindex)(r)]
    assert re.match(r"Re-indexing: embedding \d+/[\d,]+ paragraphs", edits[-2]), edits[-2]  # still embedding then
    assert edits[-1] == STOPPED, edits
    assert not double._sockets, "the gateway connection was closed after the final edit"
    assert store.current_folder(data_dir) == before
    assert not list((data_dir / "indexes").glob("*.building"))
    assert "Lavrov" in CrisisService(make_settings(data_dir), embedder=embedder).ask(BLINKEN).citations[0].text
    state = BotState(data_dir / "state.sqlite")
    entry = state.recent_audit(1)[0]
    state.close()
    assert (entry.action, entry.result, entry.ok) == ("reindex", STOPPED, False)
