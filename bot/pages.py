"""Paginated passages: /search results and "More results" under an answer.

A page is re-computed from the stored search (query, dates, paragraphs to skip), so
the Previous/Next buttons are persistent: they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.i18n import language_of, text
from bot.replies import Clickable, gone, reply_private
from bot.state import StoredSearch
from index.dates import parse_day

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot

PAGE_SIZE = 5
MAX_PAGES = 10


async def search_page(bot, stored: StoredSearch, page: int, locale: object = None) -> tuple[discord.Embed, discord.ui.View]:
    """The embed and the Previous/Next buttons for page ``page`` (0-based) of a stored search,
    in the language of ``locale`` (the member's interaction)."""
    language = language_of(locale)
    wanted = (page + 1) * PAGE_SIZE + 1  # one more than the page shows: is there a next page?
    passages = await asyncio.to_thread(
        bot.service.search,
        stored.query,
        wanted + len(stored.exclude),
        since=parse_day(stored.since, "since"),
        until=parse_day(stored.until, "until"),
    )
    skip = set(stored.exclude)
    passages = [p for p in passages if p.id not in skip]
    shown = passages[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    title = "search.more_results_for" if stored.exclude else "search.passages_for"
    embed = render.passages_embed(stored.query, shown, PAGE_SIZE, start=page * PAGE_SIZE + 1, title=title, language=language)
    embed.set_footer(text=text("search.page", language, page=page + 1))
    has_next = len(passages) > (page + 1) * PAGE_SIZE and page + 1 < MAX_PAGES
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(stored.search_id, page - 1, forward=False, disabled=page == 0, language=language))
    view.add_item(PageButton(stored.search_id, page + 1, forward=True, disabled=not has_next, language=language))
    return embed, view


class PageButton(Clickable, discord.ui.DynamicItem[discord.ui.Button], template=r"crisisbot:page:(?P<search_id>[0-9a-f]{1,32}):(?P<page>-?\d{1,3})"):
    def __init__(self, search_id: str, page: int, *, forward: bool = True, disabled: bool = False, language: str | None = None):
        self.search_id, self.page = search_id, page
        # A disabled "Previous" on page 0 points at page -1, so the two ids stay distinct.
        super().__init__(
            discord.ui.Button(
                label=text("buttons.next" if forward else "buttons.previous", language), style=discord.ButtonStyle.secondary, disabled=disabled,
                custom_id=f"crisisbot:page:{search_id}:{page}",
            )
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[CrisisBot], item: discord.ui.Button, match: re.Match[str]):
        return cls(match["search_id"], int(match["page"]))

    async def clicked(self, interaction: discord.Interaction[CrisisBot]) -> None:
        bot = interaction.client
        if not 0 <= self.page < MAX_PAGES:
            await reply_private(interaction, text("buttons.no_such_page", interaction))
            return
        stored = await asyncio.to_thread(bot.state.search, self.search_id)
        if stored is None:
            await reply_private(interaction, gone(interaction, "search"))
            return
        mine = bot.state.user_hash(interaction.user.id) == stored.user_hash
        # The searcher turns the page in place; anyone else gets their own copy.
        if mine:
            await interaction.response.defer()  # the message itself will change
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view = await search_page(bot, stored, self.page, interaction)
        if mine:
            await interaction.edit_original_response(embed=embed, view=view)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True)


class MoreButton(Clickable, discord.ui.DynamicItem[discord.ui.Button], template=r"crisisbot:more:(?P<search_id>[0-9a-f]{1,32})"):
    """Under an answer: the next passages (the ones not cited), in a message of your own."""

    def __init__(self, search_id: str, language: str | None = None):
        self.search_id = search_id
        super().__init__(
            discord.ui.Button(label=text("buttons.more_results", language), style=discord.ButtonStyle.secondary, custom_id=f"crisisbot:more:{search_id}")
        )

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[CrisisBot], item: discord.ui.Button, match: re.Match[str]):
        return cls(match["search_id"])

    async def clicked(self, interaction: discord.Interaction[CrisisBot]) -> None:
        bot = interaction.client
        stored = await asyncio.to_thread(bot.state.search, self.search_id)
        if stored is None:
            await reply_private(interaction, gone(interaction, "answer"))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if bot.state.user_hash(interaction.user.id) != stored.user_hash:
            # Pages turn in place only for their owner: give this user a search of their own.
            search_id = await asyncio.to_thread(
                bot.state.save_search, stored.query, interaction.user.id,
                since=stored.since, until=stored.until, exclude=stored.exclude,
            )
            stored = await asyncio.to_thread(bot.state.search, search_id)
        embed, view = await search_page(bot, stored, 0, interaction)
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)
