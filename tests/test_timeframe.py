"""Time windows in questions and dates in sentences: every supported form in English, Ukrainian and Russian,
the look-alikes that must not become windows, and properties that hold for any text and any dates."""

from __future__ import annotations

import datetime as dt
import re
import timeit

import dateparser
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from index.timeframe import (
    MONTHS,
    UPCOMING,
    WEEKDAYS,
    Window,
    asked_window,
    bound_day,
    format_day,
    format_window,
    parse_window,
    reported_after,
    stated_date,
    stated_on,
    strip_window,
    weekday_window,
    year_earlier,
)

TODAY = dt.date(2026, 12, 5)  # a Saturday
CORPUS_END = dt.date(2023, 4, 30)
PUBLISHED = dt.date(2022, 4, 9)  # a Saturday
D = dt.date.fromisoformat

WINDOWS = [  # question, since, until, relative_to (today=TODAY, corpus_end=CORPUS_END)
    # a month with its year
    ("What happened in Kherson in March 2022?", "2022-03-01", "2022-03-31", "calendar"),
    ("March 2022 shelling of Mariupol", "2022-03-01", "2022-03-31", "calendar"),
    ("Mar 2022 losses", "2022-03-01", "2022-03-31", "calendar"),
    ("What did Zelensky say in Sept. 2022?", "2022-09-01", "2022-09-30", "calendar"),
    ("What happened in MARCH 2022", "2022-03-01", "2022-03-31", "calendar"),
    ("Що сталося у березні 2022?", "2022-03-01", "2022-03-31", "calendar"),
    ("Що було в березні 2022 року?", "2022-03-01", "2022-03-31", "calendar"),
    ("Что было в марте 2022?", "2022-03-01", "2022-03-31", "calendar"),
    ("Что было в марте 2022 года?", "2022-03-01", "2022-03-31", "calendar"),
    # a month alone: the latest one begun by the corpus's last date
    ("What happened in March?", "2023-03-01", "2023-03-31", "corpus"),
    ("what happened in march", "2023-03-01", "2023-03-31", "corpus"),
    ("Was Kherson shelled in June?", "2022-06-01", "2022-06-30", "corpus"),
    ("Що сталося у березні?", "2023-03-01", "2023-03-31", "corpus"),
    ("Что было в марте?", "2023-03-01", "2023-03-31", "corpus"),
    # early / mid / late
    ("in mid-March 2022", "2022-03-11", "2022-03-20", "calendar"),
    ("early June", "2022-06-01", "2022-06-10", "corpus"),
    # holdout86, written blind: "Per the UNHCR's early 2023 figures, which country came second after Poland ...?" searched
    # every date, and was answered from May 2022.  A part of a year is a season's three months of it.
    ("Per the UNHCR's early 2023 figures, who came second?", "2023-01-01", "2023-03-31", "calendar"),
    ("in mid-2022", "2022-05-01", "2022-07-31", "calendar"),
    ("at the end of 2022", "2022-10-01", "2022-12-31", "calendar"),
    ("on the last day of 2022", "2022-12-31", "2022-12-31", "calendar"),
    ("late February 2022", "2022-02-21", "2022-02-28", "calendar"),
    ("mid-May", "2022-05-11", "2022-05-20", "corpus"),
    ("at the end of May 2022", "2022-05-21", "2022-05-31", "calendar"),
    ("в начале июня", "2022-06-01", "2022-06-10", "corpus"),
    ("в конце февраля", "2023-02-21", "2023-02-28", "corpus"),
    ("в середине мая", "2022-05-11", "2022-05-20", "corpus"),
    ("на початку червня", "2022-06-01", "2022-06-10", "corpus"),
    ("наприкінці лютого", "2023-02-21", "2023-02-28", "corpus"),
    ("в середині травня", "2022-05-11", "2022-05-20", "corpus"),
    # a day
    ("What happened on 8 April 2022?", "2022-04-08", "2022-04-08", "calendar"),
    ("8 April", "2023-04-08", "2023-04-08", "corpus"),
    ("April 8", "2023-04-08", "2023-04-08", "corpus"),
    ("April 8, 2022", "2022-04-08", "2022-04-08", "calendar"),
    ("Was Kyiv shelled on 24 February?", "2023-02-24", "2023-02-24", "corpus"),
    ("Was Kyiv shelled on Feb. 24?", "2023-02-24", "2023-02-24", "corpus"),
    ("the 8th of May 2022", "2022-05-08", "2022-05-08", "calendar"),
    ("2022-04-08", "2022-04-08", "2022-04-08", "calendar"),
    ("31 April 2022", "2022-04-30", "2022-04-30", "calendar"),
    ("Що сталося 8 квітня 2022?", "2022-04-08", "2022-04-08", "calendar"),
    ("Что случилось 8 апреля?", "2023-04-08", "2023-04-08", "corpus"),
    ("Що сталося 24.02.2022?", "2022-02-24", "2022-02-24", "calendar"),
    # A day with slashes, when one reading alone makes a date (holdout17: "where were energy facilities hit in the
    # 1/26 missile attack?" was refused, "26" taken for a number no report held).
    ("where were energy facilities hit in the 1/26 missile attack?", "2023-01-26", "2023-01-26", "corpus"),
    ("What happened on 4/23/2022?", "2022-04-23", "2022-04-23", "calendar"),
    ("Що сталося 23/04/22?", "2022-04-23", "2022-04-23", "calendar"),
    # a year
    ("What happened in 2022?", "2022-01-01", "2022-12-31", "calendar"),
    ("during 2024", "2024-01-01", "2024-12-31", "calendar"),
    ("casualties 2023?", "2023-01-01", "2023-12-31", "calendar"),
    ("Що сталося у 2022 році?", "2022-01-01", "2022-12-31", "calendar"),
    ("Что было в 2023 году?", "2023-01-01", "2023-12-31", "calendar"),
    # seasons
    ("in summer 2022", "2022-06-01", "2022-08-31", "calendar"),
    ("in the summer of 2022", "2022-06-01", "2022-08-31", "calendar"),
    ("this summer", "2026-06-01", "2026-08-31", "today"),
    ("in autumn", "2022-09-01", "2022-11-30", "corpus"),
    ("in the fall", "2022-09-01", "2022-11-30", "corpus"),
    ("winter 2022", "2022-12-01", "2023-02-28", "calendar"),
    ("in the winter of 2022-23", "2022-12-01", "2023-02-28", "calendar"),
    ("влітку 2022 року", "2022-06-01", "2022-08-31", "calendar"),
    ("осенью 2022 года", "2022-09-01", "2022-11-30", "calendar"),
    ("прошлой зимой", "2025-12-01", "2026-02-28", "today"),
    # open ranges
    ("since August", "2022-08-01", None, "corpus"),
    ("since August 2022", "2022-08-01", None, "calendar"),
    ("after 1 May", "2022-05-02", None, "corpus"),
    ("from May on", "2022-05-01", None, "corpus"),
    ("before June 2022", None, "2022-05-31", "calendar"),
    ("until May", None, "2022-05-31", "corpus"),
    ("by April", None, "2023-04-30", "corpus"),
    ("since 2014", "2014-01-01", None, "calendar"),
    ("с августа", "2022-08-01", None, "corpus"),
    ("после мая", "2022-06-01", None, "corpus"),
    ("до июня", None, "2022-05-31", "corpus"),
    ("з серпня", "2022-08-01", None, "corpus"),
    ("після травня", "2022-06-01", None, "corpus"),
    ("до червня", None, "2022-05-31", "corpus"),
    # explicit ranges
    ("between March and May 2022", "2022-03-01", "2022-05-31", "calendar"),
    ("from 1 March to 15 April 2022", "2022-03-01", "2022-04-15", "calendar"),
    ("from March to May", "2022-03-01", "2022-05-31", "corpus"),
    ("from December to February", "2022-12-01", "2023-02-28", "corpus"),
    ("24 Feb-3 Mar 2022", "2022-02-24", "2022-03-03", "calendar"),
    ("з березня по травень 2022", "2022-03-01", "2022-05-31", "calendar"),
    ("між березнем і травнем 2022 року", "2022-03-01", "2022-05-31", "calendar"),
    ("с марта по май", "2022-03-01", "2022-05-31", "corpus"),
    # relative to today
    ("What happened yesterday?", "2026-12-04", "2026-12-04", "today"),
    # holdout35, written blind: "Was it the day before yesterday that Moscow announced Azovstal had fallen?" searched
    # yesterday, found nothing and was refused.
    ("Was it the day before yesterday that Azovstal fell?", "2026-12-03", "2026-12-03", "today"),
    ("the explosion outside Moscow, was that the night before last?", "2026-12-03", "2026-12-03", "today"),
    ("Що сталося позавчора?", "2026-12-03", "2026-12-03", "today"), ("Что было позавчера?", "2026-12-03", "2026-12-03", "today"),
    ("What happened today?", "2026-12-05", "2026-12-05", "today"),
    ("this week", "2026-11-30", "2026-12-05", "today"),
    ("last week", "2026-11-28", "2026-12-05", "today"),
    ("the past week", "2026-11-28", "2026-12-05", "today"),
    ("in the past 7 days", "2026-11-28", "2026-12-05", "today"),
    ("last month", "2026-11-01", "2026-11-30", "today"),
    ("this month", "2026-12-01", "2026-12-05", "today"),
    ("past month", "2026-11-05", "2026-12-05", "today"),
    ("last 30 days", "2026-11-05", "2026-12-05", "today"),
    ("in the last 3 weeks", "2026-11-14", "2026-12-05", "today"),
    ("in the last two months", "2026-10-06", "2026-12-05", "today"),
    ("this year", "2026-01-01", "2026-12-05", "today"),
    ("last year", "2025-01-01", "2025-12-31", "today"),
    ("5 days ago", "2026-11-30", "2026-11-30", "today"),
    ("вчора", "2026-12-04", "2026-12-04", "today"),
    ("сьогодні", "2026-12-05", "2026-12-05", "today"),
    ("минулого тижня", "2026-11-28", "2026-12-05", "today"),
    ("цього тижня", "2026-11-30", "2026-12-05", "today"),
    ("минулого місяця", "2026-11-01", "2026-11-30", "today"),
    ("за останні 10 днів", "2026-11-25", "2026-12-05", "today"),
    ("вчера", "2026-12-04", "2026-12-04", "today"),
    ("сегодня", "2026-12-05", "2026-12-05", "today"),
    ("на прошлой неделе", "2026-11-28", "2026-12-05", "today"),
    ("на этой неделе", "2026-11-30", "2026-12-05", "today"),
    ("в прошлом месяце", "2026-11-01", "2026-11-30", "today"),
    ("5 дней назад", "2026-11-30", "2026-11-30", "today"),
    # the war's own calendar
    ("in the first days of the war", "2022-02-24", "2022-03-03", "calendar"),
    ("first days of the invasion", "2022-02-24", "2022-03-03", "calendar"),
    ("first week of the war", "2022-02-24", "2022-03-02", "calendar"),
    ("the curfew on the first weekend of the war", "2022-02-26", "2022-02-27", "calendar"),  # it began on a Thursday
    # A question that ends on "the first week" or "the first day" asks about the war's.
    ("Which villages did Ukraine take back in the first week of October?", "2022-10-01", "2022-10-10", "corpus"),
    ("in the last week of March 2022", "2022-03-21", "2022-03-31", "calendar"),
    ("What was hit in the final days of December?", "2022-12-21", "2022-12-31", "corpus"),
    ("How many of its soldiers did Russia admit had died in the first week?", "2022-02-24", "2022-03-02", "calendar"),
    ("How many Ukrainians were killed on the first day?", "2022-02-24", "2022-02-24", "calendar"),
    ("first month of the war", "2022-02-24", "2022-03-24", "calendar"),
    ("first 100 days", "2022-02-24", "2022-06-03", "calendar"),
    ("in the first year of the war", "2022-02-24", "2023-02-24", "calendar"),
    ("since the invasion", "2022-02-24", None, "calendar"),
    ("since the start of the war", "2022-02-24", None, "calendar"),
    ("before the invasion", None, "2022-02-23", "calendar"),
    ("a few days into the war", "2022-02-24", "2022-03-03", "calendar"),  # a point of the war, searched around it
    ("two weeks into the war", "2022-03-03", "2022-03-17", "calendar"),
    ("six months into the invasion", "2022-08-09", "2022-09-08", "calendar"),
    ("a year into the full-scale invasion", "2023-01-25", "2023-03-26", "calendar"),
    ("on the anniversary of the invasion", "2023-02-23", "2023-02-25", "calendar"),  # the latest by the corpus's end
    ("the second anniversary of the war", "2024-02-23", "2024-02-25", "calendar"),
    # holdout86, written blind: "The sanctions round the EU only got over the line a day after the war's first anniversary"
    # searched 25 February 2022, "day after the war".
    ("a day after the war's first anniversary", "2023-02-23", "2023-02-25", "calendar"),
    ("on the invasion's anniversary", "2023-02-23", "2023-02-25", "calendar"),
    # A holiday after a word that makes it a time; "Easter" spans both churches' (9 and 16 April 2023).
    ("the swap just after Orthodox Christmas 2023", "2023-01-07", "2023-01-14", "calendar"),
    ("What happened over Easter?", "2023-04-08", "2023-04-17", "corpus"),
    ("the missile strike before easter", "2023-04-02", "2023-04-16", "corpus"),
    ("Was Kyiv hit on New Year's Eve?", "2022-12-30", "2023-01-01", "corpus"),
    ("How many had died by Christmas?", None, "2022-12-25", "corpus"),
    # "for" a holiday is what was prepared for it: the week before and the day ("Putin's offer of a truce for Orthodox
    # Christmas" was made on 5 January)
    ("Putin's offer of a truce for Orthodox Christmas", "2022-12-31", "2023-01-08", "corpus"),
    ("Що сталося на Великдень?", "2023-04-15", "2023-04-17", "corpus"),
    ("Что было после Пасхи 2022?", "2022-04-24", "2022-05-01", "calendar"),
    ("у перші дні війни", "2022-02-24", "2022-03-03", "calendar"),
    ("в первые дни войны", "2022-02-24", "2022-03-03", "calendar"),
    ("з початку війни", "2022-02-24", None, "calendar"),
    ("с начала войны", "2022-02-24", None, "calendar"),
    # a lowercase "march" or "may" before a year is the month (holdout26: "march 2023 grain deal - wat did russia say its
    # next move depends on" searched every date)
    ("march 2023 grain deal - wat did russia say its next move depends on", "2023-03-01", "2023-03-31", "calendar"),
    ("grain deal may 2022", "2022-05-01", "2022-05-31", "calendar"),
    # several: the first one named
    ("What happened in March 2022 and in June 2023?", "2022-03-01", "2022-03-31", "calendar"),
    ("Between March and May 2022, and in June?", "2022-03-01", "2022-05-31", "calendar"),
]

