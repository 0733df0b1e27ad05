"""/ask, /source and mentions: a cited answer from the corpus, with buttons for sources, more results and feedback."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.pages import BadDate, parse_day
from bot.replies import crisis_message, send_messages
from bot.state import StoredCitation
from bot.views import answer_view
from index.errors import CrisisError
from index.service import BadQuestion

log = logging.getLogger(__name__)
EVERYWHERE = {"guilds": True, "dms": True, "private_channels": True}


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

    async def answer(self, question: str, user_id: int, since: str | None = None, until: str | None = None,
                     *, private: bool = False):
        """The answer embed and its buttons; remembers the answer for the buttons and /source.

        A private question's text is not stored, so its answer has no "More results" (that re-runs the question).
        """
        answer = await asyncio.to_thread(
            self.bot.service.ask, question, since=parse_day(since, "since"), until=parse_day(until, "until")
        )
        embed = render.answer_embed(answer)
        citations = [
            StoredCitation(c.n, c.title, c.url, c.date, c.source, c.text, c.paragraph_id) for c in answer.citations
        ]
        state = self.bot.state
        answer_id = await asyncio.to_thread(state.save_answer, answer.question, citations, private=private)
        search_id = None if private else await asyncio.to_thread(
            state.save_search, answer.question, user_id, since=since, until=until, exclude=[c.paragraph_id for c in citations]
        )
        if citations:
            await asyncio.to_thread(state.remember_last, user_id, answer_id)
        return embed, answer_view(answer_id, search_id, with_sources=bool(citations))

    @app_commands.command(name="ask", description="Ask a question about the Russia-Ukraine crisis; answered from news coverage with sources.")
    @app_commands.describe(
        question="Your question (up to 500 characters)",
        private="Only you see the answer",
        since="Only sources from this date on (YYYY-MM-DD)",
        until="Only sources up to this date (YYYY-MM-DD)",
    )
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False,
                  since: str | None = None, until: str | None = None) -> None:
        problem = self.check_question(question)
        if problem is None:
            try:
                parse_day(since, "since"), parse_day(until, "until")
            except BadDate as exc:
                problem = str(exc)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        wait = self.cooldown_left(interaction.user.id)
        if wait:
            await interaction.response.send_message(
                f"You're asking quickly: try again in {max(1, round(wait))} s.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            embed, view = await self.answer(question, interaction.user.id, since, until, private=private)
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)))
            return
        await interaction.edit_original_response(embed=embed, view=view)

    @app_commands.command(name="source", description="Show source n of your last answer in full.")
    @app_commands.describe(n="The number of the source, as in [n]")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def source(self, interaction: discord.Interaction, n: app_commands.Range[int, 1, 25]) -> None:
        stored = await asyncio.to_thread(self.bot.state.last_answer, interaction.user.id)
        if stored is None:
            text = "You have no answer with sources yet: ask one with /ask."
            await interaction.response.send_message(text, ephemeral=True)
            return
        cited = [c for c in stored.citations if c.n == n]
        if not cited:
            text = f"Your last answer has sources 1 to {len(stored.citations)}."
            await interaction.response.send_message(text, ephemeral=True)
            return
        await send_messages(interaction, render.source_messages(cited, self.bot.settings.max_messages_per_click))

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
            await message.reply(problem, mention_author=False)
            return
        async with message.channel.typing():
            try:
                embed, view = await self.answer(question, message.author.id)
            except BadQuestion as exc:
                await message.reply(render.escape(str(exc)), mention_author=False)
                return
            except CrisisError as exc:  # e.g. a damaged index: say so, as the slash commands do
                log.warning("mention: %s", exc)
                await message.reply(crisis_message(exc), mention_author=False)
                return
        await message.reply(embed=embed, view=view, mention_author=False)


async def setup(bot) -> None:
    await bot.add_cog(Ask(bot))
