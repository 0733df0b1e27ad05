"""Conversations in Discord threads: /ask opening a thread (a per-server setting), follow-ups there, and /settings.

A thread's conversation is its last ``conversation_turns`` turns (what was asked, what was searched, the
paragraph ids cited), kept in state.sqlite by thread id, so a restart keeps it.  A follow-up is an /ask in a
thread, a message there that mentions the bot, or (with CRISISBOT_READ_MESSAGE_CONTENT, which asks Discord
for the privileged Message Content intent) any member message in a thread the bot opened.  Each is answered
with the earlier turns as context, under the same cooldown as /ask.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import MODERATOR_PERMISSIONS, SERVERS_ONLY, moderator_check
from bot.cogs.moderation import record
from bot.i18n import server_language, text
from bot.options import checked_question
from bot.replies import crisis_message, reply_private
from bot.state import Conversation
from index.conversation import Turn
from index.errors import BadQuestion, CrisisError

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100  # Discord refuses a longer thread name (400 Invalid Form Body)
OPENS_THREADS = "ask_opens_thread"  # the per-server setting's key in state.sqlite
ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)  # not joins, pins, thread starters...


def thread_name(question: str) -> str:
    """The name of a thread opened for ``question``: one line, cut to 100 characters on a word boundary."""
    name = " ".join(render.strip_mentions(question).split())
    return render.truncate(name, THREAD_NAME_MAX) or "?"


class Threads(commands.Cog):
    settings_group = app_commands.Group(
        name="settings", description="How crisisbot behaves in this server (moderators).",
        guild_only=True, allowed_contexts=SERVERS_ONLY, default_permissions=MODERATOR_PERMISSIONS,
    )

    def __init__(self, bot):
        self.bot = bot

    @property
    def keep(self) -> int:
        """How many earlier turns a follow-up is read against (and stored)."""
        return self.bot.settings.conversation_turns

    @staticmethod
    def follows_up_in(channel) -> bool:
        """A thread, or a guild channel the bot has not cached (which is a thread: every other guild
        channel comes with the guild; an archived thread comes back uncached)."""
        return isinstance(channel, discord.Thread) or (isinstance(channel, discord.PartialMessageable) and channel.guild_id is not None)

    async def opens_threads(self, guild_id: int) -> bool:
        return await asyncio.to_thread(self.bot.state.guild_setting, guild_id, OPENS_THREADS) == "on"

    async def turns_before(self, channel) -> list[Turn] | None:
        """The conversation a question in ``channel`` continues: a thread's stored turns, else None."""
        if not self.follows_up_in(channel):
            return None
        return self.recent(await asyncio.to_thread(self.bot.state.conversation, channel.id))

    def recent(self, conversation: Conversation | None) -> list[Turn]:
        """The turns a follow-up is read against: the conversation's last ``keep``, oldest first."""
        return conversation.turns[-self.keep:] if conversation is not None and self.keep else []

    async def remember(self, thread_id: int, turn: Turn, *, opened: bool = False) -> None:
        await asyncio.to_thread(self.bot.state.add_turn, thread_id, turn, keep=self.keep, opened=opened)

    async def after_ask(self, interaction: discord.Interaction, message: discord.Message, turn: Turn) -> None:
        """After a public /ask: a turn of the thread it was asked in, or a new thread from the answer
        when the server has /ask open threads (a failure to open one is said privately; the answer stands)."""
        channel = interaction.channel
        if self.follows_up_in(channel):
            await self.remember(channel.id, turn)
            return
        if interaction.guild is None or not isinstance(channel, discord.TextChannel) or not await self.opens_threads(interaction.guild.id):
            return
        try:
            thread = await message.create_thread(name=thread_name(turn.question))
        except discord.HTTPException as exc:  # Forbidden: no Create Public Threads permission
            log.warning("could not open a thread in channel %s: %s", channel.id, exc)
            await reply_private(interaction, text("threads.cannot_open", interaction))
            return
        await self.remember(thread.id, turn, opened=True)

    # --- follow-ups in threads ---

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message in a thread addressed to the bot (or any, in a thread it opened, when it may read them)."""
        me, channel = self.bot.user, message.channel
        if message.author.bot or me is None or not self.follows_up_in(channel) or message.type not in ANSWERED_TYPES:
            return
        mentioned = any(u.id == me.id for u in message.mentions)
        said = render.strip_mentions(message.content)
        conversation = await asyncio.to_thread(self.bot.state.conversation, channel.id)
        if not mentioned:  # members talking among themselves, a picture, a sticker: not for the bot
            opened = conversation is not None and conversation.opened
            if not (self.bot.settings.read_message_content and opened and said):
                return
        guild = message.guild
        chosen = guild and self.bot.state.guild_language(guild.id)  # a message carries no member language
        language = server_language(chosen, guild and guild.preferred_locale)
        try:
            question = checked_question(said, self.bot.settings.max_question_chars, language)
        except BadQuestion as exc:
            await message.reply(render.escape(str(exc)), mention_author=False)
            return
        ask = self.bot.get_cog("Ask")
        wait = await ask.cooldown_left(message.author.id)
        if wait:
            await message.reply(text("threads.cooldown", language, seconds=max(1, round(wait))), mention_author=False)
            return
        async with channel.typing():
            try:
                embed, view, _, turn = await ask.converse(question, message.author.id, self.recent(conversation),
                                                          language=chosen or None)
            except CrisisError as exc:  # a bad question or a damaged index: say so, as the slash commands do
                log.warning("thread follow-up: %s", exc)
                await message.reply(crisis_message(exc, language), mention_author=False)
                return
        await message.reply(embed=embed, view=view, mention_author=False)
        await self.remember(channel.id, turn)

    # --- /settings threads ---

    @settings_group.command(name="threads", description="Whether /ask in a channel opens a thread for follow-up questions.")
    @app_commands.describe(enabled="True: /ask opens a thread named after the question; False: answers stay in the channel")
    @moderator_check
    async def threads_setting(self, interaction: discord.Interaction, enabled: bool | None = None) -> None:
        guild = interaction.guild
        assert guild is not None  # guild_only
        if enabled is None:
            on = await self.opens_threads(guild.id)
            await reply_private(interaction, text("threads.setting_is_on" if on else "threads.setting_is_off", interaction))
            return
        value = "on" if enabled else "off"
        await asyncio.to_thread(self.bot.state.set_guild_setting, guild.id, OPENS_THREADS, value)
        await reply_private(interaction, text("threads.setting_on" if enabled else "threads.setting_off", interaction))
        await record(self.bot, interaction.user, "settings threads", guild.name, value, True)  # audit log and log channel


async def setup(bot) -> None:
    await bot.add_cog(Threads(bot))
