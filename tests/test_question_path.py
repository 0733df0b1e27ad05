"""The question path does its work once: a question whose named month finds nothing in the corpus's latest such
month, and is searched again over earlier years, is embedded and searched once, and answered as a fresh search of
the window it ends in would answer it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import search
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


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dates(dt.date(2022, 3, 25), dt.date(2023, 5, 5)), st.integers(0, 400), st.sampled_from(["both", "since", "until"]))
def test_the_candidates_kept_for_a_window_are_those_whose_rows_fall_in_it(two_aprils, since, days, ends):
    """A search within dates reads only the candidates ``paragraph_dates`` puts in the window: exactly those whose
    rows do, a report on the window's first or last day included, read before or after the rows are kept."""
    until = since + dt.timedelta(days=days)
    since, until = (since, until) if ends == "both" else (since, None) if ends == "since" else (None, until)
    folder = two_aprils.snapshot().folder
    view = Snapshot(folder, two_aprils.embedder.name)
    ids = list(range(1, view.size + 5))
    read_first = view.paragraph_dates(ids)
    rows = view.paragraphs(ids)
    kept_first = view.paragraph_dates(ids)
    expected = {pid for pid, row in rows.items() if search._in_range(row, since, until)}
    for dates in (read_first, kept_first):
        assert {pid for pid in ids if search._days_in_range(dates.get(pid, ()), since, until)} == expected


def test_a_report_on_the_last_day_of_a_window_is_in_it(two_aprils):
    view = two_aprils.snapshot()
    day = dt.date(2022, 4, 2)  # the Kremenchuk report's
    dated = view.paragraph_dates(range(1, view.size + 1))
    on_the_day = {pid for pid, dates in dated.items() if day.isoformat() in dates}
    assert on_the_day
    assert all(search._days_in_range(dated[pid], day - dt.timedelta(days=3), day) for pid in on_the_day)
    assert all(search._days_in_range(dated[pid], day, day + dt.timedelta(days=3)) for pid in on_the_day)
    assert not any(search._days_in_range(dated[pid], day + dt.timedelta(days=1), None) for pid in on_the_day
                   if all(d == day.isoformat() for d in dated[pid]))


def test_a_search_within_dates_reads_whole_only_the_candidates_within_them(two_aprils, monkeypatch):
    asked = counting(monkeypatch, Snapshot, "paragraphs")
    since, until = dt.date(2023, 4, 1), dt.date(2023, 4, 30)
    _, _, passages = two_aprils.retrieve("What did the missiles hit?", since=since, until=until)
    assert passages and all(search._in_range(p.paragraph, since, until) for p in passages)
    view = two_aprils.snapshot()
    read = {pid for _, ids in asked for pid in ids}
    dates = view.paragraph_dates(range(1, view.size + 1))
    assert read and all(search._days_in_range(dates.get(pid, ()), since, until) for pid in read)
    assert len(read) < view.size  # the April 2022 reports were candidates too, and were not read
