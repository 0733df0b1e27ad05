"""Buttons under an answer.  Persistent: the custom_id carries the answer id, and the answer
(question, citations) lives in state.sqlite, so they work after a restart (for max_age_days).

Labels are in the asker's language, set when the message is sent; a click is dispatched by its
custom_id alone, so a button rebuilt from one (``from_custom_id``) needs no label of its own."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.i18n import language_of, text
from bot.pages import MoreButton
from bot.replies import Clickable, gone, reply_private, send_messages

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot


async def _stored(interaction: discord.Interaction[CrisisBot], answer_id: str):
    stored = await asyncio.to_thread(interaction.client.state.answer, answer_id)
    if stored is None:
        await reply_private(interaction, gone(interaction, "answer"))
    return stored


class SourcesButton(Clickable, discord.ui.DynamicItem[discord.ui.Button], template=r"crisisbot:sources:(?P<answer_id>[0-9a-f]{1,32})"):
    def __init__(self, answer_id: str, language: str | None = None):
        super().__init__(
            discord.ui.Button(label=text("buttons.show_sources", language), style=discord.ButtonStyle.secondary, custom_id=f"crisisbot:sources:{answer_id}")
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[CrisisBot], item: discord.ui.Button, match: re.Match[str]):
        return cls(match["answer_id"])

    async def clicked(self, interaction: discord.Interaction[CrisisBot]) -> None:
        stored = await _stored(interaction, self.answer_id)
        if stored is None:
            return
        if not stored.citations:
            await reply_private(interaction, text("buttons.no_sources", interaction))
            return
        limit = interaction.client.settings.max_messages_per_click
        await send_messages(interaction, render.source_messages(stored.citations, limit, language_of(interaction)))


class FeedbackButton(Clickable, discord.ui.DynamicItem[discord.ui.Button], template=r"crisisbot:vote:(?P<vote>up|down):(?P<answer_id>[0-9a-f]{1,32})"):
    def __init__(self, vote: str, answer_id: str):
        super().__init__(
            discord.ui.Button(
                emoji="\N{THUMBS UP SIGN}" if vote == "up" else "\N{THUMBS DOWN SIGN}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"crisisbot:vote:{vote}:{answer_id}",
            )
        )
        self.vote, self.answer_id = vote, answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[CrisisBot], item: discord.ui.Button, match: re.Match[str]):
        return cls(match["vote"], match["answer_id"])

    async def clicked(self, interaction: discord.Interaction[CrisisBot]) -> None:
        state = interaction.client.state
        stored = await asyncio.to_thread(state.vote, self.answer_id, interaction.user.id, 1 if self.vote == "up" else -1)
        await reply_private(interaction, text("buttons.thanks", interaction) if stored else gone(interaction, "answer"))


def answer_view(answer_id: str, search_id: str | None, with_sources: bool = True, language: str | None = None) -> discord.ui.View:
    """The buttons under an answer, labelled in ``language``; no "More results" without a stored
    search (a private question)."""
    view = discord.ui.View(timeout=None)
    if with_sources:
        view.add_item(SourcesButton(answer_id, language))
    if search_id is not None:
        view.add_item(MoreButton(search_id, language))
    view.add_item(FeedbackButton("up", answer_id))
    view.add_item(FeedbackButton("down", answer_id))
    return view
