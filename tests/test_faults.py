"""Gateway and REST faults: the real client resumes or re-identifies and keeps answering,
and every ask gets exactly one final edit.

What discord.py retries (discord/http.py and discord/webhook/async_.py, 2.7):
interaction callbacks and webhook edits go through the webhook adapter, which
waits ``retry_after`` on a 429 (only if the response carries ``Via``, else it is
taken for a Cloudflare ban) and retries any 5xx after 1, 3, 5 ... s, up to 5
tries; channel messages go through HTTPClient, which does the same for 429 and
for 500/502/504/524.  A 404 (e.g. "Unknown interaction") is never retried.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.discord_double.faults import CHANNEL_MESSAGES, INTERACTION_CALLBACK, WEBHOOK_EDIT, Fault
from tests.helpers import QUESTION, callback_of, edit_of, running_bot

pytestmark = pytest.mark.timeout(60)


def accepted(server, predicate) -> list:
    return [r for r in server.requests if predicate(r)]


async def answered_once(server, interaction) -> dict:
    """The one final edit of ``interaction``'s answer; fails if it came twice."""
    edit = await server.wait_for(edit_of(interaction))
    await asyncio.sleep(0.3)
    assert len(accepted(server, edit_of(interaction))) == 1, "the final edit was sent twice"
    assert len(accepted(server, callback_of(interaction))) == 1, "the interaction was acknowledged twice"
    assert "[1]" in edit.json["embeds"][0]["description"]
    return edit.json


# --- gateway -----------------------------------------------------------------------------

GATEWAY_FAULTS = {
    "dropped socket": ("drop_connection", (), "RESUMED"),
    "op 7 reconnect": ("request_reconnect", (), "RESUMED"),
    "op 9 resumable": ("invalidate_session", (True,), "RESUMED"),
    "op 9 not resumable": ("invalidate_session", (False,), "READY"),
}


@pytest.mark.parametrize("fault", list(GATEWAY_FAULTS), ids=list(GATEWAY_FAULTS))
async def test_gateway_fault_during_an_ask(faulty, shared_service, tmp_path, caplog, fault):
    method, args, expected = GATEWAY_FAULTS[fault]
    async with running_bot(faulty, shared_service, tmp_path / "bot", ask_cooldown_seconds=0) as bot:
        in_flight = await faulty.slash("ask", {"question": QUESTION}, user=1)
        await faulty.wait_for(callback_of(in_flight))
        before = len(faulty.sessions)
        await getattr(faulty, method)(*args)
        assert await faulty.wait_reconnected(before) == expected
        await answered_once(faulty, in_flight)
        after = await faulty.slash("ask", {"question": "What did Blinken say about Russian misinformation?"}, user=2)
        await answered_once(faulty, after)
        assert bot.is_ready() and not bot.is_closed()
    identifies = [event for event, _ in faulty.sessions].count("READY")
    assert identifies == (2 if expected == "READY" else 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- REST --------------------------------------------------------------------------------

REST_FAULTS = {
    "callback 500": ("POST", INTERACTION_CALLBACK, [Fault(500)], 1.0),
    "callback 429": ("POST", INTERACTION_CALLBACK, [Fault(429, 0.4)], 0.4),
    "edit 429": ("PATCH", WEBHOOK_EDIT, [Fault(429, 0.5)], 0.5),
    "edit 502": ("PATCH", WEBHOOK_EDIT, [Fault(502)], 1.0),
    "edit 429 then 500": ("PATCH", WEBHOOK_EDIT, [Fault(429, 0.2), Fault(500)], 0.2 + 3.0),
}


@pytest.mark.parametrize("fault", list(REST_FAULTS), ids=list(REST_FAULTS))
async def test_rest_fault_on_an_ask_is_retried_once_it_clears(faulty, shared_service, tmp_path, caplog, fault):
    method, pattern, faults, least_wait = REST_FAULTS[fault]
    async with running_bot(faulty, shared_service, tmp_path / "bot", ask_cooldown_seconds=0):
        faulty.inject(method, pattern, *faults)
        interaction = await faulty.slash("ask", {"question": QUESTION})
        await answered_once(faulty, interaction)
    assert faulty.pending_faults() == 0 and [f.fault for f in faulty.faulted] == faults
    retried = accepted(faulty, callback_of(interaction) if method == "POST" else edit_of(interaction))[0]
    assert retried.at - faulty.faulted[0].request.at >= least_wait * 0.95, "retried before retry_after"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("status", [429, 500])
async def test_mention_reply_is_retried_once(faulty, shared_service, tmp_path, status):
    async with running_bot(faulty, shared_service, tmp_path / "bot", ask_cooldown_seconds=0) as bot:
        faulty.inject("POST", CHANNEL_MESSAGES, Fault(status, 0.3))
        message = await faulty.mention(f"<@{bot.user.id}> {QUESTION}")
        is_reply = lambda r: r.method == "POST" and r.path.endswith("/messages") and r.json.get("embeds")  # noqa: E731
        reply = await faulty.wait_for(is_reply)
        await asyncio.sleep(0.3)
    assert len(accepted(faulty, is_reply)) == 1
    assert str(reply.json["message_reference"]["message_id"]) == message["id"]
    assert len(faulty.faulted) == 1 and reply.at - faulty.faulted[0].request.at >= (0.3 if status == 429 else 1.0) * 0.95


async def test_unknown_interaction_is_logged_with_an_id_and_later_asks_work(faulty, shared_service, tmp_path, caplog):
    """Discord answers 404 "Unknown interaction" to a late acknowledgement; it is not retried."""
    async with running_bot(faulty, shared_service, tmp_path / "bot", ask_cooldown_seconds=0):
        # the defer and then the error handler's own message both meet a 404
        faulty.inject("POST", INTERACTION_CALLBACK, Fault(404, code=10062), Fault(404, code=10062))
        lost = await faulty.slash("ask", {"question": QUESTION}, user=1)
        for _ in range(100):
            if len(faulty.faulted) == 2:
                break
            await asyncio.sleep(0.05)
        later = await faulty.slash("ask", {"question": QUESTION}, user=2)
        await answered_once(faulty, later)
    assert len(faulty.faulted) == 2
    assert all(f.request.path == f"/interactions/{lost['id']}/{lost['token']}/callback" for f in faulty.faulted)
    assert not accepted(faulty, edit_of(lost)), "no answer for an interaction Discord forgot"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("error ") and "ask" in errors[0]
    assert any("could not tell the user about error" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
