"""'Ask crisisbot about this message': a message's text checked as a claim against the sources, privately.

The message's text (mentions stripped; a long one cut to its first sentences within
``max_question_chars``) is asked like /ask.  The reply, only for the member who asked, says
plainly whether any passage supports it.  discord.py cannot take a context menu as a cog method,
so the cog adds its ``ContextMenu`` to the tree when loaded and removes it when unloaded.
"""

from __future__ import annotations

import re
import sys

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.i18n import language_of, text
from bot.replies import reply_private
from index.errors import BadQuestion
from index.service import check_question

MENU_NAME = "Ask crisisbot about this message"  # 32 characters: Discord's longest context menu name
EVERYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")  # where a message's sentences part (the core's splitter is not public)


class UncheckableClaim(ValueError):
    """A message with no text to check, or whose first sentence alone is over the limit; ``key`` says which."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def claim_question(content: str, limit: int) -> str:
    """A message's text as a question: cleaned as questions are, mentions stripped, and when longer
    than ``limit`` cut to as many of its first sentences as fit."""
    try:
        claim = check_question(" ".join(render.strip_mentions(content or "").split()), sys.maxsize)
    except BadQuestion:
        raise UncheckableClaim("threads.claim_no_text") from None
    if len(claim) <= limit:
        return claim
    kept = ""
    for sentence in SENTENCE_END.split(claim):
        longer = f"{kept} {sentence}".strip()
        if len(longer) > limit:
            break
        kept = longer
    if not kept:
        raise UncheckableClaim("threads.claim_too_long")
    return kept


class AskAboutMessage(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        name = app_commands.locale_str(MENU_NAME, key="threads.menu_name")  # Ukrainian and Russian names from the catalogs
        self.menu = app_commands.ContextMenu(name=name, callback=self.ask_about, allowed_contexts=EVERYWHERE)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def ask_about(self, interaction: discord.Interaction, message: discord.Message) -> None:
        limit = self.bot.settings.max_question_chars
        try:
            question = claim_question(message.content, limit)
        except UncheckableClaim as exc:
            await reply_private(interaction, text(exc.key, interaction, limit=limit))
            return
        ask = self.bot.get_cog("Ask")
        wait = await ask.cooldown_left(interaction.user.id)
        if wait:
            await reply_private(interaction, text("threads.cooldown", interaction, seconds=max(1, round(wait))))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view, answer, _ = await ask.converse(question, interaction.user.id, None, private=True,
                                                    language=language_of(interaction))
        header = text("threads.claim_unsupported" if answer.abstained else "threads.claim_supported", interaction)
        await interaction.edit_original_response(content=header, embed=embed, view=view)


async def setup(bot) -> None:
    await bot.add_cog(AskAboutMessage(bot))
