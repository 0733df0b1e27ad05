"""Load: 200 /ask interactions in flight at once, through the real client and the Discord double."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from index.eval import percentile
from tests.helpers import ROOT, running_bot

IN_FLIGHT = 200
ACK_DEADLINE = 3.0  # Discord drops an interaction not acknowledged within 3 s


def dev_questions() -> list[str]:
    lines = (ROOT / "tests" / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()] + ["What is the best recipe for chocolate chip cookies?"]



def edited_token(request) -> str | None:
    """The interaction token of a webhook PATCH of an original response, else None."""
    parts = request.path.split("/")
    if request.method == "PATCH" and len(parts) == 6 and parts[1] == "webhooks" and parts[-1] == "@original":
        return parts[3]
    return None


async def wait_for_count(server, predicate, count: int, timeout: float) -> list:
    """The first ``count`` requests matching ``predicate``, waiting up to ``timeout`` s for them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in server.requests if predicate(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


@pytest.mark.timeout(150)
async def test_200_asks_in_flight_are_all_acknowledged_and_answered(double, shared_service, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    questions = dev_questions()
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=0) as bot:
        interactions = [
            await double.slash("ask", {"question": questions[i % len(questions)]}, user=50_000 + i) for i in range(IN_FLIGHT)
        ]
        tokens = {i["token"]: i for i in interactions}
        ids = {i["id"] for i in interactions}
        edits = await wait_for_count(double, lambda r: edited_token(r) in tokens, IN_FLIGHT, timeout=120)
        await asyncio.sleep(0.5)  # anything sent twice would show up now
        assert bot.is_ready()

    callbacks = {r.path.split("/")[2]: r for r in double.requests if r.method == "POST" and r.path.startswith("/interactions/")}
    assert set(callbacks) == ids, "every interaction acknowledged"
    assert all(c.json["type"] == 5 for c in callbacks.values())
    ack_seconds = [callbacks[i["id"]].at - double.sent_at[i["id"]] for i in interactions]
    assert max(ack_seconds) < ACK_DEADLINE, f"slowest acknowledgement {max(ack_seconds):.2f} s"

    assert len(edits) == IN_FLIGHT, f"{len(edits)} of {IN_FLIGHT} answered"
    edited = [edited_token(r) for r in double.requests if edited_token(r)]
    assert sorted(edited) == sorted(tokens), "exactly one final edit per ask"
    for edit in edits:
        embed = edit.json["embeds"][0]
        description = embed["description"]
        assert description and ("[1]" in description or "isn't covered" in description or description.startswith("My sources run from"))
    edit_at = {tokens[edited_token(e)]["id"]: e.at for e in edits}
    answer_seconds = [edit_at[i["id"]] - double.sent_at[i["id"]] for i in interactions]
    span = max(e.at for e in edits) - min(double.sent_at[i] for i in ids)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    figures = {
        "answered_per_second": round(IN_FLIGHT / span, 1),
        "ack_p95_ms": round(percentile(ack_seconds, 0.95) * 1000, 1),
        "ack_max_ms": round(max(ack_seconds) * 1000, 1),
        "answer_p50_s": round(percentile(answer_seconds, 0.5), 2),
        "answer_p95_s": round(percentile(answer_seconds, 0.95), 2),
        "warnings": [r.getMessage()[:120] for r in caplog.records if r.levelno == logging.WARNING],
    }
    print("load figures:", json.dumps(figures))
