"""Moderators keep the corpus current from Discord: the real bot, the wire-level double, real pages on loopback."""

from __future__ import annotations

import re
import threading

import pytest

from index import store
from tests.discord_double.server import (
    LOG_CHANNEL_ID,
    MANAGE_GUILD,
    MODERATOR_ROLE_ID,
)
from tests.helpers import MOD, QUESTION, callback_of, command, edit_of, moderated_bot
from tests.webpages import PAGES, PageServer

pytestmark = pytest.mark.timeout(120)

SANCTIONS_Q = "How many Duma members did the EU sanction?"
ZAPORIZHZHIA_Q = "Who inspected the Zaporizhzhia nuclear plant?"


@pytest.fixture(scope="module")
def pages():
    server = PageServer().start()
    yield server
    server.stop()


async def cited_titles(double, question) -> list[str]:
    interaction = await double.slash("ask", {"question": question}, user=555)
    edit = await double.wait_for(edit_of(interaction))
    return [f["value"] for f in edit.json["embeds"][0].get("fields", [])]


async def test_moderator_commands_are_hidden_and_guild_only(double, service, tmp_path):
    async with moderated_bot(double, service, tmp_path):
        sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    commands = {c["name"]: c for c in sync.json}
    for name in ("sources", "reindex"):
        assert int(commands[name]["default_member_permissions"]) == MANAGE_GUILD
        assert commands[name]["contexts"] == [0] and commands[name]["dm_permission"] is False  # servers only
    assert {o["name"] for o in commands["sources"]["options"]} == {"add", "remove", "list", "audit"}
    assert commands["ask"]["default_member_permissions"] is None


async def test_members_are_refused_even_when_the_client_sends_it_anyway(double, service, tmp_path, pages):
    before, hits = store.current_folder(service.data_dir), len(pages.hits)
    attempts = [
        ("sources add", {"url": pages.url("/articles/eu-sanctions")}),
        ("sources remove", {"id": service.documents()[0].id}),
        ("sources list", {}),
        ("sources audit", {}),
        ("reindex", {}),
    ]
    async with moderated_bot(double, service, tmp_path):
        for name, options in attempts:
            _, callback, _ = await command(double, name, options, user=77)
            assert callback.json["type"] == 4, name
            assert callback.json["data"]["flags"] & 64
            assert "Only moderators" in callback.json["data"]["content"], name
        autocomplete = await double.autocomplete("sources remove", {"id": "Ukr"}, "id", user=77)
        choices = await double.wait_for(callback_of(autocomplete))
        assert choices.json == {"type": 8, "data": {"choices": []}}
        # Outside a server even a would-be moderator is refused.
        _, callback, _ = await command(double, "reindex", guild=False)
        assert callback.json["type"] == 4 and callback.json["data"]["flags"] & 64
    assert store.current_folder(service.data_dir) == before
    assert len(pages.hits) == hits  # refused before anything was fetched


