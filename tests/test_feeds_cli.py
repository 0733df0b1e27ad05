"""`crisisbot feeds` through typer's runner, against feeds on loopback; changes land in the audit log."""

from __future__ import annotations

import json
import sqlite3

import pytest

pytestmark = pytest.mark.timeout(180)


def audit_rows(data_dir) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        return db.execute("SELECT action, target, result, ok FROM audit ORDER BY id").fetchall()


def test_feeds_add_polls_then_status_list_poll_and_remove(run, server, monkeypatch):
    monkeypatch.setenv("CRISISBOT_ALLOW_PRIVATE_URLS", "true")
    feed = server.url("/feeds/rss2.xml")
    added = run("feeds", "add", feed, "--interval", "30")
    assert added.exit_code == 0, added.output
    assert f"subscribed to {feed} (feed, every 30 min)" in added.output
    assert "3 added" in added.output and "added: First grain ship leaves Odesa" in added.output

    status = run("feeds", "status")
    assert status.exit_code == 0
    assert "Kyiv Wire" in status.output and "HTTP 200" in status.output and "3 seen, 3 added, 0 updated, 0 removed" in status.output
    assert "upkeep: 0 old items forgotten, 0 pages re-checked behind a 304" in status.output
    assert {"pruned_items", "rechecked_items"} <= set(json.loads(run("feeds", "status", "--json").output)[0])
    listed = json.loads(run("feeds", "list", "--json").output)
    assert [(s["url"], s["kind"], s["interval_minutes"]) for s in listed] == [(feed, "feed", 30.0)]

    nothing = run("feeds", "poll")
    assert nothing.exit_code == 0 and "nothing due" in nothing.output
    again = run("feeds", "poll", "--all")
    assert again.exit_code == 0 and "not modified (HTTP 304)" in again.output

    removed = run("feeds", "remove", feed)
    assert removed.exit_code == 0 and f"unsubscribed from {feed}" in removed.output
    assert run("sources", "list", "--json").output.count("Kyiv Wire") == 3  # its items stay
    actions = [(a, t, ok) for a, t, _, ok in audit_rows(run.data_dir)]
    assert actions == [("feeds add", feed, 1), ("feeds poll", feed, 1), ("feeds remove", feed, 1)]
    assert "added: EU agrees first sanctions package against Russia" in audit_rows(run.data_dir)[1][2]


def test_bad_input_and_failed_polls_are_one_line_and_an_exit_code(run, server, monkeypatch):
    monkeypatch.setenv("CRISISBOT_ALLOW_PRIVATE_URLS", "true")
    cases = [
        (("feeds", "add", "ftp://example.org/feed.xml"), 1, "only http:// and https://"),
        (("feeds", "add", server.url("/feeds/atom.xml"), "--interval", "1"), 2, "at least 5 minutes"),
        (("feeds", "add", server.url("/feeds/atom.xml"), "--kind", "podcast"), 2, "'feed' or 'sitemap'"),
        (("feeds", "remove", server.url("/feeds/nothing.xml")), 2, "no subscription"),
        (("feeds", "add", server.url("/feeds/bomb.xml")), 1, "declares XML entities"),
    ]
    for args, code, says in cases:
        result = run(*args)
        assert result.exit_code == code, (args, result.output)
        assert says in result.output and "Traceback" not in result.output, result.output
    status = run("feeds", "status")
    assert "last error (1 failures in a row): refused: the document declares XML entities" in status.output
    assert audit_rows(run.data_dir)[-1][3] == 0  # the failed poll is audited as failed
