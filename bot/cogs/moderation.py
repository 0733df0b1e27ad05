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
from bot.state import AuditEntry
from index.errors import AlreadyRunning, CrisisError
from index.jobs import Rebuilder, RebuildJob
from index.service import WriteResult

log = logging.getLogger(__name__)
FILE_TYPES = (".txt", ".jsonl", ".md", ".markdown", ".html", ".htm")
PROGRESS_SECONDS = 2.0  # how often the /reindex message is edited
JOIN_SECONDS = 10.0  # at shutdown, how long a cancelled re-index may take to reach its next batch
STOPPED = "Re-index stopped because the bot is restarting; the previous index is still serving."
LIST_PAGE = 10


def describe_change(result: WriteResult, title: str | None = None) -> str:
    """What a write changed, in one or two lines of plain text."""
    c = result.change
    what = f"{title}: " if title else ""
    verb = "replaced" if c.documents_replaced and not c.documents_added else "added"
    text = (
        f"{what}{verb}, {plural(c.paragraphs_added, 'paragraph')} added, "
        f"{plural(c.exact_duplicates + c.near_duplicates, 'duplicate')} skipped ({result.seconds:.1f} s)."
    )
    return text + skipped_lines(result)


def skipped_lines(result: WriteResult) -> str:
    """What reading skipped, and what it cut (a page or file over the paragraph caps)."""
    lines = [f"\nSkipped {Path(p.where).name}: {p.reason}" for p in result.load.skipped[:5]]
    lines += [f"\nNote on {Path(p.where).name}: {p.reason}" for p in result.load.warnings[:3]]
    return "".join(lines)