NOT_WINDOWS = [
    "What is the latest on Bakhmut?", "What is happening now?", "What happened recently in Kherson?",
    "Who currently controls Kherson?", "How long did the siege last?", "When did the siege of Mariupol end?",
    "Where is the 40-mile convoy?", "Was an Su-25 shot down?", "Does Ukraine have S-300 systems?",
    "How many Patriot batteries were sent?", "That may be true.", "May I ask about Kherson?",
    "What did Theresa May say?", "Why do troops march at night?", "Were 1,200 troops killed?", "Did it cost $2022?",
    "Were 2022 people evacuated?", "How many refugees fled from the war?", "a force of 2000 soldiers",
    "What happened in the first week of fighting?", "",
    "How many days into the talks did the war resume?", "Who put money into the war effort?",
    "What happened during the Christmas ceasefire?", "the Orthodox Christmas truce", "Christmas", "at the Victory Day parade",
    "Do they patrol 24/7?", "Was 1/3 of the grid down?", "What happened on 3/4?", "Who did 9/11?", "Was it 13/14?",
    # the first days of another event than the war (holdout28: "the first 4 days" searched 24-27 February 2022)
    "how far did the kharkiv counterofensive get in the first 4 days", "How far did the counteroffensive get in its first week?",
    "How many people got out during the first three days of evacuations from Irpin?", "the siege, in the first 10 days",
    "they march 2022 miles", "troops may 2022 times", "Did they march 2 km?", "the troops may 5 times",
    "the anniversary of Chernobyl", "Where did Ukraine offer to take Kherson residents for the winter?", "What happened the first day after the referendum?", "the first week in office",
]


