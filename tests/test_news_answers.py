"""Answers on real-looking news (tests/eval/news/events.jsonl, six dated reports): the right event, one
per answer, each line dated, "when" answered with a date, time phrases searched, the corpus's reach
respected, Ukrainian and Russian questions answered, names intact.

Every test here failed on the answer pipeline tuned on the seed article alone.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from index.service import CrisisService
from tests.helpers import make_settings

EVENTS = Path(__file__).resolve().parent / "eval" / "news" / "events.jsonl"
SOURCE = {json.loads(line)["id"]: json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines()}
TODAY = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def news(tmp_path_factory, embedder) -> CrisisService:
    svc = CrisisService(make_settings(tmp_path_factory.mktemp("news") / "data"), embedder=embedder)
    svc.build([EVENTS])
    return svc


def service_of(tmp_path: Path, embedder, reports: list[dict]) -> CrisisService:
    """A service over an index of ``reports`` alone (JSON Lines in ``tmp_path``)."""
    corpus = tmp_path / "reports.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in reports) + "\n", encoding="utf-8")
    svc = CrisisService(make_settings(tmp_path / "data"), embedder=embedder)
    svc.build([corpus])
    return svc


def war_reports(*parts: str) -> list[dict]:
    """The reports of the war corpus's ``parts`` ("a" for part-a.jsonl, ...)."""
    war = Path(__file__).resolve().parent / "eval" / "war" / "corpus"
    return [json.loads(line) for part in parts for line in (war / f"part-{part}.jsonl").read_text(encoding="utf-8").splitlines()]


def report(name: str, title: str, date: str, *paragraphs: str) -> dict:
    """One report as ``service_of`` takes it."""
    return {"id": name, "title": title, "date": date, "url": f"https://example.org/{name}", "outlet": "Wire",
            "paragraphs": list(paragraphs)}


def cited_ids(answer) -> list[str]:
    ids = {p.id: p.paragraph.document.id_in_source for p in answer.passages}
    return [ids[c.paragraph_id] for c in answer.citations]


def test_an_answer_is_about_the_event_asked_not_its_neighbour(news):
    answer = news.ask("How many civilians died in the Kramatorsk station attack?", today=TODAY)
    assert not answer.abstained
    assert set(cited_ids(answer)) == {"kramatorsk-1"}, answer.answer
    assert "at least 50 people" in answer.answer
    assert "Kremenchuk" not in answer.answer


def test_each_answer_line_shows_its_sources_date(news):
    answer = news.ask("Who found bodies in the streets of Bucha?", today=TODAY)
    assert not answer.abstained
    lines = answer.answer.splitlines()
    assert lines and all(line.startswith("2 Apr 2022 — ") for line in lines), lines
    assert lines[0].endswith("[1]")


def test_a_when_question_leads_with_the_date_and_says_where_it_comes_from(news):
    answer = news.ask("When did HIMARS arrive in Ukraine?", today=TODAY)
    assert not answer.abstained
    assert answer.answer.splitlines()[0] == "23 Jun 2022 (the date the source gives)"
    weekday = news.ask("When did the Kremenchuk mall strike happen?", today=TODAY)
    assert weekday.answer.splitlines()[0] == "27 Jun 2022 (the date the source gives)"  # "on Monday", of 27 Jun
    undated = news.ask("When were bodies found in the streets of Bucha?", today=TODAY)
    assert undated.answer.splitlines()[0].startswith("2 Apr 2022 (the date of the report")


