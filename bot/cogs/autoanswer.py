"""/autoanswer: moderators choose forum and help channels where new posts get a cited answer unasked.

A forum post reaches the bot as THREAD_CREATE (``newly_created``; ``on_thread_create``) in a
forum channel, with its starter message (whose id is the thread's) as MESSAGE_CREATE in the
thread.  The question is the post's title, plus the starter message's text when the
privileged message-content intent is on (``read_message_content``); the starter message
also tells whether a bot wrote the post.  In a text channel every new message (not a reply,
not a bot's, not one mentioning the bot: /ask's listener answers those) is answered with a
reply; that needs the message-content intent, as the text is all there is.

An answer is posted only when the evidence is strong: the service did not abstain and its
best passage reaches ``autoanswer_min_evidence`` (stricter than the service's own bar; a
post nobody asked the bot about should not get a weak answer).  Otherwise nothing, or a
short "nothing in my sources" when the moderator chose that.  Each channel gets at most
``autoanswer_per_minute`` messages in any 60 s.  Before sending the bot checks its own
permissions there and skips (with a log line) where it cannot post.  Discord does not hold
bots to slow mode, but in a text channel with slow mode the bot keeps to it anyway (one
answer per interval) unless it has Manage Messages or Manage Channel; a forum post's thread
gets one message from the bot, so slow mode there never comes into play.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import MODERATOR_PERMISSIONS, SERVERS_ONLY, is_moderator
from bot.cogs.moderation import record
from bot.i18n import text
from bot.replies import ClickLimiter
from bot.state import AutoAnswerChannel
from bot.views import answer_view
from index.answer import Answer, evidence
from index.errors import BadQuestion, CrisisError

log = logging.getLogger(__name__)

# What the bot needs to post an answer (an embed with buttons): in a forum post's thread, and as a reply in a channel.
THREAD_NEEDS = ("view_channel", "send_messages_in_threads", "embed_links")
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links", "read_message_history")
AutoAnswerable = discord.ForumChannel | discord.TextChannel
CHANNELS_TTL_SECONDS = 30.0  # the auto-answered channels are re-read this often (another process may change them)
STARTER_WAIT_SECONDS = 2.0  # how long a new post's starter message may lag its THREAD_CREATE before it is fetched
DELETED_BY = "discord"  # the audit actor when a deleted channel stops being auto-answered


def _check(interaction: discord.Interaction) -> bool:
    if not is_moderator(interaction):
        raise app_commands.CheckFailure(text("autoanswer.refused", interaction))
    return True


moderators = app_commands.check(_check)


def missing_permissions(channel: discord.abc.GuildChannel | discord.Thread, me: discord.Member) -> list[str]:
    """The permissions the bot lacks to post an answer in ``channel`` (a forum's: in its posts), as Discord names them."""
    needs = THREAD_NEEDS if isinstance(channel, discord.Thread | discord.ForumChannel) else CHANNEL_NEEDS
    granted = channel.permissions_for(me)
    return [name.replace("_", " ").title() for name in needs if not getattr(granted, name)]


def strength(answer: Answer, coverage_weight: float) -> float:
    """The evidence behind an answer: its best passage's; 0 when the service abstained."""
    if answer.abstained or not answer.citations or not answer.passages:
        return 0.0
    return max(evidence(p, coverage_weight) for p in answer.passages)


def post_question(title: str, body: str, limit: int) -> str:
    """What a post asks: its title, then its text (when the bot may read it), cut to ``limit`` characters."""
    return "\n".join(part for part in (title.strip(), body.strip()) if part)[:limit].strip()


class AutoAnswer(commands.Cog):
    autoanswer = app_commands.Group(
        name="autoanswer", description="Channels where I answer new posts without being asked (moderators).",
        guild_only=True, allowed_contexts=SERVERS_ONLY, default_permissions=MODERATOR_PERMISSIONS,
    )

    def __init__(self, bot):
        self.bot = bot
        self.channels: dict[int, AutoAnswerChannel] = {}  # channel id -> its settings, as last read from the state
        self.limiter = ClickLimiter(bot.settings.autoanswer_per_minute)  # keyed by channel id
        self._last_sent: dict[int, float] = {}  # text channel id -> when the bot last answered there (slow mode)
        self._read_at = -float("inf")  # when self.channels was read from the state
        self.channels_ttl = CHANNELS_TTL_SECONDS

    async def cog_load(self) -> None:
        await self.current_channels()

    async def current_channels(self) -> dict[int, AutoAnswerChannel]:
        """The auto-answered channels by id: as this process last read them, re-read every ``channels_ttl`` seconds
        (with several processes behind one database, another may have added or removed one)."""
        now = time.monotonic()
        if now - self._read_at >= self.channels_ttl:
            rows = await asyncio.to_thread(self.bot.state.autoanswer_channels)
            self.channels, self._read_at = {row.channel_id: row for row in rows}, now
        return self.channels

    # --- /autoanswer add, remove, list ---------------------------------------------------

    @autoanswer.command(name="add", description="Answer new posts in a forum (optionally only with a tag) or new messages in a text channel.")
    @app_commands.describe(channel="A forum channel, or a text channel", tag="Only forum posts with this tag (start typing it)",
                           say_nothing_found="Post a short 'nothing in my sources' instead of staying silent")
    @moderators
    async def add(self, interaction: discord.Interaction, channel: AutoAnswerable, tag: str | None = None,
                  say_nothing_found: bool = False) -> None:
        locale, where = interaction, channel.mention
        chosen: discord.ForumTag | None = None
        problem = None
        if isinstance(channel, discord.TextChannel):
            if tag:
                problem = text("autoanswer.tag_in_text", locale)
            elif not self.bot.settings.read_message_content:
                problem = text("autoanswer.needs_content", locale)
        elif tag:
            wanted = tag.strip().casefold()
            chosen = next((t for t in channel.available_tags if str(t.id) == tag.strip() or t.name.casefold() == wanted), None)
            if chosen is None:
                problem = text("autoanswer.unknown_tag", locale, channel=where, tag=render.code(tag, 80))
        target = f"#{channel.name} ({channel.id})"
        if problem:
            await record(self.bot, interaction.user, "autoanswer add", target, problem, False)
            await interaction.response.send_message(problem, ephemeral=True)
            return
        entry = await asyncio.to_thread(self.bot.state.set_autoanswer, channel.guild.id, channel.id,
                                        tag_id=chosen.id if chosen else None, say_nothing_found=say_nothing_found,
                                        added_by=interaction.user.id)
        self.channels[channel.id] = entry
        lines = [text("autoanswer.added_text", locale, channel=where) if isinstance(channel, discord.TextChannel)
                 else text("autoanswer.added_forum_tag", locale, channel=where, tag=render.escape(chosen.name)) if chosen
                 else text("autoanswer.added_forum", locale, channel=where)]
        if isinstance(channel, discord.ForumChannel) and not self.bot.settings.read_message_content:
            lines.append(text("autoanswer.added_title_only", locale))
        lines.append(text("autoanswer.added_say_nothing" if say_nothing_found else "autoanswer.added_silent", locale))
        missing = missing_permissions(channel, channel.guild.me)
        if missing:
            lines.append(text("autoanswer.cannot_send", locale, missing=", ".join(missing)))
        kind = "text channel" if isinstance(channel, discord.TextChannel) else "forum"
        parts = [kind, f"only posts tagged {chosen.name}" if chosen else "every post",
                 "says when nothing is found" if say_nothing_found else "silent when nothing is found"]
        if missing:
            parts.append("missing permissions: " + ", ".join(missing))
        summary = ", ".join(parts)
        await record(self.bot, interaction.user, "autoanswer add", target, summary, True)
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @add.autocomplete("tag")
    async def tag_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction) or interaction.guild is None:
            return []
        chosen = getattr(interaction.namespace, "channel", None)
        forum = interaction.guild.get_channel(chosen.id) if chosen is not None else None
        if not isinstance(forum, discord.ForumChannel):
            return []
        needle = current.casefold().strip()
        return [app_commands.Choice(name=render.label(t.name, 100), value=str(t.id))
                for t in forum.available_tags if needle in t.name.casefold()][:25]

    @autoanswer.command(name="remove", description="Stop answering new posts in a channel.")
    @app_commands.describe(channel="The auto-answered channel")
    @moderators
    async def remove(self, interaction: discord.Interaction, channel: AutoAnswerable) -> None:
        removed = await asyncio.to_thread(self.bot.state.remove_autoanswer, channel.guild.id, channel.id)
        self.channels.pop(channel.id, None)
        key = "autoanswer.removed" if removed else "autoanswer.not_set"
        summary = "stopped auto-answering" if removed else "was not auto-answered"
        await record(self.bot, interaction.user, "autoanswer remove", f"#{channel.name} ({channel.id})", summary, removed)
        await interaction.response.send_message(text(key, interaction, channel=channel.mention), ephemeral=True)

    @autoanswer.command(name="list", description="The channels where I answer new posts.")
    @moderators
    async def list_channels(self, interaction: discord.Interaction) -> None:
        locale, guild = interaction, interaction.guild
        rows = await asyncio.to_thread(self.bot.state.autoanswer_channels, guild.id)
        lines = []
        for row in rows:
            channel = guild.get_channel(row.channel_id)
            tag = channel.get_tag(row.tag_id) if isinstance(channel, discord.ForumChannel) and row.tag_id else None
            which = (text("autoanswer.list_tag", locale, tag=render.escape(tag.name) if tag else f"`{row.tag_id}`")
                     if row.tag_id else text("autoanswer.list_every_post", locale))
            nothing = text("autoanswer.list_say_nothing" if row.say_nothing_found else "autoanswer.list_silent", locale)
            added = text("autoanswer.list_added", locale, when=f"<t:{int(row.added)}:R>")
            lines.append(f"<#{row.channel_id}> · {which} · {nothing} · {added}")
        embed = discord.Embed(title=text("autoanswer.list_title", locale, count=len(rows)), colour=render.COLOUR,
                              description=render.truncate("\n".join(lines) or text("autoanswer.list_empty", locale),
                                                          render.DESCRIPTION_MAX))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- the listeners ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A new forum post: answer it in its thread when its forum is auto-answered (and the post has the tag)."""
        config = (await self.current_channels()).get(thread.parent_id or 0)
        if config is None or not isinstance(thread.parent, discord.ForumChannel) or thread.guild.id != config.guild_id:
            return
        if config.tag_id is not None and all(t.id != config.tag_id for t in thread.applied_tags):
            log.debug("auto-answer: post %s lacks tag %s", thread.id, config.tag_id)
            return
        me = self.bot.user
        if me is not None and thread.owner_id == me.id:
            return
        starter = await self.starter_message(thread)
        owner = starter.author if starter is not None else thread.guild.get_member(thread.owner_id or 0)
        if owner is not None and owner.bot:
            return
        body = starter.content if starter is not None and self.bot.settings.read_message_content else ""
        await self.answer(thread, post_question(thread.name, body, self.bot.settings.max_question_chars), config)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A new message in an auto-answered text channel: answer it with a reply."""
        if message.guild is None or not isinstance(message.channel, discord.TextChannel):
            return
        config = (await self.current_channels()).get(message.channel.id)
        if config is None or config.guild_id != message.guild.id or not self.bot.settings.read_message_content:
            return
        me = self.bot.user
        if message.author.bot or message.webhook_id or message.type is not discord.MessageType.default:
            return
        if me is not None and any(u.id == me.id for u in message.mentions):
            return  # /ask's listener answers a mention
        question = post_question("", message.content, self.bot.settings.max_question_chars)
        if question:
            await self.answer(message.channel, question, config, reply_to=message)

    async def starter_message(self, thread: discord.Thread) -> discord.Message | None:
        """The post's first message: from the gateway (it follows THREAD_CREATE), else fetched; None if unreadable."""
        if thread.starter_message is not None:
            return thread.starter_message
        try:
            return await self.bot.wait_for("message", check=lambda m: m.id == thread.id, timeout=STARTER_WAIT_SECONDS)
        except asyncio.TimeoutError:
            pass
        try:
            return await thread.fetch_message(thread.id)
        except discord.HTTPException as exc:  # cannot read it: judged by its owner alone, titled by its name
            log.info("auto-answer: no starter message for post %s (%s); reading its title only", thread.id, exc)
            return None

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A deleted channel is no longer auto-answered (and /autoanswer remove could not name it)."""
        if channel.id in self.channels:
            await asyncio.to_thread(self.bot.state.remove_autoanswer, channel.guild.id, channel.id)
            self.channels.pop(channel.id, None)
            await record(self.bot, DELETED_BY, "autoanswer remove", f"#{channel.name} ({channel.id})", "the channel was deleted", True)

    # --- answering -------------------------------------------------------------------------

    def cannot_send(self, channel: discord.Thread | discord.TextChannel) -> str | None:
        """Why the bot may not post in ``channel`` now (permissions, slow mode), or None."""
        me = channel.guild.me
        if me is None:
            return "the bot's member is not cached"
        missing = missing_permissions(channel, me)
        if missing:
            return f"missing permissions: {', '.join(missing)}"
        delay = getattr(channel, "slowmode_delay", 0)
        if isinstance(channel, discord.TextChannel) and delay:
            granted = channel.permissions_for(me)
            since = time.monotonic() - self._last_sent.get(channel.id, -1e9)
            if not (granted.manage_messages or granted.manage_channels) and since < delay:
                return f"slow mode: {delay} s between messages, last answer {since:.0f} s ago"
        return None

    async def answer(self, channel: discord.Thread | discord.TextChannel, question: str, config: AutoAnswerChannel,
                     *, reply_to: discord.Message | None = None) -> None:
        where = f"#{channel.name} ({channel.id})"
        problem = self.cannot_send(channel)
        if problem:
            log.warning("auto-answer: not answering in %s: %s", where, problem)
            return
        try:
            answer, turn = await asyncio.to_thread(self.bot.service.converse, question)
        except BadQuestion as exc:
            log.info("auto-answer: not a question in %s: %s", where, exc)
            return
        except CrisisError as exc:
            log.warning("auto-answer: not answering in %s: %s", where, exc)
            return
        score = strength(answer, self.bot.service.settings.evidence_coverage_weight)
        strong = score >= self.bot.settings.autoanswer_min_evidence
        if not strong and not config.say_nothing_found:
            why = answer.reason if answer.abstained else f"evidence {score:.2f} below {self.bot.settings.autoanswer_min_evidence:.2f}"
            log.info("auto-answer: nothing strong enough for %s (%s)", where, why)
            return
        wait = self.limiter.wait(config.channel_id)
        if wait:
            log.info("auto-answer: rate limit in %s (%d a minute); not answering for %d s",
                     where, self.bot.settings.autoanswer_per_minute, wait)
            return
        message: dict = {}
        answer_id = None
        if strong:
            answer_id = await asyncio.to_thread(self.bot.state.save_answer, answer.question, answer.citations)
            message = {"embed": render.answer_embed(answer), "view": answer_view(answer_id, None)}
        else:
            message = {"content": text("autoanswer.nothing_found", answer.language)}
        try:
            if reply_to is not None:
                await reply_to.reply(mention_author=False, **message)
            else:
                await channel.send(**message)
        except discord.HTTPException as exc:
            log.warning("auto-answer: Discord refused the answer in %s: %s", where, exc)
            return
        if isinstance(channel, discord.TextChannel):
            self._last_sent[channel.id] = time.monotonic()
        await asyncio.to_thread(self.remember, channel, answer, answer_id, turn if strong else None)
        log.info("auto-answer: %s in %s (evidence %.2f)", "answered" if strong else "nothing found", where, score)

    def remember(self, channel: discord.Thread | discord.TextChannel, answer: Answer, answer_id: str | None, turn) -> None:
        """An auto-answer counts in /insights; a forum post's answer starts its conversation, so a member who
        mentions the bot there with a follow-up ("and how did Russia respond?") is read against the post."""
        self.bot.state.record_asked(answer, answer_id, guild_id=channel.guild.id)
        if turn is not None and isinstance(channel, discord.Thread):
            self.bot.state.add_turn(channel.id, turn, keep=self.bot.settings.conversation_turns)


async def setup(bot) -> None:
    await bot.add_cog(AutoAnswer(bot))