@pytest.mark.parametrize(("question", "since", "until", "relative_to"), WINDOWS)
def test_the_window_each_form_names(question, since, until, relative_to):
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    assert window is not None, question
    assert (window.since, window.until, window.relative_to) == (since and D(since), until and D(until), relative_to)


def test_the_table_covers_every_form():
    assert len(WINDOWS) >= 60


@pytest.mark.parametrize("question", NOT_WINDOWS)
def test_look_alikes_are_not_windows(question):
    assert parse_window(question, today=TODAY, corpus_end=CORPUS_END) is None


@pytest.mark.parametrize(("question", "phrase"), [
    ("What happened in Kherson in March 2022?", "in March 2022"),
    ("Was Kyiv shelled on Feb. 24?", "on Feb. 24"),
    ("Що сталося у березні 2022?", "у березні 2022"),
    ("In The First Days Of The War?", "In The First Days Of The War"),
])
def test_the_phrase_is_the_words_as_typed(question, phrase):
    assert parse_window(question, today=TODAY).phrase == phrase


@pytest.mark.parametrize(("question", "since", "until"), [
    # "on 19-20 November 2022" was read as 20 November alone, "19" left as a number asked about.
    ("After the shelling on 19-20 November 2022, why did the plant need power?", "2022-11-19", "2022-11-20"),
    ("What happened on 19 and 20 November 2022?", "2022-11-19", "2022-11-20"),
    ("What happened between 10 and 12 October 2022?", "2022-10-10", "2022-10-12"),
    ("Strikes of 10–11 October 2022", "2022-10-10", "2022-10-11"),
    ("Shelling on November 19-20, 2022", "2022-11-19", "2022-11-20"),
])
def test_days_of_one_month_are_one_window(question, since, until):
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    assert (window.since, window.until) == (D(since), D(until)), window


@pytest.mark.parametrize("question", ["Were 20-30 people killed in May 2022?", "Between 5 and 10 soldiers died in March 2022"])
def test_a_range_of_counts_before_a_month_is_no_range_of_days(question):
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    assert window.since.day == 1 and window.until.day >= 28, window


@pytest.mark.parametrize(("question", "since", "until"), [
    ("in June", "2026-06-01", "2026-06-30"),
    ("in December", "2026-12-01", "2026-12-31"),
    ("8 April", "2026-04-08", "2026-04-08"),
    ("since August", "2026-08-01", None),
])
def test_without_a_corpus_end_a_missing_year_is_resolved_against_today(question, since, until):
    window = parse_window(question, today=TODAY)
    assert (window.since, window.until, window.relative_to) == (D(since), until and D(until), "today")


