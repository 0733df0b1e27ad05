"""``crisisbot feeds``: subscribe to news feeds (RSS, Atom) and news sitemaps, see how their polls went, poll now."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli_support import EXIT_FAILED, audit, err, handled, out, service

feeds_app = typer.Typer(help="Subscribe to news feeds and sitemaps; poll them.", no_args_is_help=True)


def when(stamp: float | None) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else "never"


def _report(svc, report) -> bool:
    """Print and audit each poll; True when none failed."""
    for poll in report.polls:
        line = f"{poll.url}: {poll.summary()}"
        (err if poll.outcome == "failed" else out).print(line, markup=False)
        for verb, titles in (("added", poll.added), ("updated", poll.updated), ("removed", poll.removed)):
            for title in titles:
                out.print(f"  {verb}: {title}", markup=False)
        if poll.changed or poll.outcome == "failed":
            audit(svc, "feeds poll", poll.url, poll.audit_text(), ok=poll.outcome != "failed")
    return report.ok


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The http(s) URL of an RSS or Atom feed, a sitemap or a sitemap index.")],
    kind: Annotated[str | None, typer.Option(help="feed or sitemap (default: sitemap when the URL's last part names one).")] = None,
    interval: Annotated[float | None, typer.Option(help="Minutes between polls (default CRISISBOT_FEED_INTERVAL_MINUTES).")] = None,
    poll: Annotated[bool, typer.Option("--poll/--no-poll", help="Poll it once now.")] = True,
) -> None:
    """Subscribe to a feed or sitemap; its new items are indexed at every poll."""
    with handled():
        svc = service()
        subscription = svc.feeds_add(url, kind=kind, interval_minutes=interval, added_by="cli")
        out.print(f"subscribed to {subscription.url} ({subscription.kind}, every {subscription.interval_minutes:g} min)", markup=False)
        audit(svc, "feeds add", subscription.url, f"{subscription.kind}, every {subscription.interval_minutes:g} min")
        if poll and not _report(svc, asyncio.run(svc.poll_feeds(only=[subscription.url]))):
            raise typer.Exit(EXIT_FAILED)


@feeds_app.command("remove")
def feeds_remove(url: Annotated[str, typer.Argument(help="The subscribed URL, as `crisisbot feeds list` shows it.")]) -> None:
    """Unsubscribe; the items already indexed stay (remove them with `crisisbot sources remove`)."""
    with handled():
        svc = service()
        subscription = svc.feeds_remove(url)
        out.print(f"unsubscribed from {subscription.url}", markup=False)
        audit(svc, "feeds remove", subscription.url, "unsubscribed; its indexed items stay")


@feeds_app.command("list")
def feeds_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Every subscription: URL, kind, poll interval, title."""
    with handled():
        subscriptions = service().feeds_list()
        if as_json:
            out.print(json.dumps([asdict(s) for s in subscriptions], ensure_ascii=False, indent=2), markup=False)
            return
        from rich.table import Table

        table = Table("url", "kind", "every (min)", "title")
        for s in subscriptions:
            table.add_row(escape(s.url), s.kind, f"{s.interval_minutes:g}", escape(s.title))
        out.print(table if subscriptions else "no subscriptions; add one with `crisisbot feeds add URL`")


@feeds_app.command("status")
def feeds_status(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """How each subscription's polls went: last poll, HTTP status, items seen/added/updated/removed, old items forgotten,
    pages re-checked behind a 304, last error, next poll."""
    with handled():
        subscriptions = service().feeds_list()
        if as_json:
            out.print(json.dumps([asdict(s) for s in subscriptions], ensure_ascii=False, indent=2), markup=False)
            return
        if not subscriptions:
            out.print("no subscriptions; add one with `crisisbot feeds add URL`")
        for s in subscriptions:
            out.print(f"{s.url} ({s.kind}{', ' + s.title if s.title else ''})", markup=False)
            out.print(f"  last poll {when(s.last_poll)}, HTTP {s.http_status or '-'}; next poll {when(s.next_poll)}", markup=False)
            out.print(f"  items: {s.seen} seen, {s.added_items} added, {s.updated_items} updated, {s.removed_items} removed", markup=False)
            out.print(f"  upkeep: {s.pruned_items} old items forgotten, {s.rechecked_items} pages re-checked behind a 304",
                      markup=False)
            if s.last_error:
                out.print(f"  last error{f' ({s.failures} failures in a row)' if s.failures else ''}: {s.last_error}", markup=False)


@feeds_app.command("poll")
def feeds_poll(
    force: Annotated[bool, typer.Option("--all", help="Poll every subscription, not only those due.")] = False,
) -> None:
    """Poll the subscriptions that are due now (the bot does this by itself); exit 1 if a poll failed."""
    with handled():
        svc = service()
        report = asyncio.run(svc.poll_feeds(force=force))
        if not report.polls:
            out.print("nothing due; `--all` polls every subscription now")
        if not _report(svc, report):
            raise typer.Exit(EXIT_FAILED)
