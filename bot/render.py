"""Answers and passages as Discord embeds, inside Discord's limits, with user text escaped.

Everything that comes from a member, a source or the audit log goes through
``escape`` (or ``code``/``label``) before it reaches Discord; a source URL is
linked only when ``link_target`` accepts it as a plain http(s) URL.
"""

from __future__ import annotations

import re
import urllib.parse

import discord

from bot.i18n import text as translated  # ``text`` names the text being rendered here
from index.answer import Answer
from index.phrases import phrase
from index.search import Passage

TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FIELDS_MAX, TOTAL_MAX = 256, 4096, 256, 1024, 25, 6000
FOOTER_MAX = 2048
SNIPPET_CHARS = 160
URL_MAX = 512  # longer source URLs are shown as text
PAGE_CHARS = 3800  # escaped paragraph text per "Show sources" embed
MESSAGE_TEXT_CHARS = 3500  # paragraph text one message carries, for sharing a click's messages between citations
CUT_NOTE = translated("search.cut_note")  # in English; source_messages takes the member's language
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


# What Discord would turn into a ping: @everyone, @here, <@id>, <@!id>, <@&id> (any length of id).
_MENTION_LIKE = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)
# Markdown anywhere in a line (and <...> tokens: channels, emoji, timestamps), and at the start of a line.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]<>])")
_LINE_START = re.compile(r"^(\s*)(?:([#+-])|(\d+)\.)", re.MULTILINE)
_CITATION_MARK = re.compile(r"\\\[(\d{1,3})\\\]")  # an escaped "[n]": the answer's own markers stay as they are
# Characters a markdown link target cannot hold safely (whitespace is refused separately).
_BREAKS_LINK = set("<>\"'`\\[]")


def defuse_mentions(text: str) -> str:
    return _MENTION_LIKE.sub("@\u200b", text)


def escape(text: str) -> str:
    """User or corpus text made inert: no mentions, no markdown, no masked links.

    Every markdown character gets a backslash (Discord shows it as itself), not
    only the ones ``discord.utils.escape_markdown`` picks: that one leaves the
    whole span from a "[" to a later "](...)" unescaped.
    """
    text = _MARKDOWN.sub(r"\\\1", defuse_mentions(text))
    text = _LINE_START.sub(lambda m: m[1] + (f"\\{m[2]}" if m[2] else f"{m[3]}\\."), text)
    return text.replace("](", "]\u200b(")


def code(text: str, limit: int = 100, language: str | None = None) -> str:
    """``text`` as inline code: shown literally, one line, no way out of the backticks, no mentions."""
    inert = defuse_mentions(" ".join(text.split())).replace("`", "\u02cb").replace("](", "]\u200b(")
    return f"`{truncate(inert, limit) if inert else translated('core.empty', language)}`"