STATED = [  # sentence, published, stated day
    ("Russian forces shelled Kharkiv on 8 April, the governor said.", PUBLISHED, "2022-04-08"),
    ("On April 8 the station was hit.", PUBLISHED, "2022-04-08"),
    ("The ministry said on 8 April 2021 that talks had failed.", PUBLISHED, "2021-04-08"),
    ("On Feb. 24, Russia invaded.", PUBLISHED, "2022-02-24"),
    ("24 February was the first day.", PUBLISHED, "2022-02-24"),
    ("The bridge was hit on 10 April.", PUBLISHED, "2021-04-10"),  # not after publication
    ("The strike came on Friday.", PUBLISHED, "2022-04-08"),
    ("He said on Thursday night that the convoy had stopped.", PUBLISHED, "2022-04-07"),
    ("Last Sunday, troops entered Bucha.", PUBLISHED, "2022-04-03"),
    ("The vote was on Saturday.", PUBLISHED, "2022-04-09"),
    ("The vote was last Saturday.", PUBLISHED, "2022-04-02"),
    ("Yesterday, officials said the road was open.", PUBLISHED, "2022-04-08"),
    ("On Friday, March 4, 2022, the plant was seized.", PUBLISHED, "2022-03-04"),  # a written date beats a weekday
    # ... unless it is further back than the week before publication, on another day: background to the news.
    ("The court ordered Russia on Wednesday to suspend the operations it began on 24 February.", PUBLISHED, "2022-04-06"),
    ("The court ruled on Wednesday, 6 April.", PUBLISHED, "2022-04-06"),
    ("Росія вдарила 8 квітня по Краматорську.", PUBLISHED, "2022-04-08"),
    ("Удар был нанесён 8 апреля.", PUBLISHED, "2022-04-08"),
    ("Обстріл 24.02.2022 почався о 4:00.", None, "2022-02-24"),
    ("У п'ятницю ракета влучила у вокзал.", PUBLISHED, "2022-04-08"),
    ("у п’ятницю ракета влучила у вокзал.", PUBLISHED, "2022-04-08"),
    ("В пятницу ракета попала в вокзал.", PUBLISHED, "2022-04-08"),
    ("в минулу неділю", PUBLISHED, "2022-04-03"),
    ("в прошлое воскресенье", PUBLISHED, "2022-04-03"),
    ("Вчора ввечері", PUBLISHED, "2022-04-08"),
    ("вчера вечером", PUBLISHED, "2022-04-08"),
    ("on 8 April 2022", None, "2022-04-08"),
    ("on 8 April", None, None),
    ("on Friday", None, None),
    ("yesterday", None, None),
    ("Talks are planned next week.", PUBLISHED, None),
    ("More strikes are expected in the coming days.", PUBLISHED, None),
    ("Shelling went on from 1 to 5 March.", PUBLISHED, None),
    ("between 3 and 8 March", PUBLISHED, None),
    ("from 8 April to 10 April", PUBLISHED, None),
    ("8 April - 10 April", PUBLISHED, None),
    ("since 24 February", PUBLISHED, None),
    ("The war began in 2014.", PUBLISHED, None),
    ("in March 2022", PUBLISHED, None),
    ("Talks resume next Friday.", PUBLISHED, None),
    ("Markets open every Sunday.", PUBLISHED, None),
    ("Загрязнена окружающая среда.", PUBLISHED, None),
]


@pytest.mark.parametrize(("sentence", "published", "day"), STATED)
def test_the_day_a_sentence_states(sentence, published, day):
    assert stated_date(sentence, published) == (day and D(day))


FORMATS = [  # since, until, en, uk, ru
    ("2022-04-08", "2022-04-08", "8 Apr 2022", "8 квіт. 2022", "8 апр. 2022"),
    ("2022-03-01", "2022-03-31", "1–31 Mar 2022", "1–31 бер. 2022", "1–31 марта 2022"),
    ("2022-02-24", "2022-03-03", "24 Feb–3 Mar 2022", "24 лют.–3 бер. 2022", "24 февр.–3 марта 2022"),
    ("2022-12-15", "2023-01-15", "15 Dec 2022–15 Jan 2023", "15 груд. 2022–15 січ. 2023", "15 дек. 2022–15 янв. 2023"),
    ("2022-08-01", None, "since 1 Aug 2022", "з 1 серп. 2022", "с 1 авг. 2022"),
    (None, "2022-06-30", "until 30 Jun 2022", "до 30 черв. 2022", "по 30 июня 2022"),
]


@pytest.mark.parametrize(("since", "until", "en", "uk", "ru"), FORMATS)
def test_windows_as_a_reader_writes_them(since, until, en, uk, ru):
    window = Window(since and D(since), until and D(until), "x", "calendar")
    assert [format_window(window, lang) for lang in ("en", "uk", "ru", "de")] == [en, uk, ru, en]


def test_every_month_as_printed():
    days = [dt.date(2022, month, 8) for month in range(1, 13)]
    printed = {lang: " ".join(format_day(d, lang).split()[1] for d in days) for lang in ("uk", "ru")}
    assert printed["ru"] == "янв. февр. марта апр. мая июня июля авг. сент. окт. нояб. дек."
    assert printed["uk"] == "січ. лют. бер. квіт. трав. черв. лип. серп. вер. жовт. лист. груд."
    assert format_day(dt.date(2022, 9, 8)) == format_day(dt.date(2022, 9, 8), "xx") == "8 Sep 2022"


@pytest.mark.parametrize(("question", "stripped"), [
    ("What happened in Kherson in March 2022?", "What happened in Kherson?"),
    ("In March 2022, what happened in Kherson?", "What happened in Kherson?"),
    ("What happened between March and May 2022 in Kherson?", "What happened in Kherson?"),
    ("What happened in Kherson, in the first days of the war?", "What happened in Kherson?"),
    ("Since August 2022, how many drones hit Kyiv?", "How many drones hit Kyiv?"),
    ("Що сталося в Херсоні у березні 2022 року?", "Що сталося в Херсоні?"),
    ("Что было в Херсоне в марте?", "Что было в Херсоне?"),
])
def test_strip_window_leaves_the_rest_of_the_question(question, stripped):
    assert strip_window(question, parse_window(question, today=TODAY, corpus_end=CORPUS_END)) == stripped


# --- dateparser as an independent witness of the month and weekday tables ---------------------------------------


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_the_tables_agree_with_dateparser(lang):
    """Every spelling dateparser knows (it knows no locative or instrumental forms) names the same month, and
    every printed day reads back as itself."""
    for month, forms in enumerate(MONTHS[lang], 1):
        day = dt.date(2022, month, 8)
        assert dateparser.parse(format_day(day, lang), languages=[lang]).date() == day
        for form in forms.split():
            parsed = dateparser.parse(f"8 {form} 2022", languages=[lang])
            assert parsed is None or parsed.date() == day, form
    for weekday, forms in enumerate(WEEKDAYS):
        for form in forms.split():
            parsed = dateparser.parse(form, languages=[lang])
            assert parsed is None or parsed.weekday() == weekday, form


# --- properties ---------------------------------------------------------------------------------------------

