"""One date parser for every front end: what it accepts, and that nothing else escapes it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.dates import parse_day
from index.errors import BadDate, CrisisError


@pytest.mark.parametrize("text", ["2022-02-17", "20220217", "  2022-02-17 "])
def test_the_accepted_spellings(text):
    assert parse_day(text, "since") == dt.date(2022, 2, 17)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_missing_option_is_no_date(text):
    assert parse_day(text, "since") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_bad_date_with_the_option_named(text):
    try:
        day = parse_day(text, "`since`")
    except BadDate as exc:
        assert isinstance(exc, CrisisError) and exc.exit_code == 2 and "`since`" in str(exc)
    else:
        assert day is None or isinstance(day, dt.date)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1)))
def test_every_iso_date_round_trips(day):
    assert parse_day(day.isoformat(), "until") == day
    assert parse_day(day.strftime("%Y%m%d"), "until") == day
