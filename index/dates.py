"""Dates people type (``--since``/``--until``, Discord's ``since:``/``until:``): one parser for
every front end, so the CLI and the bot accept the same spellings and say the same thing."""

from __future__ import annotations

import datetime as dt

from index.errors import BadDate

FORMATS = ("%Y-%m-%d", "%Y%m%d")


def parse_day(text: str | None, option: str) -> dt.date | None:
    """``YYYY-MM-DD`` (or ``YYYYMMDD``) as a date; None for a missing or blank option; BadDate otherwise."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    for pattern in FORMATS:
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise BadDate(f"{option} must be a date as YYYY-MM-DD, like 2022-02-17, not {cleaned[:40]!r}")