FRAGMENTS = [q for q, *_ in WINDOWS] + NOT_WINDOWS + ["in", "May", "march", "since", "from", "to", "and", "-", "2022", "31",
                                                      "29 February", "the", "last", "first", "of the war", "з", "до", "в"]
FILLER = ["what", "happened", "Kherson", "troops", "were", "shelled", "Bakhmut", "why", "did", "Київ", "обстріл", "Херсон"]
DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))
LANGS = st.sampled_from(["en", "uk", "ru", "de", ""])
ALTERNATIVES = ["over the weekend", "or", "last weekend", "earlier this week", "december", "this year", "on Sunday"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(FRAGMENTS + FILLER + ALTERNATIVES), max_size=8).map(" ".join)),
       st.dates(), st.one_of(st.none(), st.dates()))
def test_any_question_gives_a_sound_window_or_none(question, today, corpus_end):
    for window in (parse_window(question, today=today, corpus_end=corpus_end), asked_window(question, today, corpus_end)):
        if window is not None:
            assert window.since is not None or window.until is not None
            assert window.since is None or window.until is None or window.since <= window.until
            assert window.phrase and window.phrase.casefold() in question.casefold()
            assert window.relative_to in {"today", "corpus", "calendar"}


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(FRAGMENTS + FILLER + [s for s, *_ in STATED]), max_size=6)
                 .map(" ".join)), st.dates())
def test_a_stated_day_without_a_written_year_is_never_after_publication(sentence, published):
    """... unless the sentence says it is to come ("takes effect on 5 December"), and then within half a year."""
    day = stated_date(sentence, published)
    assert day is None or isinstance(day, dt.date)
    if day is not None and not re.search(r"\d{4}", sentence):
        assert day <= published or UPCOMING.search(sentence) and (day - published).days < 183
    assert stated_date(sentence, None) is None or re.search(r"\d{4}", sentence)
    for start in (True, False):  # so is the day a span starts or ends on
        bound = bound_day(sentence, published, start=start)
        if bound is not None and not re.search(r"\d{4}", sentence):
            assert bound <= published or UPCOMING.search(sentence) and (bound - published).days < 183
        assert bound_day(sentence, None, start=start) is None or re.search(r"\d{4}", sentence)


# A year alone, or "the first week" without "of the war", names a window only at the end of the question.
ONLY_AT_THE_END = {"casualties 2023?", "How many of its soldiers did Russia admit had died in the first week?",
                   "How many Ukrainians were killed on the first day?"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FILLER), max_size=5),
       st.sampled_from([q for q, *_ in WINDOWS if q not in ONLY_AT_THE_END]),
       st.lists(st.sampled_from(FILLER), max_size=5))
def test_strip_window_removes_the_phrase_and_keeps_every_other_word(before, named, after):
    # "... may 2022 troops": a lowercase "may" or "march" and a number before what is counted is a verb and a count
    # ("the troops may 5 times", tested with the look-alikes above), no window.
    assume(not (after[:1] == ["troops"] and re.search(r"\b(?:may|march)\s+\d+$", named)))
    question = " ".join([*before, named, *after]) + "?"
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    stripped = strip_window(question, window)
    assert window.phrase.casefold() not in stripped.casefold()
    words = re.compile(r"\w+")
    assert words.findall(stripped.casefold()) == words.findall(question.casefold().replace(window.phrase.casefold(), " ", 1))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.dates()), LANGS)
def test_any_window_formats(since, until, lang):
    text = format_window(Window(since, until, "x", "calendar"), lang)
    assert text and all(str(day.year) in text for day in (since, until) if day)
    assert ("–" in text) == (since is not None and until is not None and since != until)


@settings(max_examples=300, deadline=None)
@given(DATES, st.sampled_from(["en", "uk", "ru"]))
def test_every_printed_day_reads_back_as_itself(day, lang):
    window = parse_window(f"on {format_day(day, lang)}", today=TODAY)
    assert (window.since, window.until, window.relative_to) == (day, day, "calendar")


@settings(max_examples=300, deadline=None)
@given(DATES, st.integers(1, 12), st.sampled_from(["en", "uk", "ru"]))
def test_a_month_without_its_year_is_the_latest_begun_by_the_corpus_end(corpus_end, month, lang):
    name = MONTHS[lang][month - 1].split()[0 if lang == "en" else 2]  # "March", "березні", "марте"
    window = parse_window(f"{'in' if lang == 'en' else 'в'} {name}", today=TODAY, corpus_end=corpus_end)
    assert window.since.month == month and window.since.day == 1 and window.relative_to == "corpus"
    assert window.since <= corpus_end < dt.date(window.since.year + 1, month, 1)


@settings(max_examples=300, deadline=None)
@given(DATES, st.integers(0, 6), st.booleans())
def test_a_weekday_is_the_latest_such_day_by_publication(published, weekday, last):
    name = WEEKDAYS[weekday].split()[0].capitalize()
    day = stated_date(f"The strike came {'last' if last else 'on'} {name}.", published)
    assert day.weekday() == weekday and 0 + last <= (published - day).days <= 6 + last


def test_a_question_without_a_time_costs_well_under_a_millisecond():
    question = ("What did the general staff say about the counteroffensive near Bakhmut and Avdiivka, and how many tanks "
                "and Su-25 aircraft were lost? Що сказав Генштаб про контрнаступ? Что сказал Генштаб о потерях? " * 3)[:500]
    assert parse_window(question, today=TODAY) is None
    best = min(timeit.repeat(lambda: parse_window(question, today=TODAY), number=100, repeat=5)) / 100
    assert best < 0.001


def test_the_year_before_a_holiday_is_that_years_holiday():
    # "how many died in the odesa missile strike before easter": 23 April 2022, the day before Orthodox Easter.  The
    # latest Easter by the corpus's end (2023) has no such strike; the year before is read again, not moved by 365 days.
    window = year_earlier(parse_window("the odesa strike before easter", today=TODAY, corpus_end=CORPUS_END))
    assert (window.since, window.until) == (D("2022-04-10"), D("2022-04-24"))
    window = year_earlier(parse_window("after Easter", today=TODAY, corpus_end=CORPUS_END))
    assert (window.since, window.until) == (D("2022-04-17"), D("2022-05-01"))


@pytest.mark.parametrize("question", ["How many people were left in Izium out of the roughly 45,000 who lived there before the war?",
                                      "What was Mariupol's population before the invasion?",
                                      "How many residents did Bakhmut have before the war?",
                                      "ukraine grain exports per month before the war"])
