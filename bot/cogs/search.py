"""/search: the raw passages that best match a query, five to a page."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs.ask import EVERYWHERE
from bot.pages import BadDate, parse_day, search_page
from index.service import BadQuestion



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
    async def search(self, interaction: discord.Interaction, query: str, since: str | None = None, until: str | None = None) -> None:
        limit = self.bot.settings.max_question_chars
        problem = None if query.strip() and len(query) <= limit else f"Give a query of 1 to {limit} characters."
        try:
            parse_day(since, "since"), parse_day(until, "until")
        except BadDate as exc:
            problem = problem or str(exc)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        search_id = await asyncio.to_thread(self.bot.state.save_search, query, interaction.user.id, since=since, until=until)
        stored = await asyncio.to_thread(self.bot.state.search, search_id)
        try:
            embed, view = await search_page(self.bot, stored, 0)
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)))
            return
        await interaction.edit_original_response(embed=embed, view=view)


async def setup(bot) -> None:
    await bot.add_cog(Search(bot))
