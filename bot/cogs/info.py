"""/about (what the corpus covers) and /help."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs.ask import EVERYWHERE
from bot.i18n import text


class Info(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="about", description="What my sources cover: documents, dates, outlets, model.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def about(self, interaction: discord.Interaction) -> None:
        stats = await asyncio.to_thread(self.bot.service.stats)
        dates = [str(d) for d in stats.get("date_range") or () if d]
        outlets = stats.get("outlets") or []
        if isinstance(outlets, dict):
            outlets = list(outlets)
        embed = discord.Embed(title=text("info.about_title", interaction), colour=render.COLOUR,
                              description=text("info.about_description", interaction))
        embed.add_field(name=text("info.documents", interaction), value=str(stats.get("documents", 0)))
        embed.add_field(name=text("info.passages", interaction), value=str(stats.get("paragraphs", 0)))
        if dates:
            span = text("info.date_span", interaction, first=dates[0], last=dates[-1]) if len(dates) > 1 else dates[0]
            embed.add_field(name=text("info.dates", interaction), value=render.escape(span))
        listed = render.truncate(render.escape(", ".join(map(str, outlets))), 1024) or text("info.no_outlets", interaction)
        embed.add_field(name=text("info.outlets", interaction), value=listed, inline=False)
        model = str(stats.get("model", "?")) + (f" ({stats['runtime']})" if stats.get("runtime") else "")
        embed.add_field(name=text("info.model", interaction), value=render.escape(model))
        last = stats.get("updated_at") or stats.get("built_at")
        embed.add_field(name=text("info.last_reindex", interaction),
                        value=render.escape(str(last)) if last else text("info.never", interaction))
        await interaction.response.send_message(embed=render.fit(embed))

    @app_commands.command(name="help", description="How to use crisisbot.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title=text("info.help_title", interaction), description=text("info.help", interaction),
                              colour=render.COLOUR)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot) -> None:
    await bot.add_cog(Info(bot))
