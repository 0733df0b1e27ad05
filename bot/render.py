"""Answers and passages as Discord embeds, inside Discord's limits, with user text escaped."""

from __future__ import annotations

import re

import discord

from index.answer import Answer
from index.search import Passage

TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FIELDS_MAX, TOTAL_MAX = 256, 4096, 256, 1024, 25, 6000
FOOTER_MAX = 2048
SNIPPET_CHARS = 160
COLOUR = discord.Colour.blurple()
ABSTAIN_COLOUR = discord.Colour.light_grey()


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary when possible, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def escape(text: str) -> str:
    """User or corpus text made inert: no mentions, no markdown, no masked links."""
    text = discord.utils.escape_mentions(text)
    text = discord.utils.escape_markdown(text)
    return text.replace("](", "]\u200b(")


def _link_text(text: str) -> str:
    return escape(text).replace("[", "(").replace("]", ")")


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


def source_line(n: int, title: str, url: str | None, source: str, date: str | None) -> str:
    label = _link_text(truncate(title, 200))
    head = f"[{label}]({url})" if url and url.startswith(("http://", "https://")) else label
    meta = " · ".join(escape(x) for x in (source, date) if x)
    return f"**[{n}]** {head}" + (f" — {meta}" if meta else "")


def answer_embed(answer: Answer) -> discord.Embed:
    if answer.abstained:
        return abstention_embed(answer)
    embed = discord.Embed(
        title=truncate(escape(answer.question), TITLE_MAX),
        description=truncate(discord.utils.escape_mentions(answer.answer).replace("](", "]\u200b("), DESCRIPTION_MAX),
        colour=COLOUR,
    )
    for citation in answer.citations[:FIELDS_MAX]:
        value = source_line(citation.n, citation.title, citation.url, citation.source, citation.date)
        # A glimpse of the paragraph: two citations of one article still tell apart.
        value += "\n> " + escape(truncate(citation.text, SNIPPET_CHARS))
        embed.add_field(name=f"Source {citation.n}", value=truncate(value, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=footer(answer))
    return fit(embed)


def footer(answer: Answer) -> str:
    return f"{answer.searched} passages searched · {answer.took_ms:.0f} ms"


def closest_topics(passages: list[Passage], limit: int = 3) -> list[str]:
    topics: list[str] = []
    for passage in passages:
        title = passage.paragraph.document.title or ""
        words = (title or passage.paragraph.text).split()
        topic = " ".join(words[:10]) + (" …" if len(words) > 10 else "")
        if topic and topic not in topics:
            topics.append(topic)
        if len(topics) == limit:
            break
    return topics


def abstention_embed(answer: Answer) -> discord.Embed:
    text = "That isn't covered by my sources, so I won't guess."
    topics = closest_topics(answer.passages)
    if topics:
        text += "\n\nThe closest topics I do have:\n" + "\n".join(f"• {escape(t)}" for t in topics)
    embed = discord.Embed(title=truncate(escape(answer.question), TITLE_MAX), description=text, colour=ABSTAIN_COLOUR)
    embed.set_footer(text=footer(answer))
    return fit(embed)


def passages_embed(query: str, passages: list[Passage], limit: int = 5, *, start: int = 1, title: str = "Passages for") -> discord.Embed:
    """Passages numbered from ``start``, each with its source line and text, inside the field limits."""
    embed = discord.Embed(title=truncate(f"{title}: {escape(query)}", TITLE_MAX), colour=COLOUR)
    if not passages:
        embed.description = "No more passages." if start > 1 else "No passages found."
    for i, passage in enumerate(passages[:limit], start):
        doc = passage.paragraph.document
        head = source_line(i, doc.title, doc.url, doc.outlet, doc.date)
        body = escape(passage.paragraph.text)
        embed.add_field(
            name=f"{i}. score {passage.score:.2f}",
            value=truncate(f"{head}\n{body}", FIELD_VALUE_MAX),
            inline=False,
        )
    return fit(embed)


def fit(embed: discord.Embed) -> discord.Embed:
    """Shrink the description, then drop fields, until the embed is within the 6000-character total."""
    while len(embed) > TOTAL_MAX:
        excess = len(embed) - TOTAL_MAX
        if embed.description and len(embed.description) > 200:
            embed.description = truncate(embed.description, max(200, len(embed.description) - excess))
        elif embed.fields:
            embed.remove_field(len(embed.fields) - 1)
        else:
            break
    return embed


def paragraph_pages(citations, page_chars: int = DESCRIPTION_MAX) -> list[discord.Embed]:
    """The cited paragraphs in full, as many embeds as they need (each under the limits)."""
    embeds: list[discord.Embed] = []
    for c in citations:
        head = source_line(c.n, c.title, c.url, c.source, c.date)
        text = escape(c.text)
        chunks = [text[i : i + 3800] for i in range(0, len(text), 3800)] or [""]
        for j, chunk in enumerate(chunks):
            embed = discord.Embed(description=(head + "\n\n" if j == 0 else "") + chunk, colour=COLOUR)
            embeds.append(embed)
    return embeds


def batches(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: at most 10 per message and 6000 characters in all."""
    groups: list[list[discord.Embed]] = [[]]
    for embed in embeds:
        if len(groups[-1]) == 10 or sum(len(e) for e in groups[-1]) + len(embed) > TOTAL_MAX:
            groups.append([])
        groups[-1].append(embed)
    return [g for g in groups if g]


_MENTION = re.compile(r"<@!?\d+>")


def strip_mentions(content: str) -> str:
    return _MENTION.sub(" ", content).strip()