def test_a_name_the_report_gives_beyond_the_passages_returned_still_counts(tmp_path, embedder):
    # holdout82, written blind: "Once the emergency service wrapped up at the seaside resort near Odesa, what was the injured
    # count including children?" was answered "Odesa regional governor Maksym Marchenko said nobody had been injured in the
    # strike" (the Zatoka bridge, in April).  The best-ranked paragraph, of Serhiivka, holds the count; its report names
    # Odesa only in its last paragraph, which ranked below the passages returned, though among those searched.
    serhiivka = report("serhiivka", "Serhiivka death toll rises to 21 as rescuers end search", "2022-07-02",
                       "The death toll from Friday's Russian missile strike on the seaside village of Serhiivka has risen to "
                       "21, including a child, Ukraine's State Emergency Service said on Saturday after rescuers finished "
                       "clearing the debris of the destroyed apartment block.",
                       "Another 38 people were injured in the attack, six of them children, the service said. One section of "
                       "the nine-storey building collapsed completely after the missile hit, and a second missile struck a "
                       "nearby recreation centre.",
                       "The Odesa regional administration declared two days of mourning. President Volodymyr Zelensky called "
                       "the attack \"conscious, deliberately targeted Russian terror\".")
    zatoka = report("zatoka", "Missile hits Zatoka bridge in Odesa region", "2022-04-27",
                    "A Russian missile struck the road and rail bridge over the Dniester estuary near Zatoka in the Odesa "
                    "region on Tuesday evening, Ukrainian officials said.",
                    "Odesa regional governor Maksym Marchenko said nobody had been injured in the strike. Ukrzaliznytsia "
                    "suspended trains across the bridge and said passengers would be carried by bus.")
    # Odesa is a name (a key term) only when few paragraphs hold it: forty reports of the war corpus that do not.
    others = [r for r in war_reports("a") if r["language"] == "en" and "Odesa" not in json.dumps(r)][:40]
    svc = service_of(tmp_path, embedder, [serhiivka, zatoka, *others])
    answer = svc.ask("Once the emergency service wrapped up at the seaside resort near Odesa, what was the injured count "
                     "including children?", 3, today=TODAY)
    assert answer.sentences[0].text.startswith("Another 38 people were injured"), answer.answer
    assert cited_ids(answer) == ["serhiivka"], answer.answer


def test_a_when_answer_dates_the_event_by_the_report_s_other_paragraph_and_quotes_it(tmp_path, embedder):
    # Six questions of the read sets (holdout16, 33, 39, 47, 67, 73) asked when the first Kinzhal struck; the answer led
    # with 19 March, the Saturday Russia said so in the report's first paragraph; its second paragraph says the strike
    # took place on Friday, 18 March.
    kinzhal = report("kinzhal", "Russia says it used Kinzhal hypersonic missile in Ukraine", "2022-03-20",
                     "Russia said on Saturday it had used its Kinzhal hypersonic missile for the first time in combat, "
                     "destroying a large underground depot of missiles in the village of Deliatyn in western Ukraine.",
                     "Defence ministry spokesman Igor Konashenkov said the strike took place on Friday. Ukraine's air force "
                     "confirmed that a warehouse had been hit.")
    other = report("other", "Shelling hits Kharkiv", "2022-03-19", "Russian shelling hit residential areas of Kharkiv on Saturday.")
    svc = service_of(tmp_path, embedder, [kinzhal, other])
    answer = svc.ask("When did Russia fire its Kinzhal hypersonic missile for the first time?", today=TODAY)
    lines = answer.answer.splitlines()
    assert lines[0] == "18 Mar 2022 (the date the source gives)", answer.answer
    assert any("took place on Friday" in line for line in lines[1:])  # the sentence that gives the day is quoted
    assert answer.citations[-1].text.startswith("Defence ministry spokesman")
    # Only a day that dates what was said gives way, and only to a day that is no background of the event's ("after 20
    # soldiers were freed on 13 October", in a report of a swap Yermak announced on Monday, 17 October).
    swap = report("swap", "108 Ukrainian women freed in all-female prisoner exchange", "2022-10-18",
                  "Ukraine secured the release of 108 women in the first all-female prisoner swap of the war, presidential "
                  "chief of staff Andriy Yermak said on Monday.",
                  "Ukraine's ombudsman said the women had been held in harsh conditions. The exchange was the second in a "
                  "week, after 20 Ukrainian soldiers were freed on 13 October.")
    (tmp_path / "swap").mkdir()
    svc = service_of(tmp_path / "swap", embedder, [swap, other])
    answer = svc.ask("When did the all-female prisoner swap happen?", today=TODAY)
    assert answer.answer.splitlines()[0] == "17 Oct 2022 (the date the source gives)", answer.answer