def test_before_the_war_after_a_state_is_a_pre_war_figure_not_a_time(question):
    # Was read as "until 23 Feb 2022": nothing then said how many were left, and the question was refused; the
    # report of the city's recapture says "about 8,000 to 10,000 residents remained, from a pre-war population of 45,000".
    assert parse_window(question, today=TODAY, corpus_end=CORPUS_END) is None


@pytest.mark.parametrize(("question", "day"), [
    ("How many sites did the Russians hit on the last day of October?", "2022-10-31"),
    ("what happened on the first day of March 2022", "2022-03-01"),
    ("strikes on the final day of february 2023", "2023-02-28"),
])
def test_the_first_or_last_day_of_a_month_is_that_day(question, day):
    # holdout50: "the last day of October" was read as the whole of October, and a report of 9 October answered.
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    assert (window.since, window.until) == (D(day), D(day))


def test_after_a_day_s_strikes_is_from_that_day():
    # holdout50: "kyiv water back on after oct 31 strikes" searched from 1 November, without the report of 31 October
    # that said when the water would be back.
    window = parse_window("kyiv water back on after oct 31 strikes", today=TODAY, corpus_end=CORPUS_END)
    assert (window.since, window.until) == (D("2022-10-31"), None)
    assert parse_window("What happened after the 10 October missile strikes?", today=TODAY, corpus_end=CORPUS_END).since == D("2022-10-10")
    assert parse_window("Who spoke after the 9 October 2022 night strike on Zaporizhzhia?", today=TODAY,
                        corpus_end=CORPUS_END).since == D("2022-10-09")  # holdout55
    assert parse_window("What happened after 10 October?", today=TODAY, corpus_end=CORPUS_END).since == D("2022-10-11")
    assert parse_window("What happened after 10 October talks?", today=TODAY, corpus_end=CORPUS_END).since == D("2022-10-11")


def test_a_noun_left_first_by_the_time_phrase_stays_lowercase():
    # holdout51: "During the September breakthrough, did our guys ..." was searched as "Breakthrough, did ...", and a
    # capitalised first word as rare as "breakthrough" is read as a name no passage held: refused.
    question = "During the September breakthrough, did our guys reach the Russian border anywhere?"
    assert strip_window(question, parse_window(question, today=TODAY, corpus_end=CORPUS_END)).startswith("breakthrough, did")


def test_before_the_war_is_still_a_time_when_it_says_when():
    window = parse_window("What did Putin say before the war?", today=TODAY, corpus_end=CORPUS_END)
    assert window.since is None and window.until == D("2022-02-23")


def test_halloween_is_a_day():
    window = parse_window("What happened after Halloween 2022?", today=TODAY, corpus_end=CORPUS_END)
    assert window.since == D("2022-10-31")


def test_a_day_to_come_is_this_years():
    # "When did the $60 price cap on Russian seaborne crude kick in?" led with "5 Dec 2021": the report of 3 December
    # 2022 says the cap "takes effect on 5 December".
    assert stated_date("The cap, which takes effect on 5 December alongside an EU embargo", D("2022-12-03")) == D("2022-12-05")
    assert stated_date("The bridge was hit on 10 April.", D("2022-04-09")) == D("2021-04-10")  # said as past: the year before


@pytest.mark.parametrize("question, day", [("What did Russia's envoy say on day two of the invasion?", "2022-02-25"),
                                           ("Which sites were hacked the day before the invasion?", "2022-02-23"),
                                           ("What happened on the third day of the war?", "2022-02-26"),
                                           ("What happened on day 100 of the war?", "2022-06-03"),
                                           ("What did the Verkhovna Rada vote for on the eve of the invasion?", "2022-02-23")])
def test_a_day_of_the_wars_calendar(question, day):
    window = parse_window(question, today=TODAY, corpus_end=CORPUS_END)
    assert (window.since, window.until) == (D(day), D(day))


@pytest.mark.parametrize("question, stripped", [("What did the Rada vote for on the eve of the invasion?", "What did the Rada vote for?"),
                                                ("What happened the day before the invasion in Kyiv?", "What happened in Kyiv?"),
                                                ("On the third day of the war, what fell?", "What fell?")])
def test_a_day_of_the_wars_calendar_leaves_no_article_behind(question, stripped):
    # "What happened the day before the invasion in Kyiv?" was searched as "What happened the in Kyiv?"
    assert strip_window(question, parse_window(question, today=TODAY, corpus_end=CORPUS_END)) == stripped


@pytest.mark.parametrize("question, since, until", [
    # "what hit kyiv this morning?? heard explosions all over the centre", asked on 17 October 2022, searched every date.
    ("what hit kyiv this morning?? heard explosions all over the centre", "2022-10-17", "2022-10-17"),
    ("What happened in Odesa last night?", "2022-10-16", "2022-10-17"),
    ("Що влучило в Київ цієї ночі?", "2022-10-16", "2022-10-17"),
    ("Что взорвалось прошлой ночью в Крыму?", "2022-10-16", "2022-10-17"),
    ("What did Zelensky say tonight?", "2022-10-17", "2022-10-17"),
])
def test_a_part_of_today_is_today(question, since, until):
    window = parse_window(question, today=D("2022-10-17"), corpus_end=CORPUS_END)
    assert (window.since, window.until, window.relative_to) == (D(since), D(until), "today")


def test_a_morning_that_is_no_time_is_not_one():
    assert parse_window("Is the morning shift at the plant over?", today=TODAY, corpus_end=CORPUS_END) is None


def test_a_weekday_a_change_will_come_from_is_the_day_to_come():
    # "From what day did Gazprom cut Nord Stream 1 down to 33 million cubic metres a day?": the report of Tuesday
    # 26 July 2022 says it "will cut gas flows ... from Wednesday", which was read as the Wednesday before.
    assert stated_date("Gazprom said it will cut gas flows to 33 million cubic metres per day from Wednesday.",
                       D("2022-07-26")) == D("2022-07-27")
    assert stated_date("Refugees have fled from Monday to Friday.", D("2022-07-26")) == D("2022-07-25")  # no change to come


def test_a_holiday_on_a_fixed_day_is_the_day_a_sentence_gives():
    # holdout20: "Makiivka strike, what night was it exactly?" led with 2 January 2023, the day the ministry spoke, for a
    # strike "shortly after midnight on New Year's Day".
    makiivka = ("Russia's Defence Ministry said on Monday that 63 of its servicemen had been killed when Ukrainian forces "
                "struck Makiivka shortly after midnight on New Year's Day.")
    assert stated_date(makiivka, D("2023-01-02")) == D("2023-01-01")
    assert stated_date("Zelensky spoke in Kyiv on Independence Day.", D("2022-08-26")) == D("2022-08-24")
    assert stated_date("Shelling went on before Christmas, officials said.", D("2022-12-27")) is None  # no day of its own
    assert stated_date("Services were held on Easter.", D("2022-04-26")) is None  # which church's?


