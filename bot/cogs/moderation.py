"""/sources and /reindex: moderators keep the corpus current, and every action is audited.

Adds and removes are incremental (a copy of the current index changed by id,
then swapped in); /reindex rebuilds everything in the background while the
old index keeps answering.  URL sources can be re-fetched on a schedule.

Summaries are plain text: the audit log stores them as they are (the CLI writes
there too), and every place that shows them escapes them.

One cog for the moderators' whole job (a little over 300 lines): add, remove, list, audit,
re-index and the scheduled refresh share the audit trail and the progress reporting.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.checks import MODERATOR_PERMISSIONS, SERVERS_ONLY, is_moderator, moderator_check, moderator_only
from bot.i18n import catalog, language_of, text
from bot.state import AuditEntry
from index.errors import AlreadyRunning, CrisisError
from index.jobs import Rebuilder, RebuildJob
from index.service import WriteResult

log = logging.getLogger(__name__)
FILE_TYPES = (".txt", ".jsonl", ".md", ".markdown", ".html", ".htm")
PROGRESS_SECONDS = 2.0  # how often the /reindex message is edited
JOIN_SECONDS = 10.0  # at shutdown, how long a cancelled re-index may take to reach its next batch
STOPPED = text("moderation.stopped")  # in English; a moderator reads it in their language
LIST_PAGE = 10


def describe_change(result: WriteResult, title: str, language: str | None = None) -> str:
    """What a write changed, in one or two lines of plain text."""
    c = result.change
    key = "moderation.replaced" if c.documents_replaced and not c.documents_added else "moderation.added"
    summary = text(key, language, title=title, seconds=f"{result.seconds:.1f}",
                   paragraphs=text("moderation.paragraphs", language, count=c.paragraphs_added),
                   duplicates=text("moderation.duplicates", language, count=c.exact_duplicates + c.near_duplicates))
    return summary + skipped_lines(result, language)


def skipped_lines(result: WriteResult, language: str | None = None) -> str:
    """What reading skipped, and what it cut (a page or file over the paragraph caps)."""
    lines = [text("moderation.skipped_file", language, name=Path(p.where).name, reason=p.reason) for p in result.load.skipped[:5]]
    lines += [text("moderation.note_on_file", language, name=Path(p.where).name, reason=p.reason) for p in result.load.warnings[:3]]
    return "".join(f"\n{line}" for line in lines)


def shown(text: str, limit: int = 2000) -> str:
    """Plain text escaped for a message of at most ``limit`` characters."""
    return render.truncate(render.escape(render.truncate(text, limit - 200)), limit)


def progress_text(job: RebuildJob, language: str | None = None) -> str:
    """Where a re-index is, in plain text (sentences of the moderator's language, one after another)."""
    if job.running:
        stage_key = f"moderation.stage.{job.stage.replace(' ', '_')}"
        stage = text(stage_key, language) if stage_key in catalog("en") else job.stage  # a stage the core adds later
        values = {"stage": stage, "percent": f"{job.percent:.0f}", "done": job.done, "total": job.total}
        key = ("moderation.reindexing_paragraphs" if job.stage == "embedding" else "moderation.reindexing_counted") \
            if job.total else "moderation.reindexing"
        sentences = [text(key, language, **values)]
        if (job.eta_seconds or 0) >= 1:
            sentences.append(text("moderation.time_left", language, seconds=f"{job.eta_seconds:.0f}"))
        sentences.append(text("moderation.still_serving", language))
        return " ".join(sentences)
    if job.cancelled:
        return text("moderation.stopped", language)
    if job.error:
        return text("moderation.reindex_failed", language, error=job.error)
    manifest, change = job.result.manifest, job.result.change  # type: ignore[union-attr]
    summary = text("moderation.reindex_done", language, seconds=f"{job.elapsed:.1f}",
                   sources=text("moderation.sources", language, count=manifest.get("documents", 0)),
                   paragraphs=text("moderation.paragraphs", language, count=manifest.get("paragraphs", 0)),
                   duplicates=text("moderation.duplicates", language, count=change.exact_duplicates + change.near_duplicates))
    return summary + skipped_lines(job.result, language)  # type: ignore[arg-type]


def safe_filename(name: str) -> str:
    """An attachment's name reduced to a harmless basename (no paths, no odd characters)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return stem[-100:]


async def record(bot, actor: discord.abc.User | str, action: str, target: str, result: str, ok: bool) -> AuditEntry:
    """Write the audit row (``result`` in plain text), then post it to the log channel when one is configured."""
    name, actor_id = (actor, None) if isinstance(actor, str) else (str(actor), actor.id)
    entry = await asyncio.to_thread(bot.state.audit, name, action, target, result, ok=ok, actor_id=actor_id)
    channel_id = bot.settings.log_channel_id
    if channel_id:
        mark = "\N{WHITE HEAVY CHECK MARK}" if ok else "\N{WARNING SIGN}"
        who = render.escape(name) + (f" (<@{actor_id}>)" if actor_id else "")
        text = f"{mark} {who} · {render.escape(action)} {render.code(target, 200)}\n{shown(result, 1500)}"
        try:
            channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
            await channel.send(render.truncate(text, 2000))
        except (discord.HTTPException, AttributeError) as exc:
            log.warning("could not post to the log channel %s: %s", channel_id, exc)
    return entry


class Moderation(commands.Cog):
    sources = app_commands.Group(
        name="sources", description="Manage the sources I answer from (moderators).",
        guild_only=True, allowed_contexts=SERVERS_ONLY, default_permissions=MODERATOR_PERMISSIONS,
    )

    def __init__(self, bot):
        self.bot = bot
        self.rebuilder = Rebuilder(bot.service)
        self._progress_tasks: set[asyncio.Task] = set()

    async def cog_load(self) -> None:
        minutes = self.bot.settings.refresh_minutes
        if minutes:
            self.refresh_loop.change_interval(minutes=minutes)
            self.refresh_loop.start()

    async def cog_unload(self) -> None:
        self.refresh_loop.cancel()

    # --- audit -------------------------------------------------------------------------

    async def record(self, actor: discord.abc.User | str, action: str, target: str, result: str, ok: bool) -> AuditEntry:
        return await record(self.bot, actor, action, target, result, ok)

    # --- /sources add ------------------------------------------------------------------

    @sources.command(name="add", description="Add a source: a web page (url) or a file (.txt seed format, .jsonl, .md, .html).")
    @app_commands.describe(url="An http(s) link to a news article", file="A .txt (seed format), .jsonl, .md or .html file")
    @moderator_check
    async def add(self, interaction: discord.Interaction, url: str | None = None, file: discord.Attachment | None = None) -> None:
        language = language_of(interaction)
        if (url is None) == (file is None):
            await interaction.response.send_message(text("moderation.url_or_file", language), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if url is not None:
            target = url.strip()[:500]
            summary, ok = await self._add_url(target, language)
        else:
            target = file.filename
            summary, ok = await self._add_file(file, language)
        await interaction.edit_original_response(content=shown(summary))
        await self.record(interaction.user, "sources add", target, summary, ok)

    async def _add_url(self, url: str, language: str) -> tuple[str, bool]:
        try:
            result = await self.bot.service.add_url(url)
        except CrisisError as exc:
            return text("moderation.could_not_add", language, target=url, error=exc), False
        return describe_change(result, result.load.documents[0].title, language), True

    async def _add_file(self, file: discord.Attachment, language: str) -> tuple[str, bool]:
        name = safe_filename(file.filename)
        if not name.lower().endswith(FILE_TYPES):
            return text("moderation.file_type", language, name=file.filename), False
        limit = self.bot.settings.max_upload_bytes
        if file.size > limit:
            return text("moderation.file_too_big", language, name=file.filename, size=file.size, limit=limit), False
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            return text("moderation.download_failed", language, name=file.filename, status=exc.status), False
        if len(data) > limit:
            return text("moderation.file_larger_than", language, name=file.filename, limit=limit), False
        with tempfile.TemporaryDirectory(prefix="crisisbot-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                result = await asyncio.to_thread(self.bot.service.add_paths, [path])
            except CrisisError as exc:
                return text("moderation.could_not_add", language, target=file.filename, error=exc), False
        titles = ", ".join(sorted({d.title for d in result.load.documents}))[:300]
        return describe_change(result, titles or file.filename, language), True

    # --- /sources remove ---------------------------------------------------------------

    @sources.command(name="remove", description="Remove a source and its paragraphs.")
    @app_commands.describe(source="The source to remove (start typing its title)")
    @app_commands.rename(source="id")
    @moderator_check
    async def remove(self, interaction: discord.Interaction, source: str) -> None:
        language = language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        titles = {d.id: d.title for d in await asyncio.to_thread(self.bot.service.documents)}
        try:
            result = await asyncio.to_thread(self.bot.service.remove_sources, [source])
        except CrisisError as exc:
            summary = text("moderation.could_not_remove", language, target=source, error=exc)
            reply, ok = shown(summary), False
        else:
            title = titles.get(source, source)
            values = {"seconds": f"{result.seconds:.1f}",
                      "paragraphs": text("moderation.paragraphs", language, count=result.change.paragraphs_removed)}
            summary = text("moderation.removed", language, title=title, **values)
            reply, ok = text("moderation.removed", language, title=f"**{render.escape(title)}**", **values), True
        await interaction.edit_original_response(content=render.truncate(reply, 2000))
        await self.record(interaction.user, "sources remove", source, summary, ok)

    @remove.autocomplete("source")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction):
            return []
        needle = current.casefold().strip()[:100]
        documents = await asyncio.to_thread(self.bot.service.documents)
        choices = []
        for doc in documents:
            if needle in doc.title.casefold() or needle in doc.id.casefold():
                label = render.label(f"{doc.title} ({doc.outlet}, {doc.date or text('moderation.undated', interaction)})", 100)
                choices.append(app_commands.Choice(name=label, value=doc.id[:100]))
            if len(choices) == 25:
                break
        return choices

    # --- /sources list and audit -------------------------------------------------------

    @sources.command(name="list", description="The sources I answer from, with paragraph counts and dates.")
    @app_commands.describe(page="Page number (10 sources a page)")
    @moderator_check
    async def list_sources(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10_000] = 1) -> None:
        language = language_of(interaction)
        documents = await asyncio.to_thread(self.bot.service.documents)
        pages = max(1, -(-len(documents) // LIST_PAGE))
        page = min(page, pages)
        listed = documents[(page - 1) * LIST_PAGE : page * LIST_PAGE]
        lines = [
            f"{render.code(d.id, 60, language)} {render.source_line(i, d.title, d.url, d.outlet, d.date, language)} · "
            f"{text('moderation.paragraphs', language, count=d.paragraphs)}"
            for i, d in enumerate(listed, (page - 1) * LIST_PAGE + 1)
        ]
        embed = discord.Embed(title=text("moderation.list_title", language, count=len(documents)),
                              description="\n".join(lines) or text("moderation.no_sources", language), colour=render.COLOUR)
        embed.description = render.truncate(embed.description, render.DESCRIPTION_MAX)
        footer = "moderation.list_page_more" if page < pages else "moderation.list_page"
        embed.set_footer(text=text(footer, language, page=page, pages=pages, next=page + 1))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @sources.command(name="audit", description="The most recent moderator actions.")
    @app_commands.describe(count="How many entries (up to 25)")
    @moderator_check
    async def audit(self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 25] = 10) -> None:
        language = language_of(interaction)
        entries = await asyncio.to_thread(self.bot.state.recent_audit, count)
        lines = [  # actor, target and result may come from the CLI or a web page: escaped here
            f"<t:{int(e.time)}:f> **{render.escape(render.truncate(e.actor, 80))}** {render.escape(e.action)} "
            f"{render.code(e.target, 80, language)} {text('moderation.ok' if e.ok else 'moderation.failed', language)}: "
            f"{render.escape(render.truncate(e.result.splitlines()[0] if e.result else '', 150))}"
            for e in entries
        ]
        embed = discord.Embed(title=text("moderation.audit_title", language), colour=render.COLOUR,
                              description=render.truncate("\n".join(lines) or text("moderation.nothing_yet", language),
                                                          render.DESCRIPTION_MAX))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- /reindex ----------------------------------------------------------------------

    @app_commands.command(name="reindex", description="Rebuild the whole index from every registered source (moderators).")
    @moderator_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        language = language_of(interaction)
        try:
            job = self.rebuilder.start(started_by=str(interaction.user))
        except AlreadyRunning as exc:
            running = exc.job or self.rebuilder.current
            refusal = text("moderation.already_running", language, who=render.escape(getattr(running, "started_by", "?")),
                           percent=f"{getattr(running, 'percent', 0):.0f}")
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await interaction.response.send_message(shown(progress_text(job, language)))
        task = asyncio.create_task(self._follow(interaction, job))
        self._progress_tasks.add(task)
        task.add_done_callback(self._progress_tasks.discard)

    async def _follow(self, interaction: discord.Interaction, job: RebuildJob) -> None:
        """Edit the progress message until the job ends, then give the summary and audit it."""
        last, language = None, language_of(interaction)
        while job.running:
            if await asyncio.to_thread(self.rebuilder.wait, PROGRESS_SECONDS):  # wakes at once when it ends
                break
            progress = shown(progress_text(job, language))
            if progress != last:
                last = progress
                try:
                    await interaction.edit_original_response(content=progress)
                except discord.HTTPException as exc:  # e.g. the 15-minute interaction token expired
                    log.info("could not update the /reindex progress: %s", exc)
        summary = progress_text(job, language)
        try:
            await interaction.edit_original_response(content=shown(summary))
        except discord.HTTPException:
            if isinstance(interaction.channel, discord.abc.Messageable):
                await interaction.channel.send(shown(summary))
        await self.record(interaction.user, "reindex", "all sources", summary, job.error is None and not job.cancelled)

    async def finish_background_work(self, deadline: float) -> None:
        """At shutdown: let a re-index finish until ``deadline`` (event-loop time), else cancel it and
        join its thread; then let the progress message say how it ended."""
        loop = asyncio.get_running_loop()
        job = self.rebuilder.current
        if job is not None and job.running:
            log.info("shutting down: waiting for the re-index started by %s (%.0f%%)", job.started_by, job.percent)
            await asyncio.to_thread(self.rebuilder.wait, max(0.0, deadline - loop.time()))
            if job.running:
                log.warning("shutting down during a re-index: cancelling it; the previous index stays published")
                self.rebuilder.cancel()
            if not await asyncio.to_thread(self.rebuilder.join, JOIN_SECONDS):
                log.error("the cancelled re-index did not stop within %.0f s", JOIN_SECONDS)
        if self._progress_tasks:  # the final edit and the audit row
            await asyncio.wait(set(self._progress_tasks), timeout=JOIN_SECONDS)

    # --- scheduled refresh -------------------------------------------------------------

    @tasks.loop(minutes=60)
    async def refresh_loop(self) -> None:
        if not self.bot.leader.is_leader:  # another process refreshes (bot/leader.py)
            return
        try:
            report = await self.bot.service.refresh_urls()
        except Exception as exc:  # keep the schedule alive; the next round tries again
            log.exception("scheduled refresh failed")
            await self.record("scheduler", "refresh", "URL sources", f"failed: {exc}", False)
            return
        if report.changed or report.failed:
            result = f"{report.checked} checked, re-indexed: {', '.join(report.changed) or 'none'}"
            for url, reason in report.failed[:5]:
                result += f"\nfailed {url}: {reason}"
            await self.record("scheduler", "refresh", "URL sources", result, not report.failed)

    @refresh_loop.before_loop
    async def _before_refresh(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot) -> None:
    await bot.add_cog(Moderation(bot))
