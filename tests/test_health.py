"""Operations: /healthz and /metrics of the real bot on the Discord double, scraped over HTTP and read with
prometheus-client's own text parser; JSON log lines from the real entry point."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import sys

import aiohttp
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_bot
from bot.logs import JsonFormatter
from index.metrics import Metrics
from index.polls import FeedPoll, PollReport
from tests.helpers import QUESTION, ROOT, Worker, bot_settings, clean_env, edit_of, running_bot

pytestmark = pytest.mark.timeout(120)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, parsed by prometheus-client: (name, sorted labels) -> value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def ask(double, question: str) -> None:
    interaction = await double.slash("ask", {"question": question}, user=555)
    await double.wait_for(edit_of(interaction))


async def test_metrics_count_questions_refusals_latency_acknowledgements_size_and_writes(double, service, tmp_path):
    async with running_bot(double, service, tmp_path / "bot", ask_cooldown_seconds=0, http_port=0) as bot:
        metrics_url = f"http://127.0.0.1:{bot.health.port}/metrics"
        await ask(double, QUESTION)
        status, text = await get(metrics_url)
        assert status == 200
        first = samples(text)
        assert first[("crisisbot_questions_total", (("language", "en"),))] == 1
        assert first[("crisisbot_answer_seconds_count", ())] == 1
        assert 0 < first[("crisisbot_answer_seconds_sum", ())] < 30
        assert first[("crisisbot_discord_ack_seconds_count", ())] >= 1  # the /ask defer
        assert first[("crisisbot_index_paragraphs", ())] == service.snapshot().size
        assert first[("crisisbot_index_documents", ())] == len(service.documents())
        assert first[("crisisbot_process_resident_memory_bytes", ())] > 10_000_000
        assert not any(name == "crisisbot_refusals_total" for name, _ in first)

        await ask(double, "How many people were killed in Kursk in August 2022?")
        document = service.documents()[0].id
        await asyncio.to_thread(service.remove_documents, [document])
        second = samples((await get(metrics_url))[1])
        assert second[("crisisbot_questions_total", (("language", "en"),))] == 2
        assert sum(v for (name, _), v in second.items() if name == "crisisbot_refusals_total") == 1
        assert second[("crisisbot_answer_seconds_count", ())] == 2
        assert second[("crisisbot_index_writes_total", (("kind", "remove"),))] == 1
        assert second[("crisisbot_index_paragraphs", ())] < first[("crisisbot_index_paragraphs", ())]


async def test_healthz_is_503_before_the_gateway_is_up_200_when_it_is_and_503_when_the_index_is_gone(double, service, tmp_path):
    bot = create_bot(bot_settings(tmp_path / "bot", http_port=0), service)
    try:
        await bot.login("test-token")  # setup_hook: the endpoint is up, the gateway not yet
        url = f"http://127.0.0.1:{bot.health.port}/healthz"
        status, body = await get(url)
        assert status == 503
        assert json.loads(body) == {"gateway": "not connected", "index": "ok", "database": "not configured"}

        connected = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        status, body = await get(url)
        assert (status, json.loads(body)) == (200, {"gateway": "ok", "index": "ok", "database": "not configured"})

        os.unlink(service.data_dir / "current")  # the index is gone
        status, body = await get(url)
        assert status == 503 and json.loads(body)["index"] == "no index"
        bot.draining = True  # a SIGTERM: the balancer should stop sending work
        assert json.loads((await get(url))[1])["gateway"] == "shutting down"
    finally:
        await bot.close()
        if "connected" in locals():
            await asyncio.wait_for(connected, 10)
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped with the bot
        await get(url)


def test_the_endpoint_is_off_unless_a_port_is_set_and_listens_on_loopback_by_default(tmp_path):
    settings = bot_settings(tmp_path)
    assert settings.http_port is None and settings.http_host == "127.0.0.1"


def test_feed_polls_and_their_errors_are_counted():
    metrics = Metrics()
    report = PollReport([
        FeedPoll("https://a.example/feed", "rss", "updated", 200, item_errors=[("https://a.example/1", "HTTP 500")]),
        FeedPoll("https://b.example/feed", "rss", "failed", error="timed out"),
        FeedPoll("https://c.example/feed", "sitemap", "not modified", 304),
    ])
    metrics.observe_polls(report)
    counted = samples(generate_latest(metrics.registry).decode())
    assert counted[("crisisbot_feed_polls_total", (("outcome", "updated"),))] == 1
    assert counted[("crisisbot_feed_polls_total", (("outcome", "failed"),))] == 1
    assert counted[("crisisbot_feed_errors_total", (("kind", "poll"),))] == 1
    assert counted[("crisisbot_feed_errors_total", (("kind", "item"),))] == 1
    assert not any(name == "crisisbot_index_paragraphs" for name, _ in counted)  # no index: no sample


def test_a_json_log_line_is_one_object_with_the_traceback():
    try:
        raise ValueError("broken \"quote\"\nsecond line")
    except ValueError:
        record = logging.LogRecord("bot.app", logging.ERROR, __file__, 1, "error %s in %s", ("abc", "ask"), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == ("ERROR", "bot.app", "error abc in ask")
    assert "ValueError: broken \"quote\"" in entry["exception"] and entry["time"].endswith("+00:00")


async def start_bot_process(double, tmp_path, built_data_dir, **env_values) -> Worker:
    """``python -m bot`` (through tests/bot_worker.py) against the double, with these settings."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="test-token", CRISISBOT_DATA_DIR=str(data_dir), **env_values)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.bot_worker", str(double.port), cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    return Worker(process)


async def test_the_bot_logs_json_lines_when_asked(double, tmp_path, built_data_dir):
    worker = await start_bot_process(double, tmp_path, built_data_dir, CRISISBOT_LOG_LEVEL="INFO", CRISISBOT_LOG_FORMAT="json",
                                     CRISISBOT_HTTP_PORT="0")
    process = worker.process
    await worker.wait_line("health and metrics on", timeout=60)
    await double.wait_ready()
    process.send_signal(signal.SIGTERM)
    assert await worker.finish(30) == 0
    entries = [json.loads(line) for line in worker.lines if line.strip()]  # every line parses
    assert any(e["message"].startswith("health and metrics on http://127.0.0.1:") for e in entries)
    assert any(e["logger"] == "bot.app" and e["message"] == "stopped" for e in entries)
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)


async def test_a_port_already_taken_is_one_line_and_exit_1(double, tmp_path, built_data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = await start_bot_process(double, tmp_path, built_data_dir, CRISISBOT_HTTP_PORT=str(port))
        assert await worker.finish(60) == 1
    assert worker.output.strip().splitlines()[-1].startswith(f"error: cannot serve /healthz and /metrics on 127.0.0.1:{port}")
    assert "Traceback" not in worker.output
