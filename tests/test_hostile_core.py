"""Hostile questions and files through the core: a clear refusal or an answer, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import ingest
from index.service import BadQuestion, CrisisService

from .hostile_inputs import HOSTILE_TEXT


def test_the_hostile_corpus_is_big_enough():
    assert len(HOSTILE_TEXT) >= 50


@pytest.mark.timeout(120)
def test_hostile_questions_answer_or_refuse_clearly(shared_service: CrisisService):
    for text in HOSTILE_TEXT:
        try:
            answer = shared_service.ask(text)
        except BadQuestion as exc:
            assert str(exc).startswith("the question is"), (text[:40], exc)
            continue
        # Whatever it says comes from the corpus, never from the question.
        assert "@everyone" not in answer.answer and "<@" not in answer.answer
        assert "evil.example" not in answer.answer
        for c in answer.citations:
            assert c.text in {p.paragraph.text for p in answer.passages}
        try:
            shared_service.search(text, k=5)
        except BadQuestion:
            pass


def test_sql_like_text_changes_nothing(service: CrisisService):
    before = service.stats()["paragraphs"]
    for text in HOSTILE_TEXT:
        if "DROP" in text or "DELETE" in text:
            service.ask(text)
    assert service.stats()["paragraphs"] == before


@pytest.mark.timeout(60)
def test_hostile_files_are_skipped_or_read_without_harm(tmp_path: Path):
    (tmp_path / "huge.txt").write_bytes(b"a" * (ingest.MAX_FILE_BYTES + 1))
    (tmp_path / "binary.html").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "bomb.html").write_text("<div>" * 100_000 + "text" + "</div>" * 100_000, encoding="utf-8")
    (tmp_path / "wide.html").write_text("<html><body>" + "<p>x</p>" * 50_000 + "</body></html>", encoding="utf-8")
    (tmp_path / "controls.jsonl").write_text('{"title": "\\u0000\\u202e", "text": "\\u200b\\u0007 Evacuation trains left Kharkiv on Friday morning with hundreds aboard."}\n', encoding="utf-8")
    (tmp_path / "weird name;rm -rf.md").write_text("# T\n\nA paragraph long enough to keep around for the index.\n", encoding="utf-8")
    report = ingest.load([tmp_path])
    reasons = {Path(p.where).name: p.reason for p in report.skipped}
    assert "over the 20 MiB limit" in reasons["huge.txt"]
    assert "binary" in reasons["binary.html"]
    docs = {Path(d.origin).name: d for d in report.documents}
    assert docs["controls.jsonl"].paragraphs == ["Evacuation trains left Kharkiv on Friday morning with hundreds aboard."]
    assert "\u202e" not in docs["controls.jsonl"].title
    assert "weird name;rm -rf.md" in docs
