"""Reading every supported format, and skipping what cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

from index import ingest, text
from index.config import BUNDLED_CORPUS

SEED = next(BUNDLED_CORPUS.glob("*.txt"))


def test_seed_format_header_and_paragraphs():
    report = ingest.load([SEED])
    assert not report.skipped
    [doc] = report.documents
    assert doc.title == "The latest on the Ukraine Russia border crisis"  # "UkraineRussia" repaired
    assert doc.date == "2022-02-10"  # as the file's header says
    assert doc.url.startswith("https://edition.cnn.com/")
    assert doc.outlet == "CNN"
    # "Our live coverage has ended for the day..." is page furniture, not news.
    assert report.boilerplate_dropped == 1
    assert not any("live coverage has ended" in p.lower() for p in doc.paragraphs)
    assert len(doc.paragraphs) == 50


def test_glued_words_are_repaired_in_display_text():
    cleaned = text.clean("Johnson accused Russia offabricating apretext to invade Ukraineby attacking a kindergarten in Donbas.")
    assert "of fabricating a pretext" in cleaned
    # A capitalised word is never split (issue 14: "Bucha" came back as "Buch a"), so this glue stays.
    assert "Ukraineby" in cleaned
    assert "Donbas" in cleaned  # a name is not cut up
    assert text.clean("security concerns.As lead diplomats") == "security concerns. As lead diplomats"
    assert text.clean("the ongoingRussia-Ukraine tensions, the 2015Minsk Agreement") == "the ongoing Russia-Ukraine tensions, the 2015 Minsk Agreement"


def test_lexical_tokens_survive_stripped_apostrophes_and_glue():
    assert set(text.lexical_tokens("Russia's claims")) == set(text.lexical_tokens("Russias claims"))
    assert "pretext" in text.lexical_tokens("apretext")
    assert "lavrov" in text.lexical_tokens("Lavrov")


def test_jsonl_keeps_unknown_fields_and_reports_bad_lines(tmp_path: Path):
    path = tmp_path / "feed.jsonl"
    lines = [
        {"id": "a1", "title": "Talks in Geneva", "date": "2022-01-10", "url": "https://www.reuters.com/x", "text": "Diplomats met in Geneva for seven hours of talks on security guarantees.", "author": "R. Reporter"},
        "not json at all",
        {"title": "No body"},
        {"title": "Second", "date": "2022-01-11T08:00:00Z", "text": "First paragraph about the sanctions package.\n\nSecond paragraph about the gas pipeline decision."},
    ]
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines), encoding="utf-8")
    report = ingest.load([path])
    assert [d.title for d in report.documents] == ["Talks in Geneva", "Second"]
    first, second = report.documents
    assert first.id == "a1" and first.outlet == "Reuters" and first.meta["author"] == "R. Reporter"
    assert second.date == "2022-01-11" and len(second.paragraphs) == 2
    reasons = {p.where.rsplit(":", 1)[1]: p.reason for p in report.warnings}
    assert "invalid JSON" in reasons["2"]
    assert "missing" in reasons["3"]


def test_markdown_front_matter_and_markup(tmp_path: Path):
    path = tmp_path / "brief.md"
    path.write_text(
        "---\ntitle: Weekly brief\ndate: 2022-02-20\nurl: https://www.bbc.co.uk/news/brief\n---\n"
        "# Weekly brief\n\nNATO **allies** met in [Brussels](https://example.org) to discuss the eastern flank.\n\n"
        "```\ncode is not news\n```\n\n## A subheading\n\n- Troop numbers near the border kept rising all week.\n",
        encoding="utf-8",
    )
    [doc] = ingest.load([path]).documents
    assert (doc.title, doc.date, doc.outlet) == ("Weekly brief", "2022-02-20", "BBC")
    assert doc.paragraphs == [
        "NATO allies met in Brussels to discuss the eastern flank.",
        "Troop numbers near the border kept rising all week.",
    ]


def test_html_is_extracted_with_trafilatura(tmp_path: Path):
    body = "".join(
        f"<p>Paragraph {i}: the foreign ministers discussed the troop build-up near the border and the sanctions that would follow an invasion.</p>"
        for i in range(6)
    )
    page = f"""<!doctype html><html><head><title>Ministers meet - Example News</title>
    <meta property="og:title" content="Ministers meet over border build-up">
    <meta property="article:published_time" content="2022-02-18T10:00:00Z">
    <meta property="og:site_name" content="Example News"></head>
    <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
    <article><h1>Ministers meet over border build-up</h1>{body}</article>
    <footer>Copyright Example News. All rights reserved.</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    report = ingest.load([path])
    assert not report.skipped
    [doc] = report.documents
    assert doc.title == "Ministers meet over border build-up"
    assert doc.date == "2022-02-18"
    assert len(doc.paragraphs) == 6
    assert not any("Copyright" in p or "Home" == p for p in doc.paragraphs)


def test_plain_text_without_header(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("Evacuation notes\n\nCivilians left the city by train on Friday morning.\n\nMore trains were promised for the weekend.\n", encoding="utf-8")
    [doc] = ingest.load([path]).documents
    assert doc.title == "Evacuation notes"
    assert len(doc.paragraphs) == 2


def test_malformed_files_are_skipped_and_reported_the_rest_loaded(tmp_path: Path):
    (tmp_path / "good.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad-date.txt").write_text("Title\n2022131\nhttps://example.org/a\nSome paragraph text that is long enough.\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n\nText".encode("latin-1"))
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    report = ingest.load([tmp_path, tmp_path / "missing.txt"])
    assert [d.title for d in report.documents] == ["The latest on the Ukraine Russia border crisis"]
    reasons = {Path(p.where).name: p.reason for p in report.skipped}
    assert "not a YYYYMMDD date" in reasons["bad-date.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "empty" in reasons["empty.jsonl"]
    assert "unsupported file type .png" in reasons["image.png"]
    assert "no such file" in reasons["missing.txt"]


def test_sentences_are_substrings_of_their_paragraph():
    [doc] = ingest.load([SEED]).documents
    for paragraph in doc.paragraphs:
        sentences = text.split_sentences(paragraph)
        assert sentences
        for s in sentences:
            assert s in paragraph
    assert text.split_sentences("He met U.S. officials. They agreed.") == ["He met U.S. officials.", "They agreed."]


def test_sentence_spans_are_ordered_stripped_and_cover_the_text():
    paragraph = "  He met U.S. officials.  They agreed.\n"
    spans = text.sentence_spans(paragraph)
    assert [paragraph[a:b] for a, b in spans] == ["He met U.S. officials.", "They agreed."]
    assert text.sentence_spans("   ") == []
    [doc] = ingest.load([SEED]).documents
    for p in doc.paragraphs:
        spans = text.sentence_spans(p)
        assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))
        assert "".join(p[a:b] for a, b in spans).replace(" ", "") == p.replace(" ", "")
