"""/language: moderators choose the language the bot speaks in their server by default.

A member's own Discord language comes first when the bot speaks it (English, Ukrainian,
Russian); the server's default is for members whose Discord language is another one, and
for mentions (which carry no member language).  Without one, Discord's server locale counts,
then English.  The choice is kept in state.sqlite and audited.
"""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from bot.cogs.moderation import record
from bot.i18n import supported_language, text

CHOICES = [
    app_commands.Choice(name="English", value="en"),
    app_commands.Choice(name="Ukrainian", value="uk"),
    app_commands.Choice(name="Russian", value="ru"),
    app_commands.Choice(name="Server's Discord language", value="auto"),
]


class Language(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    async def cog_load(self) -> None:
        await asyncio.to_thread(self.bot.state.guild_language, 0)  # read the stored choices off the event loop

    @app_commands.command(name="language", description="The language I answer in on this server by default (moderators).")
    @app_commands.describe(language="The new default; leave empty to see the current one")
    @app_commands.choices(language=CHOICES)
    @moderator_only()
    async def language(self, interaction: discord.Interaction, language: app_commands.Choice[str] | None = None) -> None:
        state = self.bot.state
        if language is None:
            current = state.guild_language(interaction.guild_id)
            reply = (text("language.current", interaction, language=text(f"language.name.{current}", interaction))
                     if current else text("language.current_auto", interaction))
            await interaction.response.send_message(reply, ephemeral=True)
            return
        chosen = supported_language(language.value)
        await asyncio.to_thread(state.set_guild_language, interaction.guild_id, chosen)
        reply = (text("language.set", interaction, language=text(f"language.name.{chosen}", interaction))
                 if chosen else text("language.cleared", interaction))
        await interaction.response.send_message(reply, ephemeral=True)
        await record(self.bot, interaction.user, "language", str(interaction.guild_id), chosen or "auto", True)


async def setup(bot) -> None:
    await bot.add_cog(Language(bot))
