"""What a poll of a feed or sitemap subscription did (``FeedPoll``, ``PollReport``), and when the next one is.

Next poll = interval x uniform(0.9, 1.1); after a failure min(interval x 2^failures, 6 h), or the
server's Retry-After when longer.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass, field

from index.subscriptions import Subscription

MAX_BACKOFF_SECONDS = 6 * 3600.0


@dataclass
class FeedPoll:
    """What one poll of one subscription did."""

    url: str
    kind: str
    outcome: str  # "not modified", "updated", "unchanged", "failed", "busy"
    http_status: int | None = None
    seen: int = 0
    added: list[str] = field(default_factory=list)  # titles
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    deferred: int = 0  # entries left for the next poll (over feed_max_items_per_poll)
    rechecked: int = 0  # item pages re-checked because the feed answered 304
    pruned: int = 0  # items forgotten: gone from the feed longer than feed_item_max_age_days
    item_errors: list[tuple[str, str]] = field(default_factory=list)  # (item url, reason)
    error: str | None = None
    note: str = ""  # the feed was read despite a fault (e.g. a wrong declared encoding)
    next_poll: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line of plain text, for the audit log and the replies."""
        if self.outcome in ("failed", "busy"):
            return f"{self.outcome}: {self.error}"
        text = (f"{self.outcome} (HTTP {self.http_status}): {self.seen} seen, {len(self.added)} added, "
                f"{len(self.updated)} updated, {len(self.removed)} removed")
        if self.rechecked:
            text += f", {self.rechecked} pages re-checked"
        if self.pruned:
            text += f", {self.pruned} old items forgotten"
        if self.deferred:
            text += f", {self.deferred} left for the next poll"
        if self.item_errors:
            text += f"; {len(self.item_errors)} items unreadable (first: {self.item_errors[0][1]})"
        if self.note:
            text += f"; {self.note}"
        return text

    def audit_text(self) -> str:
        """The summary, then every item added, updated or removed, one line each (for the audit log)."""
        lines = [self.summary()]
        for verb, titles in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            lines += [f"{verb}: {title}" for title in titles]
        return "\n".join(lines)


@dataclass
class PollReport:
    polls: list[FeedPoll] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.outcome != "failed" for p in self.polls)


def next_poll_after(subscription: Subscription, now: float, *, failed: bool, retry_after: float | None = None,
                    rng: random.Random | None = None) -> float:
    """When to poll next: the interval jittered ±10%; after failures exponential backoff up to 6 h; Retry-After when longer."""
    interval = subscription.interval_minutes * 60.0
    if failed:
        wait = min(interval * 2 ** max(1, subscription.failures), MAX_BACKOFF_SECONDS)
    else:
        wait = interval * (rng or random).uniform(0.9, 1.1)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return now + wait


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date), capped at a day; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), 86_400.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max(0.0, when.timestamp() - now), 86_400.0)
