"""/insights [days]: for moderators, what this server asked, what the corpus could not answer (grouped by
topic: the sources that may be missing), the answers members voted down, the most cited sources and
the busiest hours.  Only this server's questions are shown; nothing in them says who asked."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import is_moderator
from bot.i18n import text

FIELD_MAX = 1024
FIELDS_MAX = 25
EXAMPLE_CHARS = 90  # one example question, in a topic's line
QUESTION_CHARS = 120  # a voted-down answer's question


def _moderators_only(interaction: discord.Interaction) -> bool:
    """The server-side check behind ``default_permissions``: a client that sends the command anyway is refused."""
    if not is_moderator(interaction):
        raise app_commands.CheckFailure(text("insights.refused", interaction))
    return True


def _lines_field(lines: list[str]) -> str:
    """As many whole lines as fit in one field."""
    value = ""
    for line in lines:
        candidate = f"{value}\n{line}" if value else line
        if len(candidate) > FIELD_MAX:
            break
        value = candidate
    return value or render.truncate(lines[0], FIELD_MAX)


def insights_embed(insights, locale, max_days: float) -> discord.Embed:
    """The report as one embed within Discord's limits (fields of 1024 characters, 25 fields, 6000 in all)."""
    def t(key: str, **values) -> str:
        return text(key, locale, **values)

    embed = discord.Embed(title=t("insights.title", days=f"{insights.days:g}"), colour=render.COLOUR)
    if not insights.asked:
        embed.description = t("insights.nothing")
    else:
        embed.description = t("insights.summary", asked=insights.asked, answered=insights.answered, refused=insights.refused)
    fields: list[tuple[str, list[str]]] = []
    if insights.refusal_kinds:
        kinds = sorted(insights.refusal_kinds.items(), key=lambda item: -item[1])
        fields.append((t("insights.why_refused"),
                       [t("insights.kind_line", kind=t("insights.kind." + kind.replace(" ", "_")), count=n) for kind, n in kinds]))
    topics = [t("insights.topic_line", term=render.escape(topic.term), count=topic.questions,
                examples=" · ".join(render.escape(render.truncate(q, EXAMPLE_CHARS)) for q in topic.examples))
              for topic in insights.refused_topics]
    if insights.refused_without_topic:
        topics.append(t("insights.without_topic", count=insights.refused_without_topic))
    if topics:
        fields.append((t("insights.topics"), topics))
    if insights.downvoted:
        fields.append((t("insights.downvoted"), [
            t("insights.downvoted_line", down=a.down, up=a.up, question=render.escape(render.truncate(a.question, QUESTION_CHARS)),
              sources=render.escape("; ".join(c["title"] for c in a.citations)) or t("insights.no_citations"))
            for a in insights.downvoted
        ]))
    if insights.top_sources:
        fields.append((t("insights.sources"), [
            f"{s.citations} × " + (f"[{render.escape(s.title)}]({s.url})" if s.url else render.escape(s.title))
            for s in insights.top_sources
        ]))
    busiest = insights.busiest_hours()
    if busiest:
        fields.append((t("insights.hours"), [t("insights.hour_line", hour=f"{h:02d}", count=insights.hours[h]) for h in busiest]))
    for name, lines in fields[:FIELDS_MAX]:
        embed.add_field(name=render.truncate(name, 256), value=_lines_field(lines), inline=False)
    embed.set_footer(text=t("insights.footer", max_days=f"{max_days:g}"))
    return render.fit(embed)


class Insights(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="insights", description="Moderators: questions asked and refused, answers voted down, top sources.")
    @app_commands.describe(days="The last N days (default 7; at most as many as the bot keeps)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.check(_moderators_only)
    async def insights(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        max_days = self.bot.state.max_age_days
        period = float(min(max(days, 1), max_days))
        report = await asyncio.to_thread(self._insights, period, interaction.guild_id)
        await interaction.edit_original_response(embed=insights_embed(report, interaction, max_days))

    def _insights(self, days: float, guild_id: int):
        service = self.bot.service
        vocabulary = service.snapshot().vocabulary() if service.has_index() else None
        return self.bot.state.insights(days, guild_id=guild_id, vocabulary=vocabulary)


async def setup(bot) -> None:
    await bot.add_cog(Insights(bot))
