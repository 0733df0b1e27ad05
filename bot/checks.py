"""Who may manage the corpus: the one place that decides it.

Discord hides moderator commands from members without Manage Server
(``default_permissions``), but a stale or modified client can still send
them, so every one is checked again here, on our side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.i18n import text

if TYPE_CHECKING:  # the bot, for typing interaction.client; imported at run time it would be a cycle
    from bot.app import CrisisBot

REFUSAL = text("core.not_moderator")  # in English; a member reads it in their language


class NotModerator(app_commands.CheckFailure):
    def __init__(self, locale: object = None) -> None:
        super().__init__(text("core.not_moderator", locale))


def is_moderator(interaction: discord.Interaction[CrisisBot]) -> bool:
    """Manage Server (or Administrator) in this guild, or the role named in CRISISBOT_MODERATOR_ROLE."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    role = interaction.client.settings.moderator_role
    return bool(role) and any(r.name == role for r in member.roles)


def _check(interaction: discord.Interaction[CrisisBot]) -> bool:
    if not is_moderator(interaction):
        raise NotModerator(interaction)
    return True


moderator_check = app_commands.check(_check)
"""For subcommands of a group that is already hidden and guild-only."""

MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)
SERVERS_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)


def moderator_only():
    """Hidden from members by Discord, guild only, and refused server-side to non-moderators."""

    def decorate(command):
        command = app_commands.default_permissions(manage_guild=True)(command)
        command = app_commands.guild_only()(command)
        command = app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)(command)
        return moderator_check(command)

    return decorate