def test_a_whole_year_or_month_is_also_reported_after_it():
    year = parse_window("How much did Ukraine's economy shrink in 2022?", today=TODAY, corpus_end=CORPUS_END)
    assert reported_after(year) == (D("2023-04-30"), "2022")
    # A whole month's figures come out in the weeks after it: "ukraine inflation april 2022" is answered by a report of
    # May ("Inflation reached 16.4 percent in April"), which holds "april".
    april = parse_window("ukraine inflation april 2022", today=TODAY, corpus_end=CORPUS_END)
    assert reported_after(april) == (D("2022-06-14"), "april")
    assert reported_after(parse_window("in May 2022", today=TODAY, corpus_end=CORPUS_END)) is None  # "may" says nothing
    for question in ("since 2022", "in the first year of the war", "in early March 2022", "between March and May 2022"):
        assert reported_after(parse_window(question, today=TODAY, corpus_end=CORPUS_END)) is None, question


def test_one_day_is_also_reported_in_the_week_after_it_by_its_weekday():
    # holdout38, written blind: "What did Lloyd Austin say on 20 July 2022 about ...?" is answered by a report of 23 July
    # ("Austin said on Wednesday that ..."), past the days a report of the 20th comes out in; the question was refused.
    day = parse_window("What did Lloyd Austin say on 20 July 2022?", today=TODAY, corpus_end=CORPUS_END)
    assert reported_after(day) == (D("2022-07-26"), "wednesday")
    assert reported_after(parse_window("What happened on 24.02.2022?", today=TODAY, corpus_end=CORPUS_END)) == (D("2022-03-02"), "thursday")
    # dev: "What happened in Sloviansk yesterday?" asked on 15 April 2023 must not find a report of the 16th.
    yesterday = parse_window("What happened in Sloviansk yesterday?", today=D("2023-04-15"), corpus_end=CORPUS_END)
    assert reported_after(yesterday, D("2023-04-15")) == (D("2023-04-15"), "friday")


def test_one_day_is_also_retold_by_its_date_in_the_month_after_it():
    # holdout45, written blind: "How many Ukrainian soldiers were freed in the prisoner exchange on 13 October 2022?" is
    # answered by a report of 18 October alone ("20 Ukrainian soldiers were freed on 13 October").
    day = parse_window("How many soldiers were freed on 13 October 2022?", today=TODAY, corpus_end=CORPUS_END)
    assert stated_on(day) == (D("2022-11-12"), ("13", "octob"))
    yesterday = parse_window("What happened in Sloviansk yesterday?", today=D("2023-04-15"), corpus_end=CORPUS_END)
    assert stated_on(yesterday, D("2023-04-15")) == (D("2023-04-15"), ("14", "april"))
    assert stated_on(parse_window("on 9 May 2022", today=TODAY, corpus_end=CORPUS_END)) is None  # "may" says nothing
    for question in ("in March 2022", "in 2022", "in early March 2022", "since 13 October 2022"):
        assert stated_on(parse_window(question, today=TODAY, corpus_end=CORPUS_END)) is None, question


def _asking(*words: str):
    """How many of ``words`` a piece of a sentence holds (what index/answer.py counts for the question's words)."""
    return lambda text: sum(word in text.casefold() for word in words)


FINED = ("A Moscow court fined Marina Ovsyannikova 30,000 roubles on Tuesday, a day after she burst onto the set of the "
         "main evening news holding a sign reading No war.")
LEFT = ("Russian forces have left the Chernobyl nuclear power plant, Energoatom said on Thursday, more than a month after "
        "they seized the site on the first day of the invasion.")


def test_a_background_event_is_the_day_given_when_the_question_asks_about_it():
    # "When did Marina Ovsyannikova run onto the Channel One evening news set?" was answered with the day of the fine,
    # 15 March; she burst onto the set a day before.  Asked about the fine, the fine's day.
    published = D("2022-03-15")
    assert stated_date(FINED, published) == D("2022-03-15")
    assert stated_date(FINED, published, _asking("set", "news", "sign")) == D("2022-03-14")
    assert stated_date(FINED, published, _asking("fined", "court")) == D("2022-03-15")
    # "two days after" counts two
    assert stated_date("Kyiv said on Friday, two days after the strike hit the dam.", D("2022-06-11"), _asking("dam")) == D("2022-06-08")


def test_the_first_day_of_the_invasion_is_24_february_2022():
    assert stated_date("The island was seized by Russia on the first day of the invasion.", D("2022-06-30")) == D("2022-02-24")
    published = D("2022-03-31")
    assert stated_date(LEFT, published, _asking("seized")) == D("2022-02-24")
    assert stated_date(LEFT, published, _asking("left", "forces")) == D("2022-03-31")


def test_a_weekday_is_the_latest_such_day_of_the_week_asked_in():
    assert weekday_window("the Kyiv strike last Sunday", TODAY) == Window(D("2026-11-29"), D("2026-11-29"), "last Sunday", "today")
    assert weekday_window("What happened in Kherson on Friday?", D("2023-05-02"), D("2023-04-30")).since == D("2023-04-28")


def test_a_bare_weekday_long_after_the_corpus_is_the_story_s_own():
    """Asked of a corpus that ended months before, "the revised Kramatorsk station toll given on Saturday" names the
    Saturday of that story, not the last one: no window (it was refused as "nothing on 5 Dec 2026").  "Last Saturday"
    still means the last one."""
    question = "In the revised Kramatorsk station toll given on Saturday, how many were dead?"
    assert weekday_window(question, TODAY, CORPUS_END) is None
    assert weekday_window(question, TODAY) is not None  # the corpus's end unknown: the day of asking counts
    assert weekday_window("What happened last Saturday?", TODAY, CORPUS_END).since == D("2026-11-28")


def test_the_day_a_span_starts_or_ends_on_is_what_since_when_and_by_when_ask():
    # holdout61, written blind: "Since what date had Russian missiles and drones been battering the power system, going by
    # Ukrenergo's 40 percent damage estimate?" was led with the report's date: the sentence gives "strikes since 10 October",
    # which is no day of its own news.
    damage = "Ukrenergo said Russian missile and drone strikes since 10 October had damaged around 40 percent of the power system."
    assert stated_date(damage, D("2022-11-05")) is None
    assert bound_day(damage, D("2022-11-05")) == D("2022-10-10")
    assert bound_day(damage, D("2022-11-05"), start=False) is None
    assert bound_day("The cap will apply from 5 December.", D("2022-12-03")) == D("2022-12-05")
    assert bound_day("A storage site is to be completed by 1 July.", D("2023-03-26"), start=False) == D("2023-07-01")
    assert bound_day("The strike hit on 9 May.", D("2022-05-10")) is None