def test_a_when_answer_dates_the_event_by_another_outlets_report_of_it(tmp_path, embedder):
    # holdout82 and holdout89 (the last stop's blind check): "What day did the Super Puma come down next to a kindergarten
    # east of Kyiv, killing the interior minister?" led with the report's date (19 January), "the source gives no date":
    # the report naming the Super Puma dates nothing; another outlet's, which does not name it, says "on Wednesday".
    named = report("named", "Nine killed in helicopter crash near Kyiv", "2023-01-19",
                   "All nine people on board the Super Puma helicopter were killed, including Interior Minister Denys "
                   "Monastyrskyi. The government appointed an acting interior minister.")
    dated = report("dated", "Ukraine's interior minister killed in helicopter crash", "2023-01-18",
                   "Ukraine's interior minister, Denys Monastyrskyi, was killed on Wednesday morning when a helicopter "
                   "crashed near a kindergarten in Brovary, a suburb east of Kyiv, officials said.")
    # (not a report two days later, of another event: the Sumy corridor for "the first corridor out of Mariupol", holdout8)
    other = report("other", "Shelling hits Kharkiv", "2023-01-21", "A missile hit a kindergarten on Saturday, killing a guard, the interior minister said.")
    # (enough other reports that a name of one is rare: key terms are words of few paragraphs)
    towns = ("Odesa", "Lviv", "Dnipro", "Sumy", "Poltava", "Kherson", "Mykolaiv", "Chernihiv", "Vinnytsia", "Rivne")
    told = ("Air defences shot down drones over {} overnight, the regional governor said.",
            "Volunteers in {} opened a new shelter for families who had lost their homes.",
            "The railway station in {} reopened after repairs to the damaged tracks.")
    filler = [report(f"{town}-{month}", f"News from {town}", f"2022-{month:02d}-{n + 10}", text.format(town))
              for n, town in enumerate(towns) for month, text in zip((3, 6, 9), told)]
    svc = service_of(tmp_path, embedder, [named, dated, other, *filler])
    answer = svc.ask("What day did the Super Puma come down next to a kindergarten, killing the interior minister?",
                     today=TODAY)
    assert answer.answer.splitlines()[0] == "18 Jan 2023 (the date the source gives)", answer.answer
    assert cited_ids(answer)[0] == "dated"


@pytest.mark.parametrize(
    "question, expected, note",
    [
        ("What happened in Kherson in March 2022?", "kherson-march", "Searching 1–31 Mar 2022."),
        ("What happened in Kherson in November 2022?", "kherson-november", "Searching 1–30 Nov 2022."),
        ("What happened in Kherson in the first days of the war?", "kherson-march", "Searching 24 Feb–3 Mar 2022."),
        ("what happened in kherson in novmber 2022", "kherson-november", "Searching 1–30 Nov 2022."),  # a slip in the month
    ],
)
def test_a_time_phrase_becomes_the_dates_searched(news, question, expected, note):
    answer = news.ask(question, today=TODAY)
    assert not answer.abstained, answer.reason
    assert set(cited_ids(answer)) == {expected}
    assert answer.note == note
    assert answer.to_json()["since"] <= SOURCE[expected]["date"] <= answer.to_json()["until"]


def test_a_time_outside_the_corpus_is_refused_saying_what_it_covers(news):
    answer = news.ask("What happened at the Kakhovka dam in June 2023?", today=TODAY)
    assert answer.abstained and not answer.citations
    assert answer.answer == "My sources run from 2 Mar 2022 to 11 Nov 2022 and have nothing on 1–30 Jun 2023."
    last_week = news.ask("What happened in Kherson last week?", today=TODAY)
    assert last_week.abstained and "have nothing on 28 Nov–5 Dec 2026" in last_week.answer


def test_latest_puts_the_newest_relevant_source_first(news):
    answer = news.ask("What is the latest on Kherson?", today=TODAY)
    assert not answer.abstained
    assert cited_ids(answer)[0] == "kherson-november"


@pytest.mark.parametrize(
    "question, language, expected, date",
    [
        ("Скільки людей загинуло на вокзалі в Краматорську?", "uk", "kramatorsk-1", "8 квіт. 2022"),
        ("Сколько людей погибло на вокзале в Краматорске?", "ru", "kramatorsk-1", "8 апр. 2022"),
        ("Коли звільнили Херсон?", "uk", "kherson-november", "11 лист. 2022"),
    ],
)
def test_ukrainian_and_russian_questions_get_the_english_sources(news, question, language, expected, date):
    answer = news.ask(question, today=TODAY)
    assert answer.language == language
    assert not answer.abstained, answer.reason
    assert cited_ids(answer)[0] == expected
    assert date in answer.answer


def test_names_are_quoted_exactly_as_the_source_has_them(news):
    answer = news.ask("Which towns are investigators documenting war crimes in?", today=TODAY)
    assert not answer.abstained
    originals = [p for doc in SOURCE.values() for p in doc["paragraphs"]]
    for sentence in answer.sentences:
        assert any(sentence.text in paragraph for paragraph in originals), sentence.text
    assert "Bucha, Irpin and Hostomel" in answer.answer


