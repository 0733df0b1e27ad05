"""The Discord bot: ``create_bot`` builds it without connecting; ``run_bot`` starts it.

Shutdown (SIGTERM, SIGINT or ``close()``): the bot stops taking new questions
(slash commands get a short "restarting" reply, mentions are ignored), waits up
to ``SHUTDOWN_GRACE_SECONDS`` for answers in flight and for a background
re-index to finish (one still running then is cancelled between two batches and
its thread joined, so the previous index stays published), then closes the
gateway, the HTTP session and state.sqlite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import traceback
import uuid

import discord
from discord import AllowedMentions, app_commands
from discord.ext import commands

from bot.config import BotSettings
from bot.health import EndpointUnavailable, HealthServer, acknowledgement_trace
from bot.i18n import CatalogTranslator, text
from bot.leader import leadership_for
from bot.pages import MoreButton, PageButton
from bot.replies import ClickLimiter, crisis_message, reply_private
from bot.state import ASKING_GUILD, BotState
from bot.views import FeedbackButton, SourcesButton
from index.errors import CrisisError

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 20.0
PRUNE_SECONDS = 3600.0  # how often answers, searches and votes older than state_max_age_days are deleted
RESTARTING = text("core.restarting")  # in English; a member reads it in their language
# discord.py names the tasks it runs handlers in; these are the ones that answer someone.
_ANSWERING_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-", "discord.py: on_message")


class DrainingTree(app_commands.CommandTree):
    """Refuses new commands once the bot is shutting down (the refusal goes through on_error)."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if getattr(self.client, "draining", False):
            raise app_commands.CheckFailure(text("core.restarting", interaction))
        ASKING_GUILD.set(interaction.guild_id)  # this command's task (and its threads) only
        return True


