"""/ask, /source and mentions: a cited answer from the corpus, with buttons for sources, more results and feedback."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.i18n import language_of, server_language, text
from bot.options import Question, Since, Until, checked_question, day_text
from bot.replies import crisis_message, send_messages
from bot.views import answer_view
from index.conversation import Turn
from index.errors import BadQuestion, CrisisError

log = logging.getLogger(__name__)
EVERYWHERE = {"guilds": True, "dms": True, "private_channels": True}


class Ask(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    async def cooldown_left(self, user_id: int) -> float:
        """Seconds the user must still wait; 0 records this ask (in the state: shared by every process of the bot)."""
        seconds = self.bot.settings.ask_cooldown_seconds
        return await asyncio.to_thread(self.bot.state.cooldown, user_id, "ask", seconds) if seconds > 0 else 0.0

    async def answer(self, question: str, user_id: int, since: dt.date | None = None, until: dt.date | None = None,
                     *, private: bool = False, language: str | None = None):
        """The answer embed and its buttons (labelled in ``language``, else the question's); remembers the
        answer for the buttons and /source.

        One hop off the event loop: the answer and everything stored for its buttons.
        A private question's text is not stored, so its answer has no "More results" (that re-runs the question).
        """
        embed, view, _, _ = await self.converse(question, user_id, None, since, until, private=private, language=language)
        return embed, view

    async def converse(self, question: str, user_id: int, turns: Sequence[Turn] | None, since: dt.date | None = None,
                       until: dt.date | None = None, *, private: bool = False, language: str | None = None):
        """``answer`` read against a conversation's earlier ``turns`` (oldest first; None: no conversation).

        Returns the embed, its buttons, the ``Answer`` and the ``Turn`` to keep for the next question.
        """
        answer, answer_id, search_id, turn = await asyncio.to_thread(
            self._answer_and_store, question, user_id, since, until, private, turns)
        view = answer_view(answer_id, search_id, with_sources=bool(answer.citations), language=language or answer.language)
        return render.answer_embed(answer), view, answer, turn

    def _answer_and_store(self, question: str, user_id: int, since: dt.date | None, until: dt.date | None, private: bool,
                          turns: Sequence[Turn] | None = None):
        if turns is None:
            answer = self.bot.service.ask(question, since=since, until=until)
            turn = Turn(answer.question, answer.question, tuple(c.paragraph_id for c in answer.citations))
        else:
            answer, turn = self.bot.service.converse(question, turns, since=since, until=until)
        state = self.bot.state
        answer_id = state.save_answer(answer.question, answer.citations, private=private)
        state.record_asked(answer, answer_id, private=private)  # for /insights: no user id
        search_id = None if private else state.save_search(
            answer.question, user_id, since=day_text(since), until=day_text(until), exclude=[c.paragraph_id for c in answer.citations]
        )
        if answer.citations:
            state.remember_last(user_id, answer_id)
        return answer, answer_id, search_id, turn

    @app_commands.command(name="ask", description="Ask a question about the Russia-Ukraine crisis; answered from news coverage with sources.")
    @app_commands.describe(
        question="Your question, in English, Ukrainian or Russian; a time in it (\"in March 2022\") is searched",
        private="Only you see the answer",
        since="Only sources from this date on (YYYY-MM-DD)",
        until="Only sources up to this date (YYYY-MM-DD)",
    )
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def ask(self, interaction: discord.Interaction, question: Question, private: bool = False,
                  since: Since = None, until: Until = None) -> None:
        wait = await self.cooldown_left(interaction.user.id)
        if wait:
            await interaction.response.send_message(
                text("ask.cooldown", interaction, seconds=max(1, round(wait))), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        threads = self.bot.get_cog("Threads")  # in a thread: the thread's conversation (bot/cogs/threads.py)
        turns = await threads.turns_before(interaction.channel) if threads is not None else None
        try:
            embed, view, _, turn = await self.converse(question, interaction.user.id, turns, since, until, private=private,
                                                       language=language_of(interaction))
        except BadQuestion as exc:
            await interaction.edit_original_response(content=render.escape(str(exc)))
            return
        message = await interaction.edit_original_response(embed=embed, view=view)
        if threads is not None and not private:
            await threads.after_ask(interaction, message, turn)

    @app_commands.command(name="source", description="Show source n of your last answer in full.")
    @app_commands.describe(n="The number of the source, as in [n]")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def source(self, interaction: discord.Interaction, n: app_commands.Range[int, 1, 25]) -> None:
        stored = await asyncio.to_thread(self.bot.state.last_answer, interaction.user.id)
        if stored is None:
            await interaction.response.send_message(text("ask.no_answer_yet", interaction), ephemeral=True)
            return
        cited = [c for c in stored.citations if c.n == n]
        if not cited:
            await interaction.response.send_message(text("ask.source_range", interaction, last=len(stored.citations)),
                                                    ephemeral=True)
            return
        limit = self.bot.settings.max_messages_per_click
        await send_messages(interaction, render.source_messages(cited, limit, language_of(interaction)))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a channel message that mentions the bot (no message-content intent needed)."""
        me = self.bot.user
        if message.author.bot or me is None or not any(u.id == me.id for u in message.mentions):
            return
        threads = self.bot.get_cog("Threads")
        if threads is not None and threads.follows_up_in(message.channel):
            return  # a follow-up in a thread's conversation: bot/cogs/threads.py answers it
        guild = message.guild
        chosen = guild and self.bot.state.guild_language(guild.id)  # a mention carries no member language
        language = server_language(chosen, guild and guild.preferred_locale)
        try:
            question = checked_question(render.strip_mentions(message.content), self.bot.settings.max_question_chars, language)
        except BadQuestion as exc:
            await message.reply(render.escape(str(exc)), mention_author=False)
            return
        wait = await self.cooldown_left(message.author.id)
        if wait:
            await message.reply(text("ask.cooldown", language, seconds=max(1, round(wait))), mention_author=False)
            return
        async with message.channel.typing():
            try:
                embed, view = await self.answer(question, message.author.id, language=chosen or None)
            except BadQuestion as exc:
                await message.reply(render.escape(str(exc)), mention_author=False)
                return
            except CrisisError as exc:  # e.g. a damaged index: say so, as the slash commands do
                log.warning("mention: %s", exc)
                await message.reply(crisis_message(exc, language), mention_author=False)
                return
        await message.reply(embed=embed, view=view, mention_author=False)


async def setup(bot) -> None:
    await bot.add_cog(Ask(bot))
