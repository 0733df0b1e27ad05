"""Hostile input through the real bot: every text of tests/hostile_inputs.py via /ask, /search and
autocomplete, and hostile files and URLs via /sources add.  No crash, no ping, a clear message, bounded time."""

from __future__ import annotations

import json
import re
import time

import pytest

from index import store
from tests.helpers import MOD, callback_of, command, edit_of, moderated_bot, sent_for, strings
from tests.hostile_inputs import HOSTILE_TEXT
from tests.webpages import PageServer

pytestmark = pytest.mark.timeout(300)

# What would ping if Discord parsed it: @everyone, @here, <@id>, <@!id>, <@&id> (escaping inserts a zero-width space).
PING = re.compile(r"@(everyone|here|[!&]?\d{17,20})")



def assert_harmless(requests) -> None:
    for request in requests:
        body = request.json or {}
        payload = body.get("data", body) if isinstance(body, dict) else {}
        if not isinstance(payload, dict) or not ({"content", "embeds"} & payload.keys()):
            continue
        assert payload.get("allowed_mentions") == {"parse": []}, request.path
        for text in strings({k: payload.get(k) for k in ("content", "embeds")}):
            assert not PING.search(text), text[:200]
            assert "](https://evil" not in text and "Traceback" not in text, text[:200]


def deliverable(text: str) -> bool:
    """Discord delivers UTF-8; lone surrogates cannot reach a bot (the core's own tests cover them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def test_hostile_questions_through_ask_and_search(double, bot):
    slow = []
    for i, text in enumerate(filter(deliverable, HOSTILE_TEXT)):
        for name, option in (("ask", "question"), ("search", "query")):
            start = time.perf_counter()
            interaction = await double.slash(name, {option: text}, user=2000 + i)
            callback = await double.wait_for(callback_of(interaction))
            if callback.json["type"] == 5:
                final = await double.wait_for(edit_of(interaction), timeout=60)
                data = final.json
            else:  # refused at once: must say why, privately
                data = callback.json["data"]
                assert data["flags"] & 64 and data["content"], text[:50]
            assert data.get("content") or data.get("embeds"), f"/{name} gave an empty reply to {text[:50]!r}"
            assert_harmless(sent_for(double, interaction))
            slow.append((time.perf_counter() - start, name, text[:40]))
    assert max(slow)[0] < 30, max(slow)
    # The answers that were refused said why: empty or too long.
    refusals = [json.dumps(r.json) for r in double.requests if r.path.endswith("/callback") and r.json["type"] == 4]
    assert refusals and all(("empty" in r) or ("limit" in r) or ("characters" in r) for r in refusals)


async def test_hostile_autocomplete_text(double, service, tmp_path):
    async with moderated_bot(double, service, tmp_path):
        for text in filter(deliverable, HOSTILE_TEXT):
            typing = await double.autocomplete("sources remove", {"id": text}, "id", **MOD)
            response = await double.wait_for(callback_of(typing))
            choices = response.json["data"]["choices"]
            assert response.json["type"] == 8 and len(choices) <= 25
            assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)


@pytest.fixture(scope="module")
def pages():
    server = PageServer().start()
    yield server
    server.stop()


HOSTILE_URLS = [  # (url or loopback path, what the reply must say); private addresses are allowed here
    ("/hang", "did not answer within 2 s"),
    ("/redirect-loop", "more than 5 redirects"),
    ("/huge", "over the 512 KiB limit"),
    ("ftp://127.0.0.1/file.html", "not ftp:"),
    ("javascript:alert(1)", "not javascript:"),
    ("file:///etc/passwd", "not file:"),
    ("http://169.254.169.254/latest/meta-data/", "never fetched"),
    ("http://[fe80::1]/", "never fetched"),
    ("http://user:pass@127.0.0.1/", "user name or password"),
    ("not a url at all", "this is not a URL"),
]


async def test_hostile_urls_and_files_through_sources_add(double, service, tmp_path, pages):
    before = store.current_folder(service.data_dir)
    limit = 64 * 1024
    files = [
        ("oversized.txt", b"Title\n20220217\nhttps://x.example\n" + b"Ukraine " * limit, "limit is"),
        ("binary.txt", bytes(range(256)) * 64, "Nothing changed"),
        ("bomb.html", b"<html><body>" + b"<div>" * 5_000 + b"deep" + b"</div>" * 5_000 + b"</body></html>", "Nothing changed"),
        ("empty.jsonl", b"", "Nothing changed"),
        ("../../etc/passwd.md", b"---\ntitle: x\n---\n", "Nothing changed"),
        ("@everyone.exe", b"MZ", "use a .txt"),
    ]
    async with moderated_bot(double, service, tmp_path, max_upload_bytes=limit, fetch_timeout_seconds=2,
                             fetch_max_bytes=512 * 1024):
        for target, expected in HOSTILE_URLS:
            url = pages.url(target) if target.startswith("/") else target
            start = time.perf_counter()
            interaction, _, edit = await command(double, "sources add", {"url": url}, **MOD)
            assert edit.json["content"].startswith("Could not add"), edit.json["content"]
            assert expected in edit.json["content"], edit.json["content"]
            assert time.perf_counter() - start < 20
            assert_harmless(sent_for(double, interaction))
        for name, content, expected in files:
            interaction, _, edit = await command(double, "sources add", files={"file": (name, content)}, **MOD)
            assert expected in edit.json["content"], (name, edit.json["content"])
            assert_harmless(sent_for(double, interaction))
    assert store.current_folder(service.data_dir) == before
    assert not list(service.sources_dir.glob("*")) if service.sources_dir.exists() else True
