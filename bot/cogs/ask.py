"""/ask and mentions: a cited answer from the corpus, with buttons for sources and feedback."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import AllowedMentions, app_commands
from discord.ext import commands

from bot import render
from bot.state import StoredCitation
from bot.views import answer_view
from index.service import BadQuestion

log = logging.getLogger(__name__)
NONE = AllowedMentions.none()


class Ask(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        self._last_ask: dict[int, float] = {}

    def check_question(self, question: str) -> str | None:
        """An error message for a question we will not run, else None."""
        if not question or not question.strip():
            return "Please ask a question: it was empty."
        limit = self.bot.settings.max_question_chars
        if len(question) > limit:
            return f"That question is {len(question)} characters; the limit is {limit}."
        return None

    def cooldown_left(self, user_id: int) -> float:
        """Seconds the user must still wait; 0 records this ask."""
        now = time.monotonic()
        wait = self.bot.settings.ask_cooldown_seconds - (now - self._last_ask.get(user_id, -1e9))
        if wait > 0:
            return wait
        self._last_ask[user_id] = now
        return 0.0

    async def answer(self, question: str) -> tuple[discord.Embed, discord.ui.View | None]:
        answer = await asyncio.to_thread(self.bot.service.ask, question)
        embed = render.answer_embed(answer)
        citations = [
            StoredCitation(c.n, c.title, c.url, c.date, c.source, c.text, c.paragraph_id) for c in answer.citations
        ]
        answer_id = await asyncio.to_thread(self.bot.state.save_answer, answer.question, citations)
        return embed, answer_view(answer_id, with_sources=bool(citations))

    @app_commands.command(name="ask", description="Ask a question about the Russia-Ukraine crisis; answered from news coverage with sources.")
    @app_commands.describe(question="Your question (up to 500 characters)", private="Only you see the answer")
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        problem = self.check_question(question)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True, allowed_mentions=NONE)
            return
        wait = self.cooldown_left(interaction.user.id)
        if wait:
            await interaction.response.send_message(
                f"You're asking quickly: try again in {max(1, round(wait))} s.", ephemeral=True, allowed_mentions=NONE
            )
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            embed, view = await self.answer(question)
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)), allowed_mentions=NONE)
            return
        await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NONE)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a channel message that mentions the bot (no message-content intent needed)."""
        me = self.bot.user
        if message.author.bot or me is None or not any(u.id == me.id for u in message.mentions):
            return
        question = render.strip_mentions(message.content)
        problem = self.check_question(question)
        if problem is None:
            wait = self.cooldown_left(message.author.id)
            if wait:
                problem = f"You're asking quickly: try again in {max(1, round(wait))} s."
        if problem:
            await message.reply(problem, allowed_mentions=NONE, mention_author=False)
            return
        async with message.channel.typing():
            try:
                embed, view = await self.answer(question)
            except BadQuestion as exc:
                await message.reply(render.escape(str(exc)), allowed_mentions=NONE, mention_author=False)
                return
        await message.reply(embed=embed, view=view, allowed_mentions=NONE, mention_author=False)


async def setup(bot) -> None:
    await bot.add_cog(Ask(bot))