@pytest.mark.parametrize(
    "question",
    ["How many civilians died in the Kramatorsk station attack?", "What is the capital of Australia?",
     "What happened at the Kakhovka dam in June 2023?", "Коли звільнили Херсон?"],
)
def test_deciding_without_composing_decides_the_same(news, question):
    full = news.ask(question, today=TODAY)
    fast = news.ask(question, today=TODAY, compose_answer=False)
    assert fast.abstained == full.abstained
    assert [p.id for p in fast.passages] == [p.id for p in full.passages]


def test_an_old_or_other_spelling_of_a_place_finds_the_corpus_spelling(news):
    # The corpus writes Kyiv; readers still type Kiev (refused as a name the corpus never mentions, before).
    answer = news.ask("What did journalists find north-west of Kiev?", today=TODAY)
    assert not answer.abstained, answer.answer
    assert cited_ids(answer)[0] == "bucha-1"


def test_a_report_published_after_the_day_asked_is_not_searched(news):
    # "Yesterday" asked on 10 Nov 2022 is 9 Nov; reports a day or two later are searched too, but one published
    # on 11 Nov did not exist yet (it was quoted before, as what happened "yesterday").
    early = news.ask("What happened in Kherson yesterday?", today=dt.date(2022, 11, 10))
    assert "kherson-november" not in cited_ids(early), early.answer
    assert early.to_json()["until"] == "2022-11-10"
    on_time = news.ask("What happened in Kherson yesterday?", today=dt.date(2022, 11, 12))
    assert not on_time.abstained and set(cited_ids(on_time)) == {"kherson-november"}


def test_since_when_is_answered_with_the_day_the_span_starts_on(tmp_path, embedder):
    # holdout61, written blind: "Since what date had Russian missiles and drones been battering the power system, going by
    # Ukrenergo's 40 percent damage estimate?" was led with "5 Nov 2022 (the date of the report; the source gives no date
    # for the event)", above "strikes since 10 October had damaged around 40 percent".
    svc = service_of(tmp_path, embedder, [
        {"id": "grid", "title": "Ukrenergo says 40 percent of power system damaged", "date": "2022-11-05", "outlet": "Wire",
         "paragraphs": ["Ukrenergo said Russian missile and drone strikes since 10 October had damaged around 40 percent of "
                        "the country's power system."]},
        {"id": "bridge", "title": "Blast hits Crimean bridge", "date": "2022-10-08", "outlet": "Wire",
         "paragraphs": ["An explosion damaged the Crimean bridge on Saturday morning."]},
    ])
    answer = svc.ask("Since what date had Russian missiles been battering the power system?", today=TODAY)
    assert answer.answer.splitlines()[0] == "10 Oct 2022 (the date the source gives)", answer.answer
    undated = svc.ask("When did Ukrenergo say the power system was 40 percent damaged?", today=TODAY)
    assert undated.answer.splitlines()[0].startswith("5 Nov 2022 (the date of the report"), undated.answer


def test_a_russian_question_answered_by_a_russian_report_is_not_refused(tmp_path, embedder):
    # holdout38 and 23 more Ukrainian and Russian questions of the war sets: "До какого уровня ЦБ России поднимал ключевую
    # ставку?" found the Russian report that says it first, and was refused as weak evidence, because its closeness
    # in meaning was MiniLM's, which reads no Cyrillic (0.2), not the multilingual model's.
    svc = service_of(tmp_path, embedder, [
        {"id": "rate-ru", "title": "ЦБ России повысил ключевую ставку до 20%", "date": "2022-02-28", "outlet": "Вестник",
         "paragraphs": ["Банк России в понедельник повысил ключевую ставку с 9,5% до 20% годовых, чтобы поддержать рубль "
                        "после введения западных санкций."]},
        *({"id": f"other-{n}", "title": title, "date": "2022-03-01", "outlet": "Wire", "paragraphs": [text]} for n, (title, text) in
          enumerate([("Kherson falls", "Russian forces took control of Kherson on Wednesday, its mayor said."),
                     ("Kyiv convoy", "A Russian military convoy stretched for 60 kilometres north of Kyiv."),
                     ("Grain exports halted", "Ukraine's Black Sea ports were blockaded and grain exports stopped.")])),
    ])
    answer = svc.ask("До какого уровня ЦБ России поднимал ключевую ставку?", today=TODAY)
    assert not answer.abstained, answer.reason
    assert cited_ids(answer) == ["rate-ru"] and "20%" in answer.answer
    assert svc.ask("Как вырастить помидоры на балконе?", today=TODAY).abstained