def shown(text: str, limit: int = 2000) -> str:
    """Plain text escaped for a message of at most ``limit`` characters."""
    return render.truncate(render.escape(render.truncate(text, limit - 200)), limit)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def progress_text(job: RebuildJob) -> str:
    """Where a re-index is, in plain text."""
    if job.running:
        counts = f" {job.done:,}/{job.total:,}" if job.total else ""
        unit = " paragraphs" if job.stage == "embedding" else ""
        eta = f", about {job.eta_seconds:.0f} s left" if (job.eta_seconds or 0) >= 1 else ""
        return f"Re-indexing: {job.stage}{counts}{unit} ({job.percent:.0f}%{eta}). Answers keep coming from the current index."
    if job.cancelled:
        return STOPPED
    if job.error:
        return f"Re-index failed: {job.error}. The previous index is still serving."
    manifest, change = job.result.manifest, job.result.change  # type: ignore[union-attr]
    text = (
        f"Re-index done in {job.elapsed:.1f} s: {plural(manifest.get('documents', 0), 'source')}, "
        f"{plural(manifest.get('paragraphs', 0), 'paragraph')} "
        f"({plural(change.exact_duplicates + change.near_duplicates, 'duplicate')} collapsed)."
    )
    return text + skipped_lines(job.result)  # type: ignore[arg-type]


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
        if (url is None) == (file is None):
            await interaction.response.send_message("Give either a `url` or a `file` (one of them).", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if url is not None:
            target = url.strip()[:500]
            summary, ok = await self._add_url(target)
        else:
            target = file.filename
            summary, ok = await self._add_file(file)
        await interaction.edit_original_response(content=shown(summary))
        await self.record(interaction.user, "sources add", target, summary, ok)

    async def _add_url(self, url: str) -> tuple[str, bool]:
        try:
            result = await self.bot.service.add_url(url)
        except CrisisError as exc:
            return f"Could not add {url}: {exc}. Nothing changed.", False
        return describe_change(result, result.load.documents[0].title), True

    async def _add_file(self, file: discord.Attachment) -> tuple[str, bool]:
        name = safe_filename(file.filename)
        if not name.lower().endswith(FILE_TYPES):
            return f"Could not add {file.filename}: use a .txt (seed format), .jsonl, .md or .html file.", False
        limit = self.bot.settings.max_upload_bytes
        if file.size > limit:
            return f"Could not add {file.filename}: {file.size:,} bytes, the limit is {limit:,}.", False
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            return f"Could not download {file.filename}: {exc.status}. Nothing changed.", False
        if len(data) > limit:
            return f"Could not add {file.filename}: larger than {limit:,} bytes.", False
        with tempfile.TemporaryDirectory(prefix="crisisbot-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                result = await asyncio.to_thread(self.bot.service.add_paths, [path])
            except CrisisError as exc:
                return f"Could not add {file.filename}: {exc}. Nothing changed.", False
        titles = ", ".join(sorted({d.title for d in result.load.documents}))[:300]
        return describe_change(result, titles or file.filename), True

    # --- /sources remove ---------------------------------------------------------------

    @sources.command(name="remove", description="Remove a source and its paragraphs.")
    @app_commands.describe(source="The source to remove (start typing its title)")
    @app_commands.rename(source="id")
    @moderator_check
    async def remove(self, interaction: discord.Interaction, source: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        titles = {d.id: d.title for d in await asyncio.to_thread(self.bot.service.documents)}
        try:
            result = await asyncio.to_thread(self.bot.service.remove_sources, [source])
        except CrisisError as exc:
            summary = f"Could not remove {source}: {exc}. Nothing changed."
            reply, ok = shown(summary), False
        else:
            title = titles.get(source, source)
            counts = f"{plural(result.change.paragraphs_removed, 'paragraph')} removed ({result.seconds:.1f} s)."
            summary, reply, ok = f"Removed {title}: {counts}", f"Removed **{render.escape(title)}**: {counts}", True
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
                label = render.label(f"{doc.title} ({doc.outlet}, {doc.date or 'undated'})", 100)
                choices.append(app_commands.Choice(name=label, value=doc.id[:100]))
            if len(choices) == 25:
                break
        return choices

    # --- /sources list and audit -------------------------------------------------------

    @sources.command(name="list", description="The sources I answer from, with paragraph counts and dates.")
    @app_commands.describe(page="Page number (10 sources a page)")
    @moderator_check
    async def list_sources(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10_000] = 1) -> None:
        documents = await asyncio.to_thread(self.bot.service.documents)
        pages = max(1, -(-len(documents) // LIST_PAGE))
        page = min(page, pages)
        listed = documents[(page - 1) * LIST_PAGE : page * LIST_PAGE]
        lines = [
            f"{render.code(d.id, 60)} {render.source_line(i, d.title, d.url, d.outlet, d.date)} · {d.paragraphs} paragraphs"
            for i, d in enumerate(listed, (page - 1) * LIST_PAGE + 1)
        ]
        embed = discord.Embed(title=f"Sources ({len(documents)})", description="\n".join(lines) or "No sources.", colour=render.COLOUR)
        embed.description = render.truncate(embed.description, render.DESCRIPTION_MAX)
        embed.set_footer(text=f"Page {page} of {pages}" + (f" · /sources list page:{page + 1} for more" if page < pages else ""))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @sources.command(name="audit", description="The most recent moderator actions.")
    @app_commands.describe(count="How many entries (up to 25)")
    @moderator_check
    async def audit(self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 25] = 10) -> None:
        entries = await asyncio.to_thread(self.bot.state.recent_audit, count)
        lines = [  # actor, target and result may come from the CLI or a web page: escaped here
            f"<t:{int(e.time)}:f> **{render.escape(render.truncate(e.actor, 80))}** {render.escape(e.action)} "
            f"{render.code(e.target, 80)} {'ok' if e.ok else 'FAILED'}: "
            f"{render.escape(render.truncate(e.result.splitlines()[0] if e.result else '', 150))}"
            for e in entries
        ]
        embed = discord.Embed(title="Recent moderator actions", colour=render.COLOUR,
                              description=render.truncate("\n".join(lines) or "Nothing yet.", render.DESCRIPTION_MAX))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- /reindex ----------------------------------------------------------------------

    @app_commands.command(name="reindex", description="Rebuild the whole index from every registered source (moderators).")
    @moderator_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        try:
            job = self.rebuilder.start(started_by=str(interaction.user))
        except AlreadyRunning as exc:
            await interaction.response.send_message(render.escape(str(exc)).capitalize() + ".", ephemeral=True)
            return
        await interaction.response.send_message(shown(progress_text(job)))
        task = asyncio.create_task(self._follow(interaction, job))
        self._progress_tasks.add(task)
        task.add_done_callback(self._progress_tasks.discard)

    async def _follow(self, interaction: discord.Interaction, job: RebuildJob) -> None:
        """Edit the progress message until the job ends, then give the summary and audit it."""
        last = None
        while job.running:
            if await asyncio.to_thread(self.rebuilder.wait, PROGRESS_SECONDS):  # wakes at once when it ends
                break
            text = shown(progress_text(job))
            if text != last:
                last = text
                try:
                    await interaction.edit_original_response(content=text)
                except discord.HTTPException as exc:  # e.g. the 15-minute interaction token expired
                    log.info("could not update the /reindex progress: %s", exc)
        summary = progress_text(job)
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