async def test_moderator_adds_a_url_and_a_file_answers_cite_them_and_remove_takes_them_out(double, service, tmp_path, pages):
    async with moderated_bot(double, service, tmp_path):
        assert not any("EU agrees" in t for t in await cited_titles(double, SANCTIONS_Q))

        _, _, edit = await command(double, "sources add", {"url": pages.url("/articles/eu-sanctions")}, **MOD)
        assert "EU agrees first sanctions package" in edit.json["content"]
        assert "5 paragraphs added" in edit.json["content"] and edit.json["allowed_mentions"] == {"parse": []}
        assert "EU agrees" in (await cited_titles(double, SANCTIONS_Q))[0]

        html = (PAGES / "zaporizhzhia-inspectors.html").read_bytes()
        _, _, edit = await command(double, "sources add", files={"file": ("zaporizhzhia.html", html)}, **MOD)
        assert "paragraphs added" in edit.json["content"], edit.json["content"]
        assert "UN nuclear inspectors" in (await cited_titles(double, ZAPORIZHZHIA_Q))[0]

        # Autocomplete finds the source by title; remove takes it out of answers.
        typing = await double.autocomplete("sources remove", {"id": "eu agrees"}, "id", **MOD)
        choices = (await double.wait_for(callback_of(typing))).json["data"]["choices"]
        assert len(choices) == 1 and choices[0]["name"].startswith("EU agrees first sanctions package")
        _, _, edit = await command(double, "sources remove", {"id": choices[0]["value"]}, **MOD)
        assert edit.json["content"].startswith("Removed **EU agrees") and "5 paragraphs removed" in edit.json["content"]
        assert not any("EU agrees" in t for t in await cited_titles(double, SANCTIONS_Q))

        # A member with the moderator role (no Manage Server) may list and audit.
        _, callback, _ = await command(double, "sources list", roles=(MODERATOR_ROLE_ID,))
        listing = callback.json["data"]["embeds"][0]
        assert "UN nuclear inspectors" in listing["description"] and "paragraphs" in listing["description"]
        assert "EU agrees" not in listing["description"]
        _, callback, _ = await command(double, "sources audit", roles=(MODERATOR_ROLE_ID,))
        audit = callback.json["data"]["embeds"][0]["description"].splitlines()
        assert [line.split("** ")[1].split(" `")[0] for line in audit] == ["sources remove", "sources add", "sources add"]
        assert all(" ok: " in line and "user1001" in line for line in audit)
    posts = [r for r in double.requests if r.method == "POST" and r.path == f"/channels/{LOG_CHANNEL_ID}/messages"]
    assert len(posts) == 3 and all(p.json["allowed_mentions"] == {"parse": []} for p in posts)


async def test_pages_and_files_that_fail_are_reported_and_change_nothing(double, service, tmp_path, pages):
    before = store.current_folder(service.data_dir)
    async with moderated_bot(double, service, tmp_path):
        for url, reason in [("/empty", "no article text"), ("/error", "503"), ("/report.pdf", "not a web page")]:
            _, _, edit = await command(double, "sources add", {"url": pages.url(url)}, **MOD)
            assert edit.json["content"].startswith("Could not add") and "Nothing changed" in edit.json["content"]
            assert reason.lower() in edit.json["content"].lower(), edit.json["content"]
        _, _, edit = await command(double, "sources add", {"url": "file:///etc/passwd"}, **MOD)
        assert "Could not add" in edit.json["content"]
        _, _, edit = await command(double, "sources add", files={"file": ("broken.jsonl", b"{not json\n")}, **MOD)
        assert "Could not add broken.jsonl" in edit.json["content"] and "Nothing changed" in edit.json["content"]
        _, _, edit = await command(double, "sources add", files={"file": ("tool.exe", b"MZ\x90\x00")}, **MOD)
        assert "use a .txt" in edit.json["content"]
        _, callback, _ = await command(double, "sources add", **MOD)
        assert callback.json["type"] == 4 and "either a `url` or a `file`" in callback.json["data"]["content"]
        # An action is audited after its reply: wait for the six rows (each posted to the log channel once written),
        # or a busy machine asks for the audit before the last is in (5 of 6 seen under a test suite running beside it).
        await wait_for_log_posts(double, 6)
        _, callback, _ = await command(double, "sources audit", **MOD)
        failures = callback.json["data"]["embeds"][0]["description"].splitlines()
        assert len(failures) == 6 and all("FAILED" in line for line in failures)
    assert store.current_folder(service.data_dir) == before


async def wait_for_log_posts(double, count: int, timeout: float = 30) -> None:
    """Until the bot has posted ``count`` messages to the log channel."""
    start = 0
    for _ in range(count):
        post = await double.wait_for(
            lambda r: r.method == "POST" and r.path == f"/channels/{LOG_CHANNEL_ID}/messages", timeout=timeout, start=start)
        start = double.requests.index(post) + 1


