"""/search: the raw passages that best match a query."""

from __future__ import annotations

import asyncio

import discord
from discord import AllowedMentions, app_commands
from discord.ext import commands

from bot import render
from index.service import BadQuestion

NONE = AllowedMentions.none()


class Search(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="search", description="The passages from my sources that best match a query.")
    @app_commands.describe(query="What to look for")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        if not query.strip() or len(query) > self.bot.settings.max_question_chars:
            await interaction.response.send_message(
                f"Give a query of 1 to {self.bot.settings.max_question_chars} characters.", ephemeral=True, allowed_mentions=NONE
            )
            return
        await interaction.response.defer(thinking=True)
        try:
            passages = await asyncio.to_thread(self.bot.service.search, query, 5)
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)), allowed_mentions=NONE)
            return
        await interaction.edit_original_response(embed=render.passages_embed(query, passages), allowed_mentions=NONE)


async def setup(bot) -> None:
    await bot.add_cog(Search(bot))
