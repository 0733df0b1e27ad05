"""The question path does its work once: a question whose named month finds nothing in the corpus's latest such
month, and is searched again over earlier years, is embedded and searched once, and answered as a fresh search of
the window it ends in would answer it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from index.service import CrisisService
from index.store.snapshot import Snapshot
from tests.helpers import make_settings

WAR = Path(__file__).parent / "eval" / "war" / "corpus"
# April 2022 (the Kremenchuk refinery, b-002) and April 2023: "early April" is first read as April 2023.
REPORTS = {"b-002", "b-008", "b-012", "b-018", "d-084", "d-085", "d-087", "d-091"}
QUESTION = "What got hit in Kremenchuk in early April?"
TODAY = dt.date(2023, 6, 1)


@pytest.fixture(scope="module")
def two_aprils(tmp_path_factory, embedder) -> CrisisService:
    folder = tmp_path_factory.mktemp("two-aprils")
    reports = [line for path in sorted(WAR.glob("*.jsonl")) for line in path.read_text(encoding="utf-8").splitlines()
               if json.loads(line)["id"] in REPORTS]
    assert len(reports) == len(REPORTS)
    (folder / "corpus").mkdir()
    (folder / "corpus" / "aprils.jsonl").write_text("\n".join(reports) + "\n", encoding="utf-8")
    service = CrisisService(make_settings(folder / "data"), embedder=embedder)
    service.build([folder / "corpus"])
    return service


def counting(monkeypatch, owner, name: str) -> list:
    calls: list = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_question_tried_over_earlier_years_is_embedded_and_searched_once(two_aprils, monkeypatch):
    embedded = counting(monkeypatch, two_aprils.embedder, "encode_one")
    dense = counting(monkeypatch, Snapshot, "dense_search")
    lexical = counting(monkeypatch, Snapshot, "lexical_search")
    answer = two_aprils.ask(QUESTION, today=TODAY)
    assert "2022" in answer.note and not answer.abstained  # April 2023 found nothing: April 2022 did
    assert answer.passages[0].paragraph.document.title == "Missile strikes destroy Kremenchuk oil refinery"
    assert (len(embedded), len(dense), len(lexical)) == (1, 1, 1)


def test_the_answer_after_earlier_years_is_a_fresh_search_of_its_window(two_aprils):
    answer = two_aprils.ask(QUESTION, today=TODAY)
    _, _, fresh = two_aprils.retrieve("What got hit in Kremenchuk?", since=answer.since, until=answer.until)
    assert [(p.id, p.score, p.dense, p.lexical, p.coverage) for p in answer.passages] == \
        [(p.id, p.score, p.dense, p.lexical, p.coverage) for p in fresh]
    assert answer.since == dt.date(2022, 4, 1) and answer.until == dt.date(2022, 4, 12)