class GatedService:
    """The real service, whose rebuild waits for the test to open a gate (or fails, when told to)."""

    def __init__(self, service, fail: str | None = None):
        self._service, self.fail = service, fail
        self.gate = threading.Event()

    def __getattr__(self, name):
        return getattr(self._service, name)

    def build(self, sources=None, *, progress=None):
        """Pause in the middle of the embedding stage until the gate opens."""

        def gated_progress(stage, done, total):
            if progress:
                progress(stage, done, total)
            if stage == "embedding" and not self.gate.wait(60):
                raise RuntimeError("gate never opened")
            if self.fail:
                raise OSError(self.fail)

        return self._service.build(sources, progress=gated_progress)


async def test_reindex_runs_in_the_background_once_at_a_time_while_answers_continue(double, service, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.cogs.moderation.PROGRESS_SECONDS", 0.2)
    gated = GatedService(service)
    before = store.current_folder(service.data_dir)
    async with moderated_bot(double, gated, tmp_path):
        first, callback, _ = await command(double, "reindex", **MOD)
        assert callback.json["type"] == 4 and callback.json["data"]["content"].startswith("Re-indexing:")
        _, callback, _ = await command(double, "reindex", user=1002, roles=(MODERATOR_ROLE_ID,))
        refusal = callback.json["data"]["content"]
        assert refusal.startswith("A re-index is already running (started by user1001,") and "% done" in refusal
        assert callback.json["data"]["flags"] & 64
        # Questions are answered from the published index meanwhile.
        ask = await double.slash("ask", {"question": QUESTION}, user=99)
        answer = await double.wait_for(edit_of(ask))
        assert "[1]" in answer.json["embeds"][0]["description"]
        assert store.current_folder(service.data_dir) == before
        progress = await double.wait_for(lambda r: edit_of(first)(r) and "embedding" in r.json.get("content", ""))
        assert re.match(r"Re-indexing: embedding \d+/\d+ paragraphs \(\d+%", progress.json["content"]), progress.json["content"]
        gated.gate.set()
        done = await double.wait_for(lambda r: edit_of(first)(r) and "Re-index done" in r.json.get("content", ""), timeout=90)
        assert "1 source, 49 paragraphs (1 duplicate collapsed)" in done.json["content"]
    assert store.current_folder(service.data_dir) != before
    assert gated.ask(QUESTION).citations


async def test_a_failed_reindex_reports_why_and_the_old_index_keeps_serving(double, service, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.cogs.moderation.PROGRESS_SECONDS", 0.2)
    gated = GatedService(service, fail="No space left on device")
    gated.gate.set()
    before = store.current_folder(service.data_dir)
    async with moderated_bot(double, gated, tmp_path):
        first, _, _ = await command(double, "reindex", **MOD)
        failed = await double.wait_for(lambda r: edit_of(first)(r) and "failed" in r.json.get("content", ""))
        assert failed.json["content"] == "Re-index failed: No space left on device. The previous index is still serving."
        ask = await double.slash("ask", {"question": QUESTION}, user=99)
        assert "[1]" in (await double.wait_for(edit_of(ask))).json["embeds"][0]["description"]
        _, callback, _ = await command(double, "sources audit", **MOD)
        assert "reindex" in callback.json["data"]["embeds"][0]["description"] and "FAILED" in callback.json["data"]["embeds"][0]["description"]
    assert store.current_folder(service.data_dir) == before


async def test_scheduled_refresh_reindexes_a_changed_page(double, service, tmp_path, pages):
    from index.fetch import FetchPolicy, fetch_document

    policy = FetchPolicy(timeout_seconds=3, allow_private=True)
    service.add_fetched(await fetch_document(pages.url("/mutable"), policy))
    original = pages.mutable_html
    pages.mutable_html = original.replace("351 members", "352 members")
    try:
        async with moderated_bot(double, service, tmp_path, refresh_minutes=0.01):
            post = await double.wait_for(
                lambda r: r.method == "POST" and r.path == f"/channels/{LOG_CHANNEL_ID}/messages", timeout=60
            )
            assert "scheduler" in post.json["content"] and "refresh" in post.json["content"]
            assert "EU agrees first sanctions package" in post.json["content"]
    finally:
        pages.mutable_html = original
    assert "352" in service.ask(SANCTIONS_Q).answer