class CrisisBot(commands.Bot):
    def __init__(self, settings: BotSettings, service) -> None:
        intents = discord.Intents.default()
        # Privileged; only for auto-answers (forum post text, help channels) and follow-ups in threads the bot
        # opened (every message, not only mentions): CRISISBOT_READ_MESSAGE_CONTENT.
        intents.message_content = settings.read_message_content
        # Nothing the bot sends pings anyone: discord.py merges this into every send, interaction
        # response, follow-up and edit (tests/test_hostile_bot.py checks each request on the wire).
        # Several processes (README "Several processes"): ShardedCrisisBot connects only these shards.
        shards = {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids} \
            if isinstance(self, commands.AutoShardedBot) else {}
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         tree_cls=DrainingTree, allowed_mentions=AllowedMentions.none(),
                         http_trace=acknowledgement_trace(service.metrics.observe_ack) if hasattr(service, "metrics") else None,
                         **shards)
        self.settings = settings
        self.service = service
        # Feed polls and scheduled refreshes run in the leader only (bot/leader.py); the index's database decides.
        database_url = getattr(getattr(service, "settings", settings), "database_url", None)
        self.leader = leadership_for(database_url.get_secret_value() if database_url else None, settings.leader_check_seconds)
        service.merge_in_background = True  # a merge of small writes never holds up a moderator's reply
        self.state = BotState.open(settings, check_salt=True)  # PostgreSQL with a database URL, else state.sqlite
        self.click_limiter = ClickLimiter(settings.button_clicks_per_minute)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.draining = False
        self.shutdown_grace = SHUTDOWN_GRACE_SECONDS
        self._pruner: asyncio.Task | None = None
        self._warming: asyncio.Task | None = None
        self.health: HealthServer | None = None  # /healthz and /metrics, when CRISISBOT_HTTP_PORT is set

    async def setup_hook(self) -> None:
        from bot.cogs import EXTENSIONS

        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.tree.set_translator(CatalogTranslator())  # Ukrainian and Russian command names in the sync
        self.add_dynamic_items(SourcesButton, FeedbackButton, MoreButton, PageButton)
        await self.leader.start()
        self._pruner = asyncio.create_task(self._prune_every_hour(), name="crisisbot-prune-state")
        self._warming = asyncio.create_task(self._warm(), name="crisisbot-warm")
        if self.settings.http_port is not None:
            self.health = HealthServer(self, self.settings.http_host, self.settings.http_port)
            await self.health.start()
        if not self.settings.syncs_commands:  # the process running shard 0 syncs them for every process
            log.info("commands: left to the process running shard 0")
        elif self.settings.discord_guild_id:
            guild = discord.Object(self.settings.discord_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def _warm(self) -> None:
        """The models and the index loaded now, off the event loop, so the first question does not wait for
        them (the first Ukrainian or Russian one waited about 5 s for the multilingual model)."""
        try:
            for step in ("warm", "warm_languages"):
                if (load := getattr(self.service, step, None)) is not None:
                    await asyncio.to_thread(load)
        except Exception:  # the first question loads what is missing, as before
            log.exception("could not load the models ahead of the first question")

    async def _prune_every_hour(self) -> None:
        """Delete stored answers, searches and votes older than state_max_age_days: now, then hourly."""
        while True:
            try:
                deleted = await asyncio.to_thread(self.state.prune)
                deleted["asked"] = await asyncio.to_thread(self.state.prune_asked)
                if any(deleted.values()):
                    log.info("pruned state.sqlite: %s", deleted)
            except Exception:  # keep the schedule; the next round tries again
                log.exception("could not prune state.sqlite")
            await asyncio.sleep(PRUNE_SECONDS)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        # CommandInvokeError wraps what the command raised; TransformerError what an option's parser raised
        original = getattr(error, "original", None) or error.__cause__ or error
        if isinstance(original, CrisisError):  # a problem the member or a moderator can act on: no bug
            log.warning("/%s: %s", interaction.command and interaction.command.qualified_name, original)
            try:
                await reply_private(interaction, crisis_message(original, interaction))
            except discord.HTTPException:
                log.warning("could not send %r", str(original), exc_info=True)
            return
        if isinstance(error, app_commands.CheckFailure):  # a refusal (not a moderator, not in a server): no bug
            refusal = str(error) or text("core.not_here", interaction)
            log.info("refused /%s for user %s: %s", interaction.command and interaction.command.qualified_name,
                     interaction.user.id, refusal)
            try:
                await reply_private(interaction, refusal)
            except discord.HTTPException:
                log.warning("could not send a refusal", exc_info=True)
            return
        error_id = uuid.uuid4().hex[:8]
        log.error("error %s in %s", error_id, interaction.command and interaction.command.name,
                  exc_info=(type(error), error, error.__traceback__))
        try:
            await reply_private(interaction, text("core.error", interaction, error_id=error_id))
        except discord.HTTPException:
            log.warning("could not tell the user about error %s:\n%s", error_id, traceback.format_exc())

    # --- shutdown ---

    def dispatch(self, event_name: str, /, *args, **kwargs) -> None:
        if self.draining and event_name == "message":
            return  # no new mention questions while shutting down
        if event_name == "message" and args:  # the handlers' tasks copy the guild the question comes from
            token = ASKING_GUILD.set(getattr(args[0], "guild", None) and args[0].guild.id)
            try:
                super().dispatch(event_name, *args, **kwargs)
            finally:
                ASKING_GUILD.reset(token)
            return
        super().dispatch(event_name, *args, **kwargs)

    def answers_in_flight(self) -> set[asyncio.Task]:
        """The handler tasks still answering someone (the caller's own task excluded)."""
        me = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not me and not t.done() and t.get_name().startswith(_ANSWERING_TASKS)}

    async def drain(self, grace: float) -> bool:
        """Stop taking new questions; wait up to ``grace`` s for answers and background work in flight.

        True when every answer finished.  A re-index still running after that is
        cancelled (the previous index stays published) and its thread joined.
        """
        self.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while (tasks := self.answers_in_flight()) and loop.time() < deadline:
            log.info("shutting down: waiting for %d answer(s) in flight", len(tasks))
            await asyncio.wait(tasks, timeout=deadline - loop.time())
        for cog in list(self.cogs.values()):
            finish = getattr(cog, "finish_background_work", None)
            if finish is not None:
                await finish(deadline)
        left = self.answers_in_flight()
        if left:
            log.warning("shutting down with %d answer(s) unfinished after %.0f s", len(left), grace)
        return not left

    async def close(self) -> None:
        if not self.draining:
            await self.drain(self.shutdown_grace)
        for task in (self._pruner, self._warming):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.health is not None:
            await self.health.stop()
        await self.leader.stop()  # after the background work finished: another process takes over
        await super().close()
        self.state.close()


class ShardedCrisisBot(CrisisBot, commands.AutoShardedBot):
    """The bot on the shards ``shard_ids`` of ``shard_count`` (CRISISBOT_SHARD_COUNT, CRISISBOT_SHARD_IDS)."""


def create_bot(settings: BotSettings | None = None, service=None) -> CrisisBot:
    """The configured bot, not connected.  ``service`` defaults to a CrisisService over ``settings``."""
    settings = settings or BotSettings()
    if service is None:
        from index.service import CrisisService

        service = CrisisService(settings)
    return (ShardedCrisisBot if settings.sharded else CrisisBot)(settings, service)


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
    except EndpointUnavailable as exc:
        raise SystemExit(f"error: {exc}") from None
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
