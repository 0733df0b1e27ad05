"""How the bot answers privately: short replies, messages of embeds, errors a member can act on,
and the base of the persistent buttons (a per-member click limit)."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import math
import time
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.i18n import text
from index.errors import CrisisError, IndexDamaged, IndexMismatch, NoIndex, WriteInProgress

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot

log = logging.getLogger(__name__)

INDEX_DAMAGED = text("core.index_damaged")  # in English; a member reads it in their language


def crisis_message(error: CrisisError, locale: object = None) -> str:
    """What a member reads for a problem the core reported (never a traceback or an error id).

    The bot's own words follow ``locale``: the index's problems have their own texts (a member
    needs no paths); any other message the core wrote is shown as it is."""
    for kind, key in ((IndexDamaged, "core.index_damaged"), (NoIndex, "core.no_index"),
                      (IndexMismatch, "core.index_mismatch"), (WriteInProgress, "core.index_busy")):
        if isinstance(error, kind):
            return text(key, locale)
    return render.truncate(render.escape(str(error)), 2000) or text("core.try_later", locale)


def expired(what: str, max_age_days: float, locale: object = None) -> str:
    """``what`` ('answer' or 'search') is older than the state keeps."""
    return text(f"core.expired_{what}", locale, days=f"{max_age_days:g}")


def gone(interaction: discord.Interaction[CrisisBot], what: str) -> str:
    """Why the answer or search (``what``) behind a button is missing: too old (pruned), or unknown."""
    days = interaction.client.state.max_age_days
    message = interaction.message
    if message is None or discord.utils.utcnow() - message.created_at > dt.timedelta(days=days):
        return expired(what, days, interaction)
    return text(f"core.gone_{what}", interaction)


async def _send_private(interaction: discord.Interaction[CrisisBot], **message) -> None:
    """One message only the member sees: the response, or a follow-up once there is one."""
    send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
    await send(ephemeral=True, **message)


async def reply_private(interaction: discord.Interaction[CrisisBot], text: str) -> None:
    """A short message only the member sees."""
    await _send_private(interaction, content=text)


async def send_messages(interaction: discord.Interaction[CrisisBot], messages: list[list[discord.Embed]]) -> None:
    """Private messages of embeds: the first as the response, the others as follow-ups."""
    for embeds in messages:
        await _send_private(interaction, embeds=embeds)


class ClickLimiter:
    """At most ``per_minute`` button clicks per member in any 60 s (kept in memory; a restart forgets)."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._clicks: dict[int, collections.deque[float]] = {}

    def wait(self, user_id: int) -> int:
        """0, counting this click; or the seconds until the member may click again (not counted)."""
        now = self._clock()
        clicks = self._clicks.setdefault(user_id, collections.deque())
        while clicks and now - clicks[0] >= 60:
            clicks.popleft()
        if len(clicks) >= self.per_minute:
            return max(1, math.ceil(60 - (now - clicks[0])))
        clicks.append(now)
        if len(self._clicks) > 10_000:  # forget members who have not clicked for a minute
            self._clicks = {u: c for u, c in self._clicks.items() if c and now - c[-1] < 60}
        return 0


class Clickable:
    """Mixed into every persistent button: too many clicks get a short private refusal (and nothing
    is stored), and a problem the core reports becomes a private reply.  Subclasses define ``clicked``."""

    async def interaction_check(self, interaction: discord.Interaction[CrisisBot], /) -> bool:
        wait = interaction.client.click_limiter.wait(interaction.user.id)
        if wait:
            await reply_private(interaction, text("core.clicking_fast", interaction, seconds=wait))
            return False
        return True

    async def callback(self, interaction: discord.Interaction[CrisisBot]) -> None:
        try:
            await self.clicked(interaction)
        except CrisisError as error:
            log.warning("button %s: %s", type(self).__name__, error)
            await reply_private(interaction, crisis_message(error, interaction))

    async def clicked(self, interaction: discord.Interaction[CrisisBot]) -> None:
        raise NotImplementedError