def test_a_time_counted_from_today_gives_way_to_a_calendar_date():
    # holdout67, written blind: "What did the World Bank predict for Ukraine's GDP this year in its forecast of 10 April
    # 2022?" was refused, "nothing on 1 Jan-5 Dec 2026": "this year" came first.
    question = "What did the World Bank predict for Ukraine's GDP this year in its forecast of 10 April 2022?"
    assert parse_window(question, today=TODAY, corpus_end=CORPUS_END) == Window(D("2022-04-10"), D("2022-04-10"), "of 10 April 2022",
                                                                               "calendar")
    assert parse_window("What has the World Bank said this year?", today=TODAY).phrase == "this year"


def test_a_weekend_is_the_latest_begun_by_the_day_of_asking():
    wednesday = D("2022-10-05")
    assert weekday_window("Was Lyman cleared over the weekend?", wednesday, CORPUS_END) == Window(
        D("2022-10-01"), D("2022-10-02"), "over the weekend", "today")
    assert weekday_window("Putin turned up in Mariupol this past weekend, which night?", D("2023-03-20")).since == D("2023-03-18")
    assert weekday_window("What happened last weekend?", TODAY).since == D("2026-11-28")  # asked on a Saturday
    assert weekday_window("What happens this weekend?", TODAY) == Window(TODAY, TODAY, "this weekend", "today")
    # As a bare weekday, "over the weekend" long after the corpus ends is the story's own weekend ("klitschko extended
    # the kyiv curfew over the weekend rite?"); "last weekend" is still the last one.
    assert weekday_window("klitschko extended the kyiv curfew over the weekend rite?", TODAY, CORPUS_END) is None
    assert weekday_window("What happened last weekend?", TODAY, CORPUS_END) is not None


def test_two_times_offered_as_alternatives_are_searched_together():
    # holdout70, written blind, asked on Wednesday 5 October 2022: "Zelensky posted a video saying Lyman was completely
    # cleared, was that over the weekend or earlier this week? which day?" searched only this week and was refused.
    question = "Zelensky posted a video saying Lyman was completely cleared, was that over the weekend or earlier this week? which day?"
    assert asked_window(question, D("2022-10-05"), CORPUS_END) == Window(
        D("2022-10-01"), D("2022-10-05"), "over the weekend or earlier this week", "today")
    assert asked_window("Was it last Sunday or on the Saturday?", TODAY).phrase == "last Sunday"
    # Two times that are not alternatives: the time the question names first, as before.
    assert asked_window("After the strikes this week, what happened on Friday?", TODAY).phrase == "this week"


def test_a_lone_month_typed_in_lower_case_is_a_time():
    # holdout68, written blind: "drone blasts russian airfields far from border december" searched every month and
    # answered with the strikes on Lutsk's airfield in March.
    window = parse_window("drone blasts russian airfields far from border december", today=TODAY, corpus_end=CORPUS_END)
    assert window == Window(D("2022-12-01"), D("2022-12-31"), "december", "corpus")
    assert parse_window("What about the September counteroffensive?", today=TODAY, corpus_end=CORPUS_END) is None  # an event's name
    assert parse_window("kinzhal hypersonic march strike how many", today=TODAY, corpus_end=CORPUS_END) is None  # a verb too


def test_a_truce_over_a_holiday_is_offered_in_the_week_before_it():
    # holdout69, written blind: "How did the US president sum up Putin's motive for declaring a short truce over Orthodox
    # Christmas?" searched 6-10 January 2023 and was refused; the truce was ordered on 5 January.
    window = parse_window("What did Biden say of Putin declaring a short truce over Orthodox Christmas?", today=TODAY, corpus_end=CORPUS_END)
    assert window.since == D("2022-12-31")
    assert parse_window("What happened over Orthodox Christmas?", today=TODAY, corpus_end=CORPUS_END).since == D("2023-01-06")


def test_this_year_in_what_someone_said_would_happen_is_their_year():
    # holdout87, the last stop's blind check: "When Ukraine's central bank hiked to 25%, how badly did it think the economy
    # would contract this year?" was refused, "nothing on 1 Jan-7 Dec 2026"; so were two questions of earlier sets alike
    # ("By how much did the World Bank think Russia's own economy would contract this year because of sanctions?").
    for question in ("When Ukraine's central bank hiked to 25%, how badly did it think the economy would contract this year?",
                     "What did the World Bank say would decide how deep Ukraine's economic slump this year ends up being?"):
        assert parse_window(question, today=TODAY, corpus_end=CORPUS_END) is None
    assert parse_window("How much will the economy shrink this year?", today=TODAY, corpus_end=CORPUS_END).phrase == "this year"
    assert parse_window("Who won the Champions League final in Paris this year?", today=TODAY).phrase == "this year"
    # A reported clause ends where the question's next one begins.
    assert parse_window("They said it would fall; what happened this year?", today=TODAY).phrase == "this year"


def test_this_year_in_what_someone_expected_is_their_year():
    # holdout93, the last stop's blind check: "How badly did the NBU expect Ukraine's economy to contract this year when it
    # moved the policy rate to 25%?" was refused, "nothing on 1 Jan-8 Dec 2026": what was expected, as what would happen.
    for question in ("How badly did the NBU expect Ukraine's economy to contract this year when it moved the policy rate to 25%?",
                     "What did the World Bank forecast for the wider emerging Europe and Central Asia region this year?"):
        assert parse_window(question, today=TODAY, corpus_end=CORPUS_END) is None
    # What is expected now is of the asker's year.
    assert parse_window("What does the central bank expect the economy to do this year?", today=TODAY).phrase == "this year"
    assert parse_window("Did it rain this year?", today=TODAY).phrase == "this year"


def test_a_figure_as_of_a_day_is_searched_up_to_that_day():
    # holdout90, the last stop's blind check: "whats the total tonnage thats gone out thru the grain corridor since july as of
    # oct 31" searched from July on and was answered with August's second convoy, not the 31 October total.
    window = parse_window("whats the total tonnage thats gone out thru the grain corridor since july as of oct 31",
                          today=TODAY, corpus_end=CORPUS_END)
    assert (window.since, window.until) == (D("2022-07-01"), D("2022-10-31"))
    # Alone, "as of 30 March 2022" is that day's report (holdout67).
    assert parse_window("As of 30 March 2022, how many had left?", today=TODAY).since == D("2022-03-30")
