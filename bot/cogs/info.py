"""/about (what the corpus covers) and /help."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs.ask import EVERYWHERE

HELP = (
    "**/ask** `question` `[private]` `[since]` `[until]` — a cited answer from news coverage; "
    "numbers like [1] point to the sources.\n"
    "**/source** `n` — source n of your last answer, in full.\n"
    "**/search** `query` `[since]` `[until]` — the raw passages that best match, five to a page.\n"
    "**/about** — what the corpus covers.\n"
    "**/help** — this message.\n"
    "You can also mention me with a question in a channel.\n"
    "Under an answer: *Show sources* shows the cited paragraphs, *More results* the next passages; "
    "👍/👎 tell us if it helped."
)


class Info(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="about", description="What my sources cover: documents, dates, outlets, model.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def about(self, interaction: discord.Interaction) -> None:
        stats = await asyncio.to_thread(self.bot.service.stats)
        dates = stats.get("date_range") or ()
        outlets = stats.get("outlets") or []
        if isinstance(outlets, dict):
            outlets = list(outlets)
        embed = discord.Embed(title="About crisisbot", colour=render.COLOUR,
                              description="Answers about the Russia-Ukraine crisis, from news coverage, with sources.")
        embed.add_field(name="Documents", value=str(stats.get("documents", 0)))
        embed.add_field(name="Passages", value=str(stats.get("paragraphs", 0)))
        if dates:
            embed.add_field(name="Dates", value=render.escape(" to ".join(str(d) for d in dates if d)) or "unknown")
        embed.add_field(name="Outlets", value=render.truncate(render.escape(", ".join(map(str, outlets))) or "none", 1024), inline=False)
        model = str(stats.get("model", "?")) + (f" ({stats['runtime']})" if stats.get("runtime") else "")
        embed.add_field(name="Model", value=render.escape(model))
        last = stats.get("updated_at") or stats.get("built_at") or "never"
        embed.add_field(name="Last re-index", value=render.escape(str(last)))
        await interaction.response.send_message(embed=render.fit(embed))

    @app_commands.command(name="help", description="How to use crisisbot.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="crisisbot help", description=HELP, colour=render.COLOUR)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot) -> None:
    await bot.add_cog(Info(bot))