def label(text: str, limit: int = 100, language: object = None) -> str:
    """Plain text for a place Discord shows without markdown (autocomplete choices): one line, no pings."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return truncate(defuse_mentions(flat).replace("](", "]\u200b("), limit) or translated("core.untitled", language)


def link_target(url: str | None) -> str | None:
    """``url`` as a markdown link target nothing can break out of; None when it is not a plain http(s) URL.

    Plain: printable ASCII without whitespace, quotes, angle or square brackets,
    backslashes or backticks, with a host and no user name.  Parentheses are
    percent-encoded (the same URL to a web server), so they cannot close the link.
    """
    if not url or len(url) > URL_MAX or not url.isascii():
        return None
    if any(ch.isspace() or not ch.isprintable() or ch in _BREAKS_LINK for ch in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        host, _ = parts.hostname, parts.port  # a bad port raises here
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return url.replace("(", "%28").replace(")", "%29")


def _link_text(text: str) -> str:
    """Text for inside ``[...]`` of a link: escaped, and with no square bracket to end it early."""
    return escape(text).replace("[", "(").replace("]", ")")


def source_line(n: int, title: str, url: str | None, source: str, date: str | None, language: str | None = None) -> str:
    """``**[n]** title — outlet · date``, the title linked to the source when its URL is a plain http(s) URL
    (any other URL is shown as inline code, not linked); a missing title is said in ``language``."""
    text = _link_text(truncate(title or translated("core.untitled", language), 200))
    target = link_target(url)
    if target:
        head = f"[{text}]({target})"
    elif url:
        head = f"{text} {code(url, 100)}"
    else:
        head = text
    meta = " · ".join(escape(truncate(x, 100)) for x in (source, date) if x)
    return f"**[{n}]** {head}" + (f" — {meta}" if meta else "")


def answer_embed(answer: Answer) -> discord.Embed:
    if answer.abstained:
        return abstention_embed(answer)
    text = _CITATION_MARK.sub(r"[\1]", escape(answer.answer))
    if answer.note:
        text = f"*{escape(answer.note)}*\n{text}"
    embed = discord.Embed(title=truncate(escape(answer.question), TITLE_MAX), description=truncate(text, DESCRIPTION_MAX), colour=COLOUR)
    for citation in answer.citations[:FIELDS_MAX]:
        value = source_line(citation.n, citation.title, citation.url, citation.source, citation.date, answer.language)
        # A glimpse of the paragraph: two citations of one article still tell apart.
        value += "\n> " + escape(truncate(citation.text, SNIPPET_CHARS))
        embed.add_field(name=phrase("source_n", answer.language, n=str(citation.n)), value=truncate(value, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=footer(answer))
    return fit(embed)


def footer(answer: Answer) -> str:
    return phrase("footer", answer.language, passages=str(answer.searched), ms=f"{answer.took_ms:.0f}")


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
    # The plain refusal reads as a reply in a chat; any other (what the corpus covers, an instruction) as it is.
    text = phrase("not_covered", answer.language) if answer.answer == phrase("abstain", answer.language) else escape(answer.answer)
    topics = closest_topics(answer.passages)
    if topics:
        text += f"\n\n{phrase('closest', answer.language)}\n" + "\n".join(f"• {escape(t)}" for t in topics)
    embed = discord.Embed(title=truncate(escape(answer.question), TITLE_MAX), description=text, colour=ABSTAIN_COLOUR)
    embed.set_footer(text=footer(answer))
    return fit(embed)


def passages_embed(query: str, passages: list[Passage], limit: int = 5, *, start: int = 1,
                   title: str = "search.passages_for", language: str | None = None) -> discord.Embed:
    """Passages numbered from ``start``, each with its source line and text, inside the field limits;
    ``title`` is the key of the title's text, in ``language``."""
    embed = discord.Embed(title=truncate(translated(title, language, query=escape(query)), TITLE_MAX), colour=COLOUR)
    if not passages:
        embed.description = translated("search.no_more" if start > 1 else "search.none_found", language)
    for i, passage in enumerate(passages[:limit], start):
        doc = passage.paragraph.document
        head = source_line(i, doc.title, doc.url, doc.outlet, doc.date, language)
        body = escape(truncate(passage.paragraph.text, FIELD_VALUE_MAX))
        embed.add_field(
            name=translated("search.score", language, n=i, score=f"{passage.score:.2f}"),
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


def escaped_chunks(text: str, first: int, rest: int = PAGE_CHARS) -> list[str]:
    """``text`` cut into pieces and escaped, the first at most ``first`` characters, the others ``rest``.

    The plain text is cut, not the escaped one, so no escape is split across two embeds.
    """
    chunks: list[str] = []
    budget = first
    while text or not chunks:
        size = min(len(text), budget)
        piece = escape(text[:size])
        while len(piece) > budget:  # escaping grew it: take less
            size = max(1, min(size - 1, size * budget // len(piece)))
            piece = escape(text[:size])
        chunks.append(piece)
        text, budget = text[size:], rest
    return chunks


def citation_pages(c, max_chars: int | None = None, cut_note: str = CUT_NOTE, language: str | None = None) -> list[discord.Embed]:
    """One cited paragraph in full as embeds; past ``max_chars`` characters it is cut with ``cut_note``."""
    head = source_line(c.n, c.title, c.url, c.source, c.date, language) + "\n\n"
    paragraph, note = c.text, ""
    if max_chars is not None and len(paragraph) > max_chars:
        paragraph, note = paragraph[:max_chars].rstrip(), "\n" + cut_note
    room = DESCRIPTION_MAX - len(note)
    chunks = escaped_chunks(paragraph, min(PAGE_CHARS, room - len(head)), min(PAGE_CHARS, room))
    chunks[0] = head + chunks[0]
    chunks[-1] += note
    return [discord.Embed(description=chunk, colour=COLOUR) for chunk in chunks]


def paragraph_pages(citations) -> list[discord.Embed]:
    """The cited paragraphs in full, as many embeds as they need (each under the limits)."""
    return [page for c in citations for page in citation_pages(c)]


def source_messages(citations, max_messages: int, language: str | None = None) -> list[list[discord.Embed]]:
    """The cited paragraphs as at most ``max_messages`` messages of embeds.

    Each citation gets an equal share of the text those messages hold; a longer
    paragraph is cut with a note (in ``language``) pointing to its source.
    """
    cut_note = translated("search.cut_note", language)
    share = max(500, max_messages * MESSAGE_TEXT_CHARS // max(1, len(citations)))
    groups = batches([page for c in citations for page in citation_pages(c, share, cut_note, language)])
    if len(groups) <= max_messages:
        return groups
    groups = groups[:max_messages]  # escaping made some pages longer than planned: cut at the last message
    last_group = groups[-1]
    while len(last_group) > 1 and sum(len(e) for e in last_group) + len(cut_note) + 1 > TOTAL_MAX:
        last_group.pop()
    last = last_group[-1]
    description = last.description or ""
    if description.endswith(cut_note):
        return groups
    room = min(DESCRIPTION_MAX, TOTAL_MAX - sum(len(e) for e in last_group) + len(description))
    last.description = description[: room - len(cut_note) - 1] + "\n" + cut_note
    return groups


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
