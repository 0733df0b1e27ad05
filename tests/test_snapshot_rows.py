"""A loaded index folder keeps the paragraph rows it last read (index/store/snapshot.py): the same rows as a
fresh read, never more than ROW_CACHE of them, whatever is asked in whatever order."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import store
from index.store import schema, snapshot


@pytest.fixture(scope="module")
def folder(built_data_dir):
    return store.current_folder(built_data_dir)


def fresh(folder) -> snapshot.Snapshot:
    return snapshot.Snapshot(folder, schema.read_manifest(folder)["model"], verify=False)


def test_rows_read_again_are_the_rows_read_first(folder):
    view = fresh(folder)
    ids = list(range(1, 30))
    first = view.paragraphs(ids)
    assert set(first) <= set(ids) and first
    again = view.paragraphs(list(reversed(ids)) + [10_000_000])  # an id that does not exist is left out
    assert again == first and all(again[i] is first[i] for i in first)
    assert view.paragraphs([]) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(0, 60), max_size=25), max_size=12), st.integers(1, 20))
def test_the_kept_rows_are_bounded_and_always_right(folder, monkeypatch, asks, bound):
    monkeypatch.setattr(snapshot, "ROW_CACHE", bound)
    view, plain = fresh(folder), fresh(folder)
    for ids in asks:
        assert view.paragraphs(ids) == plain._read_paragraphs(ids)
        assert len(view._rows) <= bound


def test_threads_reading_at_once_get_whole_rows(folder, monkeypatch):
    monkeypatch.setattr(snapshot, "ROW_CACHE", 16)
    view = fresh(folder)
    expected = fresh(folder)._read_paragraphs(list(range(1, 50)))
    wrong: list = []

    def read(offset: int) -> None:
        for n in range(40):
            ids = [1 + (offset * 7 + n * 3 + k) % 49 for k in range(12)]
            got = view.paragraphs(ids)
            if got != {i: expected[i] for i in ids if i in expected}:
                wrong.append(ids)

    threads = [threading.Thread(target=read, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong and len(view._rows) <= 16
