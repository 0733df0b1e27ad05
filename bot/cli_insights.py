"""``crisisbot insights``: what was asked, what was refused (which sources are missing), what members voted down."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated

import typer

from bot.cli_support import EXIT_USAGE, fail, handled, out, service


def insights_command(
    days: Annotated[float, typer.Option("--days", "-d", help="The last N days (at most CRISISBOT_STATE_MAX_AGE_DAYS are kept).")] = 7.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    top: Annotated[int, typer.Option(help="Topics, sources and voted-down answers listed, at most.")] = 10,
) -> None:
    """Questions asked and answered in every server and DM, refused ones grouped by topic, answers voted down,
    most cited sources, busiest hours (UTC); from the bot's state (state.sqlite or PostgreSQL), which holds no user ids for these."""
    if not days > 0:
        raise fail("--days must be more than 0", EXIT_USAGE)
    if top < 1:
        raise fail("--top must be at least 1", EXIT_USAGE)
    with handled():
        svc = service()
        insights = gather(svc, days, top=top)
    if as_json:
        out.print(json.dumps(insights.to_json(), indent=2, ensure_ascii=False), markup=False)
        return
    out.print(report(insights), markup=False)


def gather(svc, days: float, *, top: int = 10):
    """The insights of the last ``days``, every server's and DM's, from the bot's state (no state.sqlite yet: empty)."""
    from bot.state import BotState
    from index.insights import compute

    path = svc.data_dir / "state.sqlite"
    vocabulary = svc.snapshot().vocabulary() if svc.has_index() else None
    if not path.exists() and getattr(svc.settings, "database_url", None) is None:
        return compute([], [], days=days, now=time.time())
    state = BotState.open(svc.settings)
    try:
        return state.insights(days, vocabulary=vocabulary, top=top)
    finally:
        state.close()


def report(insights) -> str:
    """Plain text, one fact a line."""
    since = dt.datetime.fromisoformat(insights.since).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Since {since}: {insights.asked} questions, {insights.answered} answered, {insights.refused} refused."]
    if insights.refusal_kinds:
        lines.append("Refused because: " + ", ".join(f"{kind} {n}" for kind, n in sorted(insights.refusal_kinds.items(), key=lambda i: -i[1])))
    if insights.refused_topics:
        lines.append("Refused questions by topic (sources that may be missing):")
        for topic in insights.refused_topics:
            lines.append(f"  {topic.term} ({topic.questions}): " + " | ".join(topic.examples))
    if insights.refused_without_topic:
        lines.append(f"  {insights.refused_without_topic} refused questions private or without a topic")
    if insights.downvoted:
        lines.append("Answers voted down:")
        for answer in insights.downvoted:
            cited = "; ".join(c["title"] for c in answer.citations) or "no citations known"
            lines.append(f"  -{answer.down} +{answer.up} {answer.question} [{cited}]")
    if insights.top_sources:
        lines.append("Most cited sources:")
        lines += [f"  {s.citations} {s.title}" + (f" <{s.url}>" if s.url else "") for s in insights.top_sources]
    busiest = insights.busiest_hours()
    if busiest:
        lines.append("Busiest hours (UTC): " + ", ".join(f"{h:02d}:00 ({insights.hours[h]})" for h in busiest))
    return "\n".join(lines)
