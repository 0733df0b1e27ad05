"""The Discord bot: ``create_bot`` builds it without connecting; ``run_bot`` starts it."""

from __future__ import annotations

import logging
import traceback
import uuid

import discord
from discord import AllowedMentions, app_commands
from discord.ext import commands

from bot.config import BotSettings
from bot.state import BotState
from bot.pages import MoreButton, PageButton
from bot.views import FeedbackButton, SourcesButton

log = logging.getLogger(__name__)
NONE = AllowedMentions.none()


class CrisisBot(commands.Bot):
    def __init__(self, settings: BotSettings, service) -> None:
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, allowed_mentions=NONE, help_command=None)
        self.settings = settings
        self.service = service
        self.state = BotState(settings.data_dir / "state.sqlite")
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        from bot.cogs import EXTENSIONS

        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(SourcesButton, FeedbackButton, MoreButton, PageButton)
        if self.settings.discord_guild_id:
            guild = discord.Object(self.settings.discord_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):  # a refusal (not a moderator, not in a server): no bug
            text = str(error) or "You can't use this command here."
            log.info("refused /%s for user %s: %s", interaction.command and interaction.command.qualified_name,
                     interaction.user.id, text)
            send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
            try:
                await send(text, ephemeral=True, allowed_mentions=NONE)
            except discord.HTTPException:
                log.warning("could not send a refusal", exc_info=True)
            return
        error_id = uuid.uuid4().hex[:8]
        log.error("error %s in %s", error_id, interaction.command and interaction.command.name,
                  exc_info=(type(error), error, error.__traceback__))
        text = f"Sorry, something went wrong on my side (error id `{error_id}`)."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
        except discord.HTTPException:
            log.warning("could not tell the user about error %s:\n%s", error_id, traceback.format_exc())

    async def close(self) -> None:
        await super().close()
        self.state.close()


def create_bot(settings: BotSettings | None = None, service=None) -> CrisisBot:
    """The configured bot, not connected.  ``service`` defaults to a CrisisService over ``settings``."""
    settings = settings or BotSettings()
    if service is None:
        from index.service import CrisisService

        service = CrisisService(settings)
    return CrisisBot(settings, service)


def run_bot(service=None, settings: BotSettings | None = None) -> None:
    """Start the bot with DISCORD_TOKEN and block until it stops."""
    settings = settings or BotSettings()
    if settings.discord_token is None:
        raise SystemExit("error: DISCORD_TOKEN is not set")
    if service is not None:
        settings = settings.model_copy(update={"data_dir": service.settings.data_dir})
    bot = create_bot(settings, service)
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)