@pytest.mark.parametrize("question, expected", [
    ("How many people died in the strike on civilians, not Kramatorsk?", "kremenchuk-1"),
    ("How many died in the missile strike (not the one in Kramatorsk)?", "kremenchuk-1"),
    ("How many people were killed in the Russian missile strike, not Kremenchuk?", "kramatorsk-1"),
])
def test_a_passage_naming_what_the_question_sets_aside_is_the_neighbour(news, question, expected):
    # holdout35, written blind: "When Russian troops seized the Zaporizhzhia nuclear plant, not Chernobyl, did the
    # radiation readings go up?" was answered from the report of Chernobyl's seizure, which scored the highest.
    answer = news.ask(question, today=TODAY)
    assert not answer.abstained and cited_ids(answer)[0] == expected, answer.answer


def test_a_when_answer_finds_the_story_s_first_report_though_its_words_repeat_the_next_s(tmp_path, embedder):
    # holdout91, written blind: "When did Moscow announce it was walking away from the Black Sea grain deal?" led with
    # 2 Nov 2022, the day Russia rejoined the deal.  The report of 29 October ("Russia said on Saturday it was suspending
    # its participation in the Black Sea grain deal") reads so like the later one ("Russia said on Wednesday it would
    # resume its participation ...") that the five passages chosen for variety left it out, before a "when" question's
    # story went earliest first.  Two parts of the war corpus, so that enough passages compete.
    svc = service_of(tmp_path, embedder, war_reports("c", "d"))
    answer = svc.ask("When did Moscow announce it was walking away from the Black Sea grain deal?", 5, today=TODAY)
    assert answer.answer.splitlines()[0] == "29 Oct 2022 (the date the source gives)", answer.answer
    assert cited_ids(answer)[0] == "c-087"


def test_a_when_answer_dated_by_a_threat_gives_way_to_the_day_the_report_gives_the_event(tmp_path, embedder):
    # Three questions of the read sets (holdout6, 46, 92) asked when Lithuania began stopping sanctioned goods bound for
    # Kaliningrad; the answer led with 21 June, the Tuesday Russia threatened to retaliate.  A threat or a warning dates
    # what was said, as "said on Saturday" does; the report's next paragraph says the curbs began on Saturday, 18 June.
    transit = report("transit", "Russia threatens Lithuania over Kaliningrad transit curbs", "2022-06-21",
                     "Russia threatened on Tuesday to retaliate against Lithuania after Vilnius banned the transit of goods "
                     "subject to EU sanctions across its territory to the Russian exclave of Kaliningrad.",
                     "Lithuania began applying the restrictions on Saturday to rail shipments of steel and other ferrous "
                     "metals, saying it was only implementing EU sanctions.")
    other = report("other", "Shelling hits Kharkiv", "2022-06-20", "Russian shelling hit residential areas of Kharkiv on Monday.")
    svc = service_of(tmp_path, embedder, [transit, other])
    answer = svc.ask("When did Lithuania start stopping sanctioned goods on the way to Kaliningrad?", today=TODAY)
    lines = answer.answer.splitlines()
    assert lines[0] == "18 Jun 2022 (the date the source gives)", answer.answer
    assert any("began applying the restrictions on Saturday" in line for line in lines[1:])


def test_whether_to_answer_reads_a_passage_with_its_report_s_other_passages_found(tmp_path, embedder):
    # holdout92, written blind: "What sort of monthly cash did Zelensky ask the alliance for when he spoke to the Madrid
    # summit?" was refused ("weak evidence about madrid"), though the best passage answers it: "Zelensky, addressing the
    # summit by video, asked for ... financial support of about 5 billion dollars a month".  Its report names Madrid in
    # its first paragraph, also found; the decision to answer had read each passage alone, and that one alone is weak.
    svc = service_of(tmp_path, embedder, war_reports("b"))
    answer = svc.ask("What sort of monthly cash did Zelensky ask the alliance for when he spoke to the Madrid summit?", 5,
                     today=TODAY)
    assert not answer.abstained, answer.reason
    assert "5 billion dollars a month" in answer.sentences[0].text, answer.answer
