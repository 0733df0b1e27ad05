"""Embeds stay inside Discord's limits whatever the corpus holds (long paragraphs, many citations, markup)."""

from __future__ import annotations

import discord

from bot import render
from index.answer import Answer, Citation


def long_answer(paragraph_chars: int = 12_000, citations: int = 30) -> Answer:
    text = ("The Kremlin said on Thursday [that] **troops** were withdrawing @everyone. " * 400)[:paragraph_chars]
    cited = [
        Citation(n, "T" * 400 + f" {n}", f"https://example.org/{n}", "2022-02-17", "example.org", text, 0.5, n, f"doc{n}")
        for n in range(1, citations + 1)
    ]
    body = " ".join(f"{text[:300]} [{n}]" for n in range(1, citations + 1))
    return Answer("q" * 600, body, False, cited, [], 123, 45.0)


def within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= render.TOTAL_MAX
    assert len(embed.title or "") <= render.TITLE_MAX
    assert len(embed.description or "") <= render.DESCRIPTION_MAX
    assert len(embed.fields) <= render.FIELDS_MAX
    assert all(len(f.name) <= render.FIELD_NAME_MAX and len(f.value) <= render.FIELD_VALUE_MAX for f in embed.fields)
    assert len(embed.footer.text or "") <= render.FOOTER_MAX


def test_a_huge_answer_fits_and_keeps_its_first_sources():
    embed = render.answer_embed(long_answer())
    within_limits(embed)
    assert embed.fields[0].value.startswith("**[1]**")
    assert embed.description.endswith("…") or len(embed.description) < render.DESCRIPTION_MAX
    assert "@everyone" not in embed.to_dict().__repr__()


def test_full_paragraph_pages_split_long_paragraphs_and_batch_within_message_limits():
    answer = long_answer(paragraph_chars=9_000, citations=4)
    pages = render.paragraph_pages(answer.citations)
    assert len(pages) > 4  # each 9,000-character paragraph needs more than one embed
    for page in pages:
        within_limits(page)
    batches = render.batches(pages)
    assert all(len(batch) <= 10 and sum(len(e) for e in batch) <= render.TOTAL_MAX for batch in batches)
    assert sum(len(batch) for batch in batches) == len(pages)


def test_escape_defuses_mentions_and_masked_links():
    text = render.escape("@everyone @here <@&123456789012345678> [x](https://evil.example) **b**")
    assert "@everyone" not in text and "@here" not in text and "<@&1" not in text
    assert "](https://evil" not in text and "**b**" not in text
