"""Slash-command options parsed once, at the edge (RoboDanny's ``cogs/utils/time.py`` is the model).

A command receives a checked question and ``datetime.date``s, never strings to re-parse; a bad
value raises the core's own error (``BadQuestion``, ``BadDate``), which the tree's error handler
turns into a short private reply.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from index.dates import parse_day
from index.service import check_question

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot


class QuestionText(app_commands.Transformer):
    """A question or query, cleaned and within the configured length (the core's check)."""

    async def transform(self, interaction: discord.Interaction[CrisisBot], value: str) -> str:
        return check_question(value, interaction.client.settings.max_question_chars)


class Day(app_commands.Transformer):
    """A ``YYYY-MM-DD`` date, for the option named ``option`` (``since``/``until``)."""

    def __init__(self, option: str):
        self.option = option

    async def transform(self, interaction: discord.Interaction[CrisisBot], value: str) -> dt.date | None:
        return parse_day(value, f"`{self.option}`")


Question = app_commands.Transform[str, QuestionText]
Since = app_commands.Transform[dt.date, Day("since")]
Until = app_commands.Transform[dt.date, Day("until")]


def day_text(day: dt.date | None) -> str | None:
    """A parsed date as stored with a search (ISO), or None."""
    return day.isoformat() if day else None
