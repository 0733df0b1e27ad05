"""The Discord bot: ``create_bot`` builds it without connecting; ``run_bot`` starts it.

Shutdown (SIGTERM, SIGINT or ``close()``): the bot stops taking new questions
(slash commands get a short "restarting" reply, mentions are ignored), waits up
to ``SHUTDOWN_GRACE_SECONDS`` for answers in flight and for a background
re-index to finish, then closes the gateway, the HTTP session and state.sqlite.
"""

from __future__ import annotations

import asyncio
import logging
import signal
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

SHUTDOWN_GRACE_SECONDS = 20.0
RESTARTING = "I'm restarting; please ask again in a minute."
# discord.py names the tasks it runs handlers in; these are the ones that answer someone.
_ANSWERING_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-", "discord.py: on_message")


class DrainingTree(app_commands.CommandTree):
    """Refuses new commands once the bot is shutting down (the refusal goes through on_error)."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if getattr(self.client, "draining", False):
            raise app_commands.CheckFailure(RESTARTING)
        return True


class CrisisBot(commands.Bot):
    def __init__(self, settings: BotSettings, service) -> None:
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, allowed_mentions=NONE, help_command=None,
                         tree_cls=DrainingTree)
        self.settings = settings
        self.service = service
        self.state = BotState(settings.data_dir / "state.sqlite")
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.draining = False
        self.shutdown_grace = SHUTDOWN_GRACE_SECONDS

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

    # --- shutdown ---

    def dispatch(self, event_name: str, /, *args, **kwargs) -> None:
        if self.draining and event_name == "message":
            return  # no new mention questions while shutting down
        super().dispatch(event_name, *args, **kwargs)

    def answers_in_flight(self) -> set[asyncio.Task]:
        """The handler tasks still answering someone (the caller's own task excluded)."""
        me = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not me and not t.done() and t.get_name().startswith(_ANSWERING_TASKS)}

    def _rebuilders(self) -> list:
        return [r for cog in self.cogs.values() if (r := getattr(cog, "rebuilder", None)) is not None]

    async def drain(self, grace: float) -> bool:
        """Stop taking new questions; wait up to ``grace`` s for answers and index writes in flight.

        True when everything finished.  An index write still running after that
        is abandoned with the process: it never replaced the published index.
        """
        self.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while (tasks := self.answers_in_flight()) and loop.time() < deadline:
            log.info("shutting down: waiting for %d answer(s) in flight", len(tasks))
            await asyncio.wait(tasks, timeout=deadline - loop.time())
        for rebuilder in self._rebuilders():
            job = rebuilder.current
            if job is not None and job.running:
                log.info("shutting down: waiting for the re-index started by %s (%.0f%%)", job.started_by, job.percent)
                await asyncio.to_thread(rebuilder.wait, max(0.0, deadline - loop.time()))
                if job.running:
                    log.warning("shutting down during a re-index: it is abandoned; the previous index stays published")
        left = self.answers_in_flight()
        if left:
            log.warning("shutting down with %d answer(s) unfinished after %.0f s", len(left), grace)
        return not left

    async def close(self) -> None:
        if not self.draining:
            await self.drain(self.shutdown_grace)
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
    """Start the bot with DISCORD_TOKEN and block until it stops (SIGTERM or SIGINT: a graceful stop)."""
    settings = settings or BotSettings()
    if settings.discord_token is None:
        raise SystemExit("error: DISCORD_TOKEN is not set")
    if service is not None:
        settings = settings.model_copy(update={"data_dir": service.settings.data_dir})
    bot = create_bot(settings, service)
    try:
        asyncio.run(serve(bot, settings.discord_token.get_secret_value()))
    except discord.LoginFailure:
        raise SystemExit("error: Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal") from None
    except discord.PrivilegedIntentsRequired:
        raise SystemExit("error: Discord refused the intents this bot asks for; see 'The Discord bot' in README.md") from None


async def serve(bot: CrisisBot, token: str) -> None:
    """Run ``bot`` until it stops by itself or a SIGTERM/SIGINT asks it to (logging is the caller's)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with bot:
            running = asyncio.create_task(bot.start(token), name="crisisbot-gateway")
            stopping = asyncio.create_task(stop.wait(), name="crisisbot-stop-signal")
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not stop.is_set():
                await running  # it stopped by itself: a login failure is raised here
                return
            log.info("stop signal: no new questions; finishing those in flight (at most %.0f s)", bot.shutdown_grace)
            await bot.close()
            try:
                await asyncio.wait_for(running, 10)
            except Exception as exc:  # a signal during login or connect cuts it short: nothing to report
                log.info("stopped while starting (%s)", type(exc).__name__)
            log.info("stopped")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
