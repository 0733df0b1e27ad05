"""Slash-command options parsed once, at the edge (RoboDanny's ``cogs/utils/time.py`` is the model).

A command receives a checked question and ``datetime.date``s, never strings to re-parse; a bad
value raises the core's own error (``BadQuestion``, ``BadDate``) with a message in the member's
language, which the tree's error handler turns into a short private reply.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.i18n import catalog, text
from index.dates import parse_day
from index.errors import BadDate, BadQuestion
from index.service import check_question

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot


class QuestionText(app_commands.Transformer):
    """A question or query, cleaned and within the configured length (the core's check)."""

    async def transform(self, interaction: discord.Interaction[CrisisBot], value: str) -> str:
        return checked_question(value, interaction.client.settings.max_question_chars, interaction)


def checked_question(value: str, limit: int, locale: object = None) -> str:
    """The core's ``check_question``, its refusal told in the language of ``locale``."""
    try:
        cleaned = check_question(value, sys.maxsize)  # cleans; refuses only what is empty once cleaned
    except BadQuestion:
        raise BadQuestion(text("core.question_empty", locale)) from None
    if len(cleaned) > limit:
        raise BadQuestion(text("core.question_too_long", locale, length=len(cleaned), limit=limit))
    return cleaned


class Day(app_commands.Transformer):
    """A ``YYYY-MM-DD`` date, for the option named ``option`` (``since``/``until``)."""

    def __init__(self, option: str):
        self.option = option

    async def transform(self, interaction: discord.Interaction[CrisisBot], value: str) -> dt.date | None:
        try:
            return parse_day(value, self.option)
        except BadDate:
            shown = " ".join(value.split())[:40]  # escaped with the whole message when it is sent
            option = option_name(interaction, self.option)
            raise BadDate(text("core.bad_date", interaction, option=option, value=shown)) from None


def option_name(interaction: discord.Interaction, option: str) -> str:
    """An option's name as the member sees it (in their language when it is localised)."""
    command = interaction.command
    key = f"commands.{command.qualified_name.replace(' ', '.')}.{option}.name" if command else None
    return text(key, interaction) if key in catalog("en") else option


Question = app_commands.Transform[str, QuestionText]
Since = app_commands.Transform[dt.date, Day("since")]
Until = app_commands.Transform[dt.date, Day("until")]


def day_text(day: dt.date | None) -> str | None:
    """A parsed date as stored with a search (ISO), or None."""
    return day.isoformat() if day else None
