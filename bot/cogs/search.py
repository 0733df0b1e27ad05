"""/search: the raw passages that best match a query, five to a page."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs.ask import EVERYWHERE
from bot.options import Question, Since, Until, day_text
from bot.pages import search_page
from index.errors import BadQuestion


class Search(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="search", description="The passages from my sources that best match a query.")
    @app_commands.describe(
        query="What to look for",
        since="Only sources from this date on (YYYY-MM-DD)",
        until="Only sources up to this date (YYYY-MM-DD)",
    )
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def search(self, interaction: discord.Interaction, query: Question, since: Since = None, until: Until = None) -> None:
        await interaction.response.defer(thinking=True)
        search_id = await asyncio.to_thread(
            self.bot.state.save_search, query, interaction.user.id, since=day_text(since), until=day_text(until)
        )
        stored = await asyncio.to_thread(self.bot.state.search, search_id)
        try:
            embed, view = await search_page(self.bot, stored, 0, interaction)
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)))
            return
        await interaction.edit_original_response(embed=embed, view=view)


async def setup(bot) -> None:
    await bot.add_cog(Search(bot))
