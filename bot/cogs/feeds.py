"""/feeds: moderators subscribe the bot to news feeds and sitemaps, and a background task polls them.

Each subscription is polled on its own schedule (index/feeds.py); this cog only looks, every
``feeds_tick_seconds``, for those that are due.  A poll's fetching is asynchronous and its index
write runs in a worker thread, so the event loop is never blocked.  Every subscription change
and every poll that changed the index or failed goes to the audit log (background polls as
the actor ``feeds``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.checks import MODERATOR_PERMISSIONS, SERVERS_ONLY, is_moderator, moderator_check
from bot.cogs.moderation import record, shown
from bot.i18n import catalog, language_of, text
from index.errors import CrisisError
from index.polls import FeedPoll

log = logging.getLogger(__name__)
POLLER = "feeds"  # the actor of background polls in the audit log


def timestamp(stamp: float | None, language: str | None = None) -> str:
    return f"<t:{int(stamp)}:R>" if stamp else text("feeds.never", language)


def kind_name(kind: str, language: str | None = None) -> str:
    """'feed' or 'sitemap' in the moderator's language."""
    return text(f"feeds.kind.{kind}", language) if f"feeds.kind.{kind}" in catalog("en") else kind


class Feeds(commands.Cog):
    feeds = app_commands.Group(
        name="feeds", description="News feeds and sitemaps I follow (moderators).",
        guild_only=True, allowed_contexts=SERVERS_ONLY, default_permissions=MODERATOR_PERMISSIONS,
    )

    def __init__(self, bot):
        self.bot = bot

    async def cog_load(self) -> None:
        self.poll_loop.change_interval(seconds=self.bot.settings.feeds_tick_seconds)
        self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    async def audit_poll(self, actor, poll: FeedPoll) -> None:
        if poll.changed or poll.outcome == "failed":
            await record(self.bot, actor, "feeds poll", poll.url, poll.audit_text(), poll.outcome != "failed")

    # --- /feeds add, remove ------------------------------------------------------------

    @feeds.command(name="add", description="Follow an RSS or Atom feed, or a news sitemap; its new items are indexed.")
    @app_commands.describe(url="The feed's or sitemap's http(s) link", kind="feed or sitemap (default: from the link)",
                           interval="Minutes between polls (default 15)")
    @moderator_check
    async def add(self, interaction: discord.Interaction, url: str, kind: Literal["feed", "sitemap"] | None = None,
                  interval: app_commands.Range[float, 1, 10_080] | None = None) -> None:
        language = language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = url.strip()[:500]
        service = self.bot.service
        try:
            subscription = await asyncio.to_thread(service.feeds_add, target, kind=kind, interval_minutes=interval,
                                                   added_by=str(interaction.user))
        except CrisisError as exc:
            summary = text("feeds.could_not_follow", language, url=target, error=exc)
            await record(self.bot, interaction.user, "feeds add", target, summary, False)
            await interaction.edit_original_response(content=shown(summary))
            return
        every = {"kind": kind_name(subscription.kind, language), "minutes": f"{subscription.interval_minutes:g}"}
        await record(self.bot, interaction.user, "feeds add", subscription.url, text("feeds.every", language, **every), True)
        report = await service.poll_feeds(only=[subscription.url])
        first = report.polls[0] if report.polls else None
        lines = [text("feeds.following", language, url=subscription.url, **every)]
        if first is not None:  # the poll's own summary is the core's (English), as in the audit log
            lines.append(text("feeds.first_poll", language, summary=first.summary()))
            await self.audit_poll(interaction.user, first)
        await interaction.edit_original_response(content=shown("\n".join(lines)))

    @feeds.command(name="remove", description="Stop following a feed or sitemap (its indexed items stay).")
    @app_commands.describe(url="The subscribed link (start typing it)")
    @moderator_check
    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        language = language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            subscription = await asyncio.to_thread(self.bot.service.feeds_remove, url)
        except CrisisError as exc:
            summary, ok = text("feeds.could_not_remove", language, url=url, error=exc), False
        else:
            summary, ok = text("feeds.stopped_following", language, url=subscription.url), True
        await record(self.bot, interaction.user, "feeds remove", url.strip()[:500], summary, ok)
        await interaction.edit_original_response(content=shown(summary))

    @remove.autocomplete("url")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction):
            return []
        needle = current.casefold().strip()[:100]
        subscriptions = await asyncio.to_thread(self.bot.service.feeds_list)
        return [app_commands.Choice(name=render.label(f"{s.title or s.kind}: {s.url}", 100), value=s.url[:100])
                for s in subscriptions if needle in s.url.casefold() or needle in s.title.casefold()][:25]

    # --- /feeds list, status -----------------------------------------------------------

    @feeds.command(name="list", description="The feeds and sitemaps I follow.")
    @moderator_check
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        language = language_of(interaction)
        subscriptions = await asyncio.to_thread(self.bot.service.feeds_list)
        lines = [text("feeds.list_line_titled" if s.title else "feeds.list_line", language, url=render.code(s.url, 200, language),
                      kind=kind_name(s.kind, language), minutes=f"{s.interval_minutes:g}",
                      title=render.escape(render.truncate(s.title, 80))) for s in subscriptions]
        description = "\n".join(lines) or text("feeds.none_yet", language)
        embed = discord.Embed(title=text("feeds.list_title", language, count=len(subscriptions)), colour=render.COLOUR,
                              description=render.truncate(description, render.DESCRIPTION_MAX))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @feeds.command(name="status", description="How each feed's polls went: last poll, HTTP status, items, errors, next poll.")
    @moderator_check
    async def status(self, interaction: discord.Interaction) -> None:
        language = language_of(interaction)
        subscriptions = await asyncio.to_thread(self.bot.service.feeds_list)
        embed = discord.Embed(title=text("feeds.status_title", language), colour=render.COLOUR,
                              description=None if subscriptions else text("feeds.none_yet", language))
        for s in subscriptions[: render.FIELDS_MAX]:
            lines = [
                text("feeds.status_polls", language, last=timestamp(s.last_poll, language), status=s.http_status or "-",
                     next=timestamp(s.next_poll, language)),
                text("feeds.status_items", language, seen=s.seen, added=s.added_items, updated=s.updated_items,
                     removed=s.removed_items),
                text("feeds.status_upkeep", language, pruned=s.pruned_items, rechecked=s.rechecked_items),
            ]
            if s.last_error:
                key = "feeds.last_error_in_a_row" if s.failures else "feeds.last_error"
                lines.append(text(key, language, failures=s.failures, error=render.escape(render.truncate(s.last_error, 300))))
            name = render.truncate(f"{s.title or kind_name(s.kind, language)} · {s.url}", render.FIELD_NAME_MAX)
            embed.add_field(name=name, value=render.truncate("\n".join(lines), render.FIELD_VALUE_MAX), inline=False)
        embed.set_footer(text=text("feeds.status_footer", language, seconds=f"{self.bot.settings.feeds_tick_seconds:g}",
                                   now=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- the background poller ---------------------------------------------------------

    @tasks.loop(seconds=60)
    async def poll_loop(self) -> None:
        if not self.bot.leader.is_leader:  # another process polls (bot/leader.py)
            return
        try:
            report = await self.bot.service.poll_feeds()
        except Exception:  # keep the schedule alive; the next tick tries again
            log.exception("feed poll failed")
            return
        for poll in report.polls:
            await self.audit_poll(POLLER, poll)

    @poll_loop.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot) -> None:
    await bot.add_cog(Feeds(bot))
