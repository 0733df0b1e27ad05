"""One test per cause of a miss found on the war news development set (README, "Answer quality"): a
report that names the question's subject only in passing, "first" and "final" questions, contractions
read as typos, a misspelt "when", a question's verb against a report's noun ("invade"/"invasion"), a
possessive read as a rare name ("chief's"), and dates in the answer's own language when scoring.

Each test here failed on the code before the fix it guards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import eval as evaluation
from index import text as textlib
from index.answer import about_the_question, judge
from index.families import everyday_words, phrasal_words, relatives
from index.lexical import Vocabulary
from index.question import asks_when, key_terms
from index.search import (
    Passage,
    Query,
    asks_order,
    headline_coverage,
    in_dates,
    in_story_order,
    make_query,
    updates_first,
    without_clitics,
)
from index.spellings import spelling_variants
from index.store.protocol import DocumentRow, ParagraphRow
from index.timeframe import format_day


def passage(pid: int, title: str, date: str, text: str, score: float) -> Passage:
    document = DocumentRow(id=f"d{pid}", title=title, outlet="Wire", date=date, url=None, origin="test")
    lex = tuple(textlib.lexical_tokens(f"{title} {text}"))
    return Passage(ParagraphRow(pid, text, lex, (document,)), score, score, 0.0, 0.0)


def query(text: str, named: tuple[str, ...]) -> Query:
    return Query(text, np.zeros(4, np.float32), tuple(textlib.lexical_tokens(text)), key_terms=named)


KRAMATORSK = query("What is the final death toll of the Kramatorsk station strike?", ("kramatorsk",))
FIRST_TOLL = passage(1, "Missile hits Kramatorsk station", "2022-04-08", "At least 39 people were killed in Kramatorsk.", 0.50)
LATER_TOLL = passage(2, "Kramatorsk station death toll rises to 52", "2022-04-09", "The toll in Kramatorsk rose to 52.", 0.48)
IN_PASSING = passage(3, "Dnipro rescue operation ends", "2023-01-18", "It was the deadliest strike since Kramatorsk.", 0.49)
OTHER = passage(4, "Kramatorsk apartment block hit", "2023-02-02", "Three were killed in Kramatorsk.", 0.20)


def test_a_report_naming_the_subject_only_in_passing_is_not_one_of_its_reports():
    assert headline_coverage(KRAMATORSK, LATER_TOLL.paragraph) == 1.0
    assert headline_coverage(KRAMATORSK, IN_PASSING.paragraph) == 0.0  # named in the text, not the headline
    assert headline_coverage(query("What happened?", ()), IN_PASSING.paragraph) == 1.0  # nothing named: no judgement


def test_final_puts_the_newest_report_of_the_story_first_and_first_the_earliest():
    ranked = [FIRST_TOLL, IN_PASSING, LATER_TOLL, OTHER]
    assert asks_order(KRAMATORSK.text) == "final"
    newest = in_story_order(ranked, KRAMATORSK, first=False)
    # The in-passing mention is newer but no report of the story; the weak one is not relevant enough.
    assert [p.id for p in newest] == [2, 1]
    # "Once the toll was updated, how many people were wounded in the missile strike on the civilian car convoy in
    # Zaporizhzhia?" was answered from the first day's report (28 wounded; 88 the next day).
    assert asks_order("Once the toll was updated, how many were wounded?") == "final"
    assert asks_order("What did the revised figures say?") == "final"
    # holdout40 and holdout39, written blind: "In the very first reports on the missile strike on the Kremenchuk shopping
    # centre, before the toll went up the next day, how many ...?" was read as asking for the next day's report, and
    # "Same-day numbers for the strike on the Mykolaiv governor's building" for no report in particular.
    assert asks_order("In the very first reports, before the toll went up the next day, how many died?") == "first"
    assert asks_order("Before Moscow raised the Makiivka toll to 89, what was the number of dead?") == "first"
    assert asks_order("Same-day numbers for the strike on the governor's building: how many were hurt?") == "first"
    assert asks_order("Before the strike, how many people lived there?") is None
    # holdout74, the last stop's blind check: "Moscow first said 63 died at Makiivka, what did it bump the number up to a
    # couple of days later?" was answered from the first report (63), not the later one (89).
    assert asks_order("Moscow first said 63 died at Makiivka, what did it bump the number up to a couple of days later?") == "final"
    # A time after the story ("What happened two days later?", a follow-up in conversations_holdout3) asks for no report.
    assert asks_order("What happened two days later?") is None
    assert asks_order("They said 20 were hurt, and raised it to what?") is None
    # holdout84, written blind: "What date did Europe's biggest nuclear station lose every link to Ukraine's network for the
    # very first time?" led with 4 March, the story's first report (the plant seized), not the day it was cut off.  What had
    # never happened before, or a day ("the war's first anniversary", holdout86), asks for no story's first report.
    assert asks_order("What date did the plant lose its grid link for the very first time?") is None
    assert asks_order("When was its first-ever export of grain?") is None
    assert asks_order("How many names were added a day after the war's first anniversary?") is None
    assert asks_order("What day did China's leader ring Zelensky for the first time since the invasion?") is None
    assert asks_order("When did HIMARS first arrive?") == "first"
    # holdout89, the last stop's blind check: "Which groups got first priority in the state-run winter evacuation out of
    # Kherson?" was answered from October's first report of an evacuation of Kherson (Saldo's), not November's.
    assert asks_order("Which groups got first priority in the winter evacuation out of Kherson?") is None
    assert asks_order("Who would go first in the evacuation?") is None
    assert asks_order("Who was first in line for the evacuation?") is None
    # "When was the Black Sea grain deal extended for the first time?" (conversations_holdout9) asks for the first extension.
    assert asks_order("When was the grain deal extended for the first time?") == "first"
    assert asks_order("What was Russia's very first count of dead at Olenivka?") == "first"
    # holdout80 and holdout83, written blind: "By the time the search ended at the Dnipro high-rise in January 2023, how many
    # people had been injured in total?" quoted the first day's report too ("The number of people injured rose to 73").
    assert asks_order("By the time the search ended at the Dnipro high-rise, how many had been injured?") == "final"
    assert asks_order("Once rescuers finished at the Uman block, where did the toll settle?") == "final"
    assert asks_order("When the emergency service wrapped up, what was the count?") == "final"
    assert asks_order("When did the search for survivors begin?") is None
    # holdout88, the last stop's blind check: "First reports from Uman said 17 dead - what did the number end up at after the
    # clearing?" was answered from the first day's report (17 rescued), not the next day's (23 dead).
    assert asks_order("First reports from Uman said 17 dead - what did the number end up at after the clearing?") == "final"
    assert asks_order("How many ended up in hospital?") == "final"
    first = query("How many died in the first Kramatorsk report?", ("kramatorsk",))
    assert asks_order(first.text) == "first"
    assert [p.id for p in in_story_order([LATER_TOLL, FIRST_TOLL, OTHER], first, first=True)] == [1, 2]


def test_the_day_after_puts_the_storys_next_report_first():
    # holdout17: "The day after the Dnipro apartment block was hit, how many injured were being reported?" was
    # answered from the first day's report ("Dozens were injured"), not the next day's ("Seventy-five ... 14 children").
    asked = query("The day after the Kramatorsk station was hit, how many were injured?", ("kramatorsk",))
    assert asks_order(asked.text) == "next"
    assert asks_order("On the second day of the rescue in Kramatorsk, how many were missing?") == "next"
    assert asks_order("What happened the day after the invasion?") is None  # a date (index/timeframe.py), no story's day
    # holdout88, the last stop's blind check: "who did russia make overal commander in ukraine right after the crimea bridge
    # blew up" quoted the bridge's first report (Podolyak's tweet), not the next day's (Surovikin named commander).
    assert asks_order("who did russia make overal commander in ukraine right after the crimea bridge blew up") == "next"
    assert asks_order("What did Kyiv say immediately after the Kramatorsk strike?") == "next"
    assert asks_order("What happened right after the invasion began?") is None
    assert asks_order("Was the strike just after midnight?") is None
    # holdout68: "... the little resort village near Odesa right after Russia left Snake Island?" asks about the village.
    assert asks_order("What hit the resort village near Odesa right after Russia left Snake Island?") is None
    long_before = passage(7, "Kramatorsk station hit", "2022-03-01", "A strike hit Kramatorsk station; 5 were injured.", 0.50)
    next_day = dataclasses.replace(LATER_TOLL, score=0.49)
    ranked = [FIRST_TOLL, next_day, long_before]
    # The story is the days around its best report: a strike on the same station weeks before is no first day of it.
    assert [p.id for p in in_story_order(ranked, asked, first=True, after_first=True)][0] == 2
    assert [p.id for p in in_story_order(ranked, asked, first=True)][0] == 7


def test_a_figure_the_question_names_is_one_report_of_the_story_not_the_story():
    # holdout38, written blind: "What was the prosecutor general's body count for the Kyiv region about a week after the
    # first 410 figure?" kept only the report holding "410" as the story's, and answered with it, not with the 1,222.
    asked = query("What was the body count in Kramatorsk about a week after the first 39 figure?", ("kramatorsk", "39"))
    assert asks_order(asked.text) == "next"
    assert [p.id for p in in_story_order([FIRST_TOLL, LATER_TOLL, OTHER], asked, first=True, after_first=True)] == [2, 1]


def test_questions_without_an_order_word_ask_for_none():
    for question in ("How many died in Kramatorsk?", "What is the latest on Kherson?", "Who won the Champions League?"):
        assert asks_order(question) is None
    assert asks_order("When did the Patriots finally arrive?") == "final"
    assert asks_order("How big was the package that first included HIMARS?") == "first"
    # holdout32: "In the first police figures for the Brovary helicopter crash, before the toll was revised, how many
    # children were said to have died?" asked for the final report: what comes before a revision is the first.
    assert asks_order("In the first police figures, before the toll was revised, how many children died?") == "first"
    assert asks_order("What was the Serhiivka death toll before rescuers finished?") == "first"
    assert asks_order("How many were reported hurt before the rescue finished?") == "first"
    assert asks_order("Before the final count, how many were missing?") == "first"
    # holdout37, written blind: "Right after the Mariupol drama theatre was bombed, before the council's estimate of about
    # 300 dead, was there any casualty figure yet?" was answered from the estimate.
    assert asks_order("Right after the theatre was bombed, before the council's estimate, was there any figure?") == "first"
    # holdout38: "What was the prosecutor general's body count for the Kyiv region about a week after the first 410
    # figure?" asked for the first report; what comes after the first is the next.
    assert asks_order("What was the body count about a week after the first 410 figure?") == "next"
    assert asks_order("How many ships left after the first convoy?") == "next"


def test_contractions_are_not_read_as_typos_of_corpus_terms():
    vocabulary = Vocabulary({"wheat": 5, "kramatorsk": 3, "toll": 4, "final": 2}, 100)
    tokens = make_query("What's the final toll in Kramatorsk?", np.zeros(4, np.float32), vocabulary=vocabulary).tokens
    assert "wheat" not in tokens and {"final", "toll", "kramatorsk"} <= set(tokens)
    assert without_clitics("Russia's troops didn't stay, they're gone; can't, won't") == "Russia troops did stay, they gone; can, will"


@given(st.sampled_from(["wen", "whn", "wehn", "whne", "Wen", "hwen"]), st.sampled_from([" did", " was", " were"]))
def test_a_misspelt_when_still_asks_for_a_date(word, rest):
    assert asks_when(f"{word}{rest} the missile hit Przewodow")


@given(st.sampled_from(["Then", "Where", "What", "Who", "Why", "How", "Went", "Were"]))
def test_a_common_word_near_when_does_not(word):
    assert not asks_when(f"{word} did the missile hit Przewodow")


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)), st.sampled_from(["en", "uk", "ru"]))
def test_an_answer_states_its_date_in_its_own_language(day, language):
    assert evaluation.states_date(f"{format_day(day, language)} — quoted sentence. [1]", day)
    assert not evaluation.states_date(f"{format_day(day + dt.timedelta(days=1), language)} — quoted. [1]", day)


def test_a_verb_in_the_question_finds_its_noun_in_a_report():
    # "When did Russia invade Ukraine?" shared no term with "a full-scale invasion" and a report saying
    # "invading" in passing outranked it.
    vocabulary = Vocabulary({"russia": 50, "invad": 2, "invas": 9, "ukrain": 60}, 100)
    asked = make_query("When did Russia invade Ukraine?", np.zeros(4, np.float32), vocabulary=vocabulary)
    report = set(textlib.lexical_tokens("Russia launched a full-scale invasion of Ukraine"))
    assert "invad" not in report and "invad" in asked.holding(report)
    assert "invas" in asked.search_tokens()
    assert asked.holding({"ukrain"}) == {"ukrain"}  # nothing implied without a relative


@pytest.mark.parametrize("question, report", [
    ("Why did Ukraine pull out of Lysychansk?", "Ukraine's forces withdrew from Lysychansk"),
    ("did zelensky run away from kyiv", "rumours that he had fled Kyiv"),
    ("When did they blow the bridge up?", "An explosion hit the Kerch bridge"),
    ("Why was the evacuation from Mariupol called off?", "The evacuation from Mariupol was postponed"),
    ("Will NATO close the sky over Ukraine?", "NATO will not impose a no-fly zone over Ukraine"),
    ("How did it go when the Russians tried to get across the river?", "Russian forces tried to cross the river"),
    ("Where is Russia going to keep its battlefield nukes?", "Russia would station tactical nuclear weapons in Belarus"),
    ("How many came home in the prisoner swap?", "Thirty Ukrainians were freed in a prisoner exchange"),
    ("What happened to the guy who runs the Zaporizhzhia plant?", "Russian troops detained the director general of the plant"),
    ("how many died in the strike on the flats", "an air strike on a residential area"),
    ("How big was the aid package?", "a new security assistance package"),
    ("What did the EU do to the Russian MPs?", "blacklist all members of the State Duma"),
    # holdout76: "Berlin promised 14 Leopards, but what number of 2A6s actually showed up in Ukraine?"
    ("How many tanks actually showed up in Ukraine?", "Germany said it had delivered 18 tanks"),
    # holdout75: "did kramatorsk evacuations keep going after the station got hit" ("Evacuation ... was continuing").
    ("did the evacuations keep going after the strike", "Evacuation from the region was continuing by bus"),
    # holdout88, the last stop's blind check: "Which EU member held up the 10th sanctions package, and over what product?"
    ("Which EU member held up the sanctions package?", "after Poland dropped objections over synthetic rubber imports"),
    # holdout92: "The infrastructure official picked up just before the big January 2023 purge, how much was he allegedly
    # paid?" was refused ("had been detained at the weekend on suspicion of taking a $400,000 bribe").
    ("Which official was picked up over a bribe?", "The deputy minister had been detained on suspicion of taking a bribe"),
    # holdout91: "How were the Ukrainian operators at the occupied Zaporizhzhia plant holding up, according to the IAEA
    # write-up after its visit?" was answered from the IAEA chief's visit to Chornobyl; the report of the Zaporizhzhia
    # visit says "Ukrainian staff were working under constant high stress".
    ("What did the IAEA write-up say?", "The report called for a protection zone around the plant"),
    ("How are the operators coping?", "Ukrainian staff were working under constant high stress"),
    # holdout92: "What paperwork did the Commission chief bring Zelensky to get the EU accession ball rolling?" (a questionnaire);
    # holdout82: "4000 warming points winter outages ukraine" (the reports' "invincibility points", "heating points").
    ("What paperwork did she bring?", "She handed over a questionnaire, the first step of the application"),
    ("how many warming points", "more than 4,000 so-called invincibility points"),
    # holdout59 and holdout81: "How far from the capital is the old Chernobyl station ...?", "What happened to the river
    # crossing that Chernihiv relied on to reach the capital?" (reports: "about 100 kilometres north of Kyiv").
    ("How far from the capital is the station?", "The station is about 100 kilometres north of Kyiv"),
    # holdout44, holdout54, holdout55 and holdout69: "payback", "sidelined", "envoy", "lights n water".
    ("what were the missiles payback for", "Putin said the strikes were retaliation for the bridge attack"),
    ("Once she was sidelined, who took over?", "Zelensky suspended the prosecutor general"),
    ("Who is the new envoy to Kyiv?", "Biden will nominate Bridget Brink as ambassador to Ukraine"),
    ("do ppl there have lights", "The city remained without electricity"),
])
def test_a_phrasal_verb_or_an_everyday_word_finds_the_word_reports_write_for_it(question, report):
    # "pulled out", "run away", "blew up", "nukes", "swap", "the guy who runs": the words of a report ("withdrew",
    # "fled", "explosion", "nuclear", "exchange", "director") were not searched.
    written = set(textlib.lexical_tokens(report))
    vocabulary = Vocabulary({t: 3 for t in written | set(textlib.lexical_tokens(question))}, 100)
    asked = make_query(question, np.zeros(4, np.float32), vocabulary=vocabulary)
    verb = next(token for token, family in asked.related if family & written)
    assert verb in asked.tokens and verb not in written and verb in asked.holding(written)
    assert written & set(asked.search_tokens()) - set(asked.tokens)


def test_first_finds_an_earlier_report_of_a_story_the_headlines_name_though_it_scores_lower():
    # "What was Russia's first death toll for the Makiivka strike?": the first report (63 killed) scored 0.70 of
    # the later one (89), under the 0.85 asked of any relevant passage, and the later toll went first.
    later = passage(5, "Russia raises Makiivka death toll to 89", "2023-01-04", "The toll at Makiivka rose to 89.", 0.76)
    first = passage(6, "Russia says 63 soldiers killed in strike on Makiivka", "2023-01-02", "63 were killed at Makiivka.", 0.53)
    aside = passage(7, "Ukraine strikes Russian base", "2023-01-01", "A base was hit in Makiivka overnight.", 0.60)
    asked = query("What was Russia's first death toll for the Makiivka strike?", ("makiivka",))
    assert [p.id for p in in_story_order([later, aside, first], asked, first=True)] == [6, 5]


def test_the_first_of_a_thing_is_told_by_the_reports_of_that_thing():
    # holdout76 and holdout77 (and holdout28, read before): "Where did the first evacuation train out of liberated Kherson
    # go ...?" was answered from the Russian-installed leader's evacuation a month before, the earliest report of a
    # Kherson evacuation; the train is in the report of Kyiv's evacuation.
    earlier = passage(10, "Kherson evacuation begins", "2022-10-20", "Saldo announced the evacuation of Kherson residents.", 0.43)
    train = passage(11, "Ukraine offers winter evacuation to Kherson residents", "2022-11-22",
                    "Ukraine began evacuating Kherson. The first evacuation train carried about 100 people.", 0.62)
    asked = query("Where did the first evacuation train out of liberated Kherson go?", ("kherson",))
    assert [p.id for p in in_story_order([train, earlier], asked, first=True)] == [11]
    # "When it first admitted its losses" asks for a report, not for a thing: the earliest report goes first as before.
    losses = query("How many did Moscow say it killed when it first admitted its losses in Kherson?", ("kherson",))
    assert [p.id for p in in_story_order([train, earlier], losses, first=True)] == [10, 11]


def test_first_and_final_order_reports_not_paragraphs():
    # "how many died in it in the end": three paragraphs of one report took the first three places, and the
    # report with the final toll (whose headline names less of the question) fell to fourth.
    report = DocumentRow(id="d8", title="Missile hits Kharkiv administration on Freedom Square", outlet="Wire",
                         date="2022-03-01", url=None, origin="test")
    strike = [passage(8 + i, report.title, report.date, f"Paragraph {i} on the Freedom Square strike in Kharkiv.", 0.63 - 0.08 * i)
              for i in range(3)]
    strike = [Passage(ParagraphRow(p.id, p.paragraph.text, p.paragraph.lex, (report,)), p.score, p.score, 0.0, 0.0) for p in strike]
    asked = query("How many died in the Freedom Square strike in Kharkiv in the end?", ("kharkiv",))
    assert [p.id for p in in_story_order(strike, asked, first=False)] == [8]


def test_a_name_typed_the_old_way_also_searches_the_spelling_reports_use_when_the_corpus_has_both():
    # The corpus writes "Chernobyl" in passing ("ten times larger than Chernobyl") and "Chornobyl" in its reports:
    # "chernobyl" is no unknown word, so it was never respelled, and the report on Chornobyl was not searched.
    vocabulary = Vocabulary({"chernobyl": 2, "chornobyl": 9, "grossi": 12, "radiat": 7}, 100)
    asked = make_query("what did grossi find at chernobyl", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert "chornobyl" in asked.search_tokens() and "chernobyl" in asked.tokens
    assert "chernobyl" in asked.holding({"chornobyl", "grossi"})
    only_one = make_query("what did grossi find at chernobyl", np.zeros(4, np.float32),
                          vocabulary=Vocabulary({"chernobyl": 2, "grossi": 12}, 100))
    assert only_one.related == ()  # a spelling the corpus lacks is not searched


def test_a_question_in_the_reports_own_words_searches_nothing_more():
    asked = "Where will Russia station tactical nuclear weapons? Who is the director of the plant?"
    vocabulary = Vocabulary({t: 3 for t in textlib.lexical_tokens(asked)}, 100)
    assert make_query(asked, np.zeros(4, np.float32), vocabulary=vocabulary).related == ()
    assert not everyday_words("Who runs out of ammunition?") and not everyday_words("a subsidy")


def test_a_number_written_as_a_word_also_searches_its_digits_and_the_other_way_round():
    # "when the total passed four million" shared no term with "More than 4 million refugees".
    vocabulary = Vocabulary({"4": 5, "million": 9, "refuge": 9, "thirti": 2, "30": 3}, 100)
    words = make_query("when the refugees passed four million", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert "4" in words.search_tokens() and "four" in words.holding({"4", "million"})
    digits = make_query("Were 30 freed?", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert "thirti" in digits.search_tokens()
    assert relatives("one") == frozenset()  # "one of the": mostly no number


def test_a_verb_without_its_particle_is_not_a_phrasal_verb():
    assert not phrasal_words("Who runs the Zaporizhzhia plant?") and not phrasal_words("How many were called up?")
    assert phrasal_words("How many troops did Russia pull back from Kyiv?")[0][0] == "pull"
    # "holding up" is how people cope (holdout21: "how are the Ukrainian workers at the occupied plant holding up?")
    assert not phrasal_words("How are the workers at the plant holding up?")


@given(st.sampled_from([("invade", "invasion"), ("respond", "response"), ("defend", "defence"), ("admit", "admission"),
                        ("receive", "reception"), ("describe", "description"), ("produce", "production"), ("die", "death"),
                        ("died", "dead"), ("explode", "explosion"), ("decide", "decision")]))
def test_word_families(pair):
    verb, noun = (textlib.lexical_tokens(w)[0] for w in pair)
    assert noun in relatives(verb) and verb in relatives(noun)


@given(st.sampled_from(["raid", "fund", "hand", "kill", "strike", "kramatorsk", "missil", "attack", "said"]))
def test_short_or_unrelated_stems_have_no_relatives_in_a_news_vocabulary(stem):
    news = {"rais", "funs", "hanc", "kills", "strik", "missil", "attack", "sai"}
    assert not relatives(stem) & news - {stem}


@pytest.mark.parametrize("question", ["Who was killed during the UN chief's visit?", "What did the army's spokesman say?"])
def test_a_possessive_is_its_word_not_a_rare_name(question):
    vocabulary = Vocabulary({"chief": 5, "armi": 5, "spokesman": 5, "visit": 5, "kill": 5}, 1000)
    assert key_terms(question, vocabulary).key == ()


class _Vectors:
    """What updates_first reads of an index: passage vectors (unrelated here: titles tell one story)."""

    def vectors_of(self, ids):
        return np.eye(len(ids), 4, dtype=np.float32)


def _covering(p: Passage, coverage: float) -> Passage:
    return Passage(p.paragraph, p.score, p.dense, p.lexical, coverage)


KILLED = passage(5, "Snake Island defenders killed", "2022-02-25", "Zelensky made the 13 border guards Heroes of Ukraine.", 0.57)
ALIVE = passage(6, "Snake Island defenders alive", "2022-02-28", "The border guards are alive and were taken prisoner.", 0.49)


def test_a_later_report_goes_first_only_when_it_holds_as_much_of_the_question_unless_a_figure_is_asked():
    honour = query("What honour did Zelensky give the Snake Island border guards?", ("snake", "island"))
    ranked = [_covering(KILLED, 0.43), _covering(ALIVE, 0.38)]
    # The later report lacks what is asked (the honour): another event of the story, not an update of it.
    assert [p.id for p in updates_first(ranked, honour, _Vectors())] == [5, 6]
    # Holding as much, it is an update and goes first.
    assert [p.id for p in updates_first([_covering(KILLED, 0.43), _covering(ALIVE, 0.43)], honour, _Vectors())] == [6, 5]
    # A figure asked for is the newest, in whatever words it comes.
    toll = query("How many died on Snake Island?", ("snake", "island"))
    assert [p.id for p in updates_first(ranked, toll, _Vectors())] == [6, 5]


def test_a_number_key_term_is_held_in_either_spelling():
    # "those two guys in the Polish village": the report writes "Two men were killed", the key term is "2".
    two = query("What killed those two men in Przewodow?", ("2", "przewodow"))
    report = passage(7, "Missile kills 2 in Przewodow", "2022-11-16", "Two men were killed in Przewodow.", 0.6)
    assert two.key_coverage(report.paragraph) == 1.0
    assert headline_coverage(two, report.paragraph) == 1.0
    four = query("How many had Poland taken in when the total passed four million?", ("4", "poland"))
    assert four.key_coverage(passage(8, "Four million have fled", "2022-03-30", "Poland took 2.3 million.", 0.5).paragraph) == 1.0
    assert four.key_coverage(passage(9, "2 million have fled", "2022-03-08", "Poland took 1.2 million.", 0.5).paragraph) == 0.5


def test_a_capital_named_for_its_government_is_held_by_the_countrys_name():
    # "How much military aid did the US announce when Zelensky came to Washington?" was answered from a report
    # that only wrote "Washington has now committed ...": the right one says "the White House", "the United States".
    washington = query("How much aid was announced when Zelensky came to Washington?", ("washington",))
    visit = passage(10, "Zelensky wins Patriot missiles", "2022-12-21", "Zelensky met Biden at the White House.", 0.4)
    assert washington.key_coverage(visit.paragraph) == 1.0
    assert washington.key_coverage(passage(11, "Aid", "2022-12-21", "The United States announced $1.85 billion.", 0.4).paragraph) == 1.0
    assert washington.key_coverage(passage(12, "Aid", "2022-04-09", "Britain announced more aid.", 0.4).paragraph) == 0.0
    # Either way round, and a word of a two-word name is not the name.
    assert query("What did Britain say?", ("britain",)).key_coverage(passage(13, "T", "2022-01-01", "London said no.", 0.4).paragraph) == 1.0
    assert washington.key_coverage(passage(14, "T", "2022-01-01", "The White Sea froze.", 0.4).paragraph) == 0.0
    # holdout28: "What wisecrack did the American president make about Putin's offer of a truce for Orthodox
    # Christmas?" was refused, "no passage holds american": the report writes "US President Joe Biden said".
    american = query("What did the American president say?", ("american",))
    assert american.key_coverage(passage(15, "T", "2023-01-05", "US President Joe Biden said no.", 0.4).paragraph) == 1.0
    # holdout32: "Could Warsaw get by once the Russian gas giant stopped sending it gas?" ("Poland said it could manage")
    warsaw = query("Could Warsaw get by without Russian gas?", ("warsaw",))
    assert warsaw.key_coverage(passage(17, "T", "2022-04-27", "Poland said it could manage without Russian gas.", 0.4).paragraph) == 1.0
    assert washington.key_coverage(passage(16, "T", "2022-12-21", "The US announced $1.85 billion.", 0.4).paragraph) == 0.0


def test_battlefield_nukes_are_tactical_nuclear_weapons():
    # "Where is Russia going to keep its battlefield nukes?" found reports on nuclear exercises and New START,
    # not the one on "tactical nuclear weapons" in Belarus.
    report = "Russia would station tactical nuclear weapons in Belarus"
    written = set(textlib.lexical_tokens(report))
    vocabulary = Vocabulary({t: 3 for t in written | {"battlefield", "nuke", "keep"}}, 100)
    asked = make_query("Where is Russia going to keep its battlefield nukes?", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert {"tactic", "nuclear"} <= set(asked.search_tokens())


def test_a_when_question_puts_the_storys_first_report_first_on_every_path():
    # The Ukrainian and Russian path re-ranks its passages and calls updates_first itself: "Коли звільнили
    # Херсон?" (asked as "When liberated Kherson?") led with the report of an evacuation eleven days later.
    when = query("When liberated Snake Island?", ("snake", "island"))
    ranked = [_covering(ALIVE, 0.43), _covering(KILLED, 0.43)]
    assert [p.id for p in updates_first(ranked, when, _Vectors())] == [5, 6]


def vocabulary_of(*texts: str, extra: tuple[str, ...] = ()) -> Vocabulary:
    return Vocabulary({t: 3 for text in texts for t in textlib.lexical_tokens(text)} | {t: 3 for t in extra}, 100)


@pytest.mark.parametrize("question, report, words", [
    # "How did Zelensky react when the alliance said no to shutting the sky over Ukraine?" was refused: the report
    # says "NATO rejects Ukraine's call for a no-fly zone".
    ("How did Zelensky react when the alliance said no to shutting the sky over Ukraine?",
     "NATO rejects Ukraine's call for a no-fly zone", {"fli"}),
    # "When did the Russian upper house sign off on Putin using the army abroad?": "the Federation Council approved".
    ("When did the Russian upper house sign off on Putin using the army abroad?",
     "The Federation Council unanimously approved Putin's request to use armed forces abroad", {"approv"}),
    # "Did NATO keep its boss on longer because of the war?": "agreed to extend Stoltenberg's term as secretary general".
    ("Did NATO keep its boss on longer because of the war?",
     "The allies also agreed to extend Stoltenberg's term as secretary general", {"extend", "secretari"}),
    # "... when moscow blocked the security council vote?": "Russia vetoed a UN Security Council resolution".
    ("what was the american UN ambassador's comeback when moscow blocked the security council vote?",
     "Russia vetoed a UN Security Council resolution", {"veto"}),
    # "When did the Russians pull out of Chernobyl?": "Russian forces have left the Chernobyl nuclear power plant".
    ("When did the Russians pull out of Chernobyl?", "Russian forces have left the Chernobyl nuclear power plant", {"left"}),
    # "What day did the Russians grab the director of the Zaporizhzhia nuclear plant?": "Russian troops detained Ihor Murashov".
    ("What day did the Russians grab the director of the plant?", "Russian troops detained Ihor Murashov, the director", {"detain"}),
    # From holdout8's and holdout9's misses: phrasal verbs and the words of chat.
    ("When did the counteroffensive in Kharkiv region kick off?", "The offensive, launched on 6 September near Balakliia", {"launch"}),
    ("When did the $60 price cap kick in?", "The cap, which takes effect on 5 December", {"effect"}),
    ("What day did the rescue work in Dnipro wrap up?", "Rescuers in Dnipro ended their search", {"end"}),
    ("Did Putin admit the call-up was botched?", "Putin acknowledged mistakes in the mobilisation", {"mobilis"}),
    ("Who tagged along with the Polish, Czech and Slovenian PMs?", "The prime ministers were accompanied by Kaczynski",
     {"accompani", "prime"}),
    ("Where did America's top diplomat go?", "US Secretary of State Antony Blinken visited a hospital", {"secretari"}),
    ("What did the number two in the Kherson administration say?", "the deputy head of the administration", {"deputi"}),
    ("Which sites got knocked out by hackers?", "websites were disrupted by cyberattacks", {"websit", "cyberattack"}),
    ("steadfast noon how many planes", "The exercise involves about 60 aircraft", {"aircraft"}),
    ("were ppl trying to get out", "people trying to flee", {"peopl"}),
    # From holdout15's misses: acronyms reports write out.
    ("On what date did the NBU hike rates to 25 percent?", "The National Bank of Ukraine raised its key interest rate",
     {"nation", "bank"}),
    ("What day did the Russian MoD say its last troops were out of Kherson?", "Russia's defence ministry said",
     {"defenc", "ministri"}),
    ("how many APCs in the package", "the package includes 200 armoured personnel carriers", {"armour", "personnel"}),
    ("the WWII-style lending scheme", "a mechanism last used during the Second World War", {"second", "world"}),
    ("What did the ICJ order?", "The International Court of Justice ordered Russia", {"court", "justic"}),
    # holdout17: "Death toll from the 23 November strikes that blacked out the whole country?" ranked the report of
    # "widespread blackouts" fifth.
    ("Which strikes blacked out the whole country?", "Moldova also suffered widespread blackouts", {"blackout"}),
    # holdout14: "How many AT-4s are in the 800 million dollar package Biden announced?" searched "4s", which no
    # report of "6,000 AT-4 anti-armour systems" holds.
    ("How many AT-4s are in the package?", "6,000 AT-4 anti-armour systems", {"4"}),
    ("when did the first F-16s arrive", "The F-16 jets arrived", {"16"}),
    # holdout17: digging up the bodies at Izium ("exhumations began on Friday"), learning to run the Patriots
    # ("trained to operate it"), who got to go first ("priority given to women with children").
    ("What day did they start digging up the bodies at Izium?", "Exhumations began on Friday", {"exhum"}),
    ("where were soldiers supposed to learn to run the patriot battery", "trained to operate it in a third country",
     {"train"}),
    ("Who got to go first in the Kherson evacuation?", "priority given to women with children", {"prioriti"}),
    ("When were the nuclear plants hooked back up to the grid?", "the plants were reconnected to the grid", {"reconnect"}),
    ("when does the grain deal run out", "the deal expires on 19 November", {"expir"}),
    # holdout13: "How many towns and villages did Ukraine say it got back in a single day ...?" ("recaptured 12
    # settlements"), "Did Kyiv threaten anything if the Russians pulled something ...?" ("Kyiv warned it would respond")
    ("How many towns and villages did Ukraine get back in a day?", "Ukraine recaptured 12 settlements", {"settlement", "recaptur"}),
    ("Which villages did they take back?", "Ukraine retook the settlement", {"settlement", "retook"}),
    ("Did Kyiv threaten anything?", "Kyiv warned it would respond militarily", {"warn"}),
    # holdout27, holdout30: "Before Ukraine clears its harbours of sea mines, what assurance does Zelensky want from
    # Moscow?" ("guarantees that Russia would not use demined ports"); holdout21: "Putin's TV speech" ("a televised address")
    ("What assurance does Zelensky want before Ukraine clears its harbours of sea mines?",
     "guarantees that Russia would not use demined ports", {"guarante", "port", "demin"}),
    ("How long was Putin's TV speech?", "In a televised address of almost an hour", {"televis"}),
    # holdout32: "Did Washington give Moscow a heads-up before the American president's secret trip to the Ukrainian
    # capital?" ("Russia had been notified of the trip", "Biden arrived in Kyiv")
    ("Did Moscow get a heads-up before the trip to the Ukrainian capital?", "Russia had been notified of the trip to Kyiv",
     {"notifi", "kyiv"}),
    # holdout35, written blind: "When did the Russians take control of the Zaporizhzhia nuclear power station?" found a
    # report of April on the plant "under Russian control" before the one that it was "seized".
    ("When did the Russians take control of the plant?", "Russian forces have seized the nuclear power plant", {"seiz"}),
])
def test_everyday_phrases_search_the_words_reports_write(question, report, words):
    asked = make_query(question, np.zeros(4, np.float32), vocabulary=vocabulary_of(question, report))
    assert words <= set(asked.search_tokens())


def test_an_acronym_is_read_only_in_capitals():
    assert not everyday_words("ask a mod to pin it")  # a moderator, not the Ministry of Defence
    assert [w for w, _ in everyday_words("the MoD said")] == ["MoD"]
    assert [w for w, _ in everyday_words("How many APCs did they send?")] == ["APC"]


def test_a_blocked_road_is_no_veto():
    assert not everyday_words("Russian troops blocked the road to Kyiv")
    assert everyday_words("Moscow blocked the resolution")


def test_a_key_term_is_held_by_the_words_reports_write_for_it():
    # "When did Kyiv and Moscow swap POWs for the first time?" searched "prisoners" for "POWs", but the report of
    # "their first exchange of prisoners of war" lacked the key term "pow", so its sentences were not quoted:
    # the answer came from the report of POWs killed at Olenivka four months later.
    question = "When did Kyiv and Moscow swap POWs for the first time?"
    report = passage(20, "Ukraine and Russia hold first prisoner exchange", "2022-03-24",
                     "Ukraine and Russia carried out their first exchange of prisoners of war on Thursday.", 0.5)
    vocabulary = Vocabulary({**vocabulary_of(question, report.paragraph.text, extra=("pow",)).doc_freq, "kyiv": 40, "moscow": 40}, 100)
    asked = dataclasses.replace(make_query(question, np.zeros(4, np.float32), vocabulary=vocabulary),
                                key_terms=key_terms(question, vocabulary).key)
    assert asked.key_terms == ("pow",)
    assert asked.key_coverage(report.paragraph) == 1.0 and headline_coverage(asked, report.paragraph) == 1.0


@pytest.mark.parametrize("named, report", [
    ("europ", "The European Commission recommended candidate status"),  # Europe / European
    ("crimea", "Explosion damages Crimean bridge"),
    ("european", "A future in Europe"),
    ("syria", "Syrian fighters were recruited"),
])
def test_a_place_is_held_by_its_peoples_name(named, report):
    # "... for a future in Europe when Brussels backed their candidacy?": the report names "the European Commission".
    assert query("?", (named,)).key_coverage(passage(21, "T", "2022-06-17", report, 0.5).paragraph) == 1.0


@given(st.sampled_from(["putin", "berlin", "iran", "kyiv", "lavrov", "kherson"]))
def test_a_name_is_not_held_by_a_shorter_or_longer_word_it_is_not_the_people_of(name):
    others = {"puti", "berli", "ir", "kyi", "lavro", "kherso", "putinist"}
    assert query("?", (name,)).key_share(others) == 0.0


def test_the_hague_is_held_by_its_courts():
    # "Which treaty did Kyiv use to drag Moscow in front of the judges in The Hague?": the report says "the
    # International Court of Justice" and "the World Court".
    hague = query("Who are the judges in The Hague?", tuple(textlib.lexical_tokens("Hague")))
    ruling = passage(22, "World Court orders Russia to halt", "2022-03-17", "The International Court of Justice ordered Russia.", 0.5)
    assert hague.key_coverage(ruling.paragraph) == 1.0
    assert hague.key_coverage(passage(23, "T", "2022-03-17", "A court in Kyiv ruled.", 0.5).paragraph) == 0.0


def test_an_army_is_held_by_its_countrys_armed_forces():
    # "How big is Germany's special fund for the Bundeswehr?" quoted the paragraph naming "Bundeswehr stocks" once
    # Germany was held by "German": the one with the 100 billion euros writes "German armed forces".
    fund = query("How big is Germany's special fund for the Bundeswehr?", ("germani", "bundeswehr"))
    report = passage(24, "Scholz announces 100 billion euro fund for German armed forces", "2022-02-27",
                     "Germany would set up a 100 billion euro fund for its armed forces.", 0.5)
    assert fund.key_coverage(report.paragraph) == 1.0


def test_a_country_named_by_its_peoples_word_is_held_not_searched():
    # "germany marders for ukraine number" also searched "german" and found the German-made tanks of another report.
    vocabulary = Vocabulary({"german": 5, "marder": 2, "ukrain": 40, "number": 9}, 100)
    asked = make_query("germany marders for ukraine number", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert "german" not in asked.search_tokens()
    assert query("?", ("switzerland",)).key_share({"swiss", "citi"}) == 1.0


def test_washington_is_held_by_a_report_of_congress():
    # holdout68, written blind: "What was the date of Zelensky's front-line trip where defenders handed him a signed flag to
    # take to Washington?" was led by the report of his speech to Congress two days later: the report of the trip, whose
    # flag he "would pass on to the US Congress", was not taken to name Washington.
    trip = passage(30, "Zelensky visits Bakhmut", "2022-12-20",
                   "Zelensky received a flag signed by the defenders, which he said he would pass on to the US Congress.", 0.5)
    assert query("?", ("washington",)).key_coverage(trip.paragraph) == 1.0


def test_an_everyday_word_is_held_by_the_reports_word_the_question_also_uses():
    # "How many POWs did each side hand over in the very first prisoner swap of the war?" was refused: "prisoner" is a
    # word of the question too, so "prisoners" was not kept as what "POWs" means, and no report held the key term "pow".
    question = "How many POWs did each side hand over in the very first prisoner swap of the war?"
    report = passage(25, "Ukraine and Russia hold first prisoner exchange", "2022-03-24",
                     "Ukraine and Russia carried out their first exchange of prisoners of war on Thursday.", 0.5)
    vocabulary = Vocabulary({**vocabulary_of(question, report.paragraph.text, extra=("pow",)).doc_freq, "war": 60}, 100)
    asked = dataclasses.replace(make_query(question, np.zeros(4, np.float32), vocabulary=vocabulary),
                                key_terms=key_terms(question, vocabulary).key)
    assert "pow" in asked.key_terms and asked.key_coverage(report.paragraph) == 1.0


def test_a_question_naming_its_dates_and_subject_is_answered_by_a_report_of_them_that_names_it():
    # "What happened in Mariupol on 9 March?" was refused for weak evidence: "what happened" is close to no report.
    strike = passage(26, "Three killed in strike on Mariupol maternity hospital", "2022-03-10",
                     "Three people were killed in a Russian air strike on a maternity hospital in Mariupol.", 0.28)
    strike = dataclasses.replace(strike, dense=0.30, coverage=0.37)
    dated = dataclasses.replace(query("What happened in Mariupol on 9 March?", ("mariupol",)),
                                since=dt.date(2022, 3, 9), until=dt.date(2022, 3, 11))
    assert judge(dated, [strike])[0]
    assert not judge(dataclasses.replace(dated, since=None, until=None), [strike])[0]  # no dates: as weak as before
    other = dataclasses.replace(passage(27, "Kyiv", "2022-03-10", "Sirens sounded in Kyiv.", 0.28), dense=0.30, coverage=0.37)
    assert not judge(dated, [other])[0]  # a report of the day that does not name Mariupol


def test_a_report_of_the_dates_asked_need_not_hold_the_ordinary_words_the_question_asks_with():
    # holdout68, written blind: "Up to how many of the Phoenix Ghost loitering munitions did Washington promise in late July
    # 2022?" was refused for weak evidence: the report of those days that names the Phoenix Ghost says "tactical drones",
    # and "munitions", a word of English too rare to be an ordinary one, was a key term it had to hold.
    package = passage(29, "US announces $270 million package", "2022-07-23",
                      "The United States announced $270 million in aid, including up to 580 Phoenix Ghost tactical drones.", 0.22)
    package = dataclasses.replace(package, dense=0.30, coverage=0.31)
    asked = dataclasses.replace(query("Up to how many of the Phoenix Ghost loitering munitions did Washington promise?",
                                      ("phoenix", "ghost", "munit")), plain_terms=("munit",),
                                since=dt.date(2022, 7, 21), until=dt.date(2022, 8, 2))
    assert judge(asked, [package])[0]
    assert not judge(dataclasses.replace(asked, plain_terms=()), [package])[0]  # as before: every key term held
    assert not judge(dataclasses.replace(asked, plain_terms=("munit", "phoenix", "ghost")), [
        dataclasses.replace(package, paragraph=dataclasses.replace(package.paragraph, lex=("aid",)))])[0]


def test_an_ordinary_word_typed_in_lower_case_ranks_but_refuses_nothing():
    # holdout28: "How close to catastrophe did Zelensky think the world came when the Zaporizhzhia nuclear station lost
    # its last power link in late August?" was refused, "no passage holds catastroph": the report says "one step away
    # from a radiation disaster".  "catastrophe" is a word of English (too rare to be an ordinary one: a key term),
    # not a name; a question whose only key terms are such words is judged by its evidence.
    question = "How close to catastrophe did Zelensky think the world came when the plant lost power?"
    report = passage(28, "Zaporizhzhia plant cut off from grid", "2022-08-26",
                     "Zelensky said the world had been one step away from a radiation disaster.", 0.6)
    common = {t: 40 for t in textlib.lexical_tokens(f"{question} {report.paragraph.text}")}
    vocabulary = Vocabulary({**common, "catastroph": 1}, 100)
    terms = key_terms(question, vocabulary)
    assert terms.key == ("catastroph",) and terms.plain == ("catastroph",)
    asked = dataclasses.replace(query(question, terms.key), plain_terms=terms.plain)
    assert judge(asked, [report])[0]
    assert not judge(dataclasses.replace(asked, plain_terms=()), [report])[0]  # a name no passage holds refuses
    # a name, a word in capitals or one no word list holds is no plain word; nor one typed with a capital
    assert key_terms("How close to catastrophe was Kramatorsk?", vocabulary_of("kramatorsk catastrophe")).plain == (
        "catastroph",)
    assert key_terms("what happened in kramatorsk", vocabulary_of("kramatorsk")).plain == ()
    assert key_terms("What did Stinger crews do?", vocabulary_of("stinger")).plain == ()


@pytest.mark.parametrize("question, written, token", [
    ("Which theater was bombed in Mariupol?", "the drama theatre in Mariupol", "theatr"),
    ("How many armored vehicles did Germany send?", "armoured vehicles", "armour"),
    ("how long can people in kherson use hryvnias after the ruble came in", "the rouble would circulate", "roubl"),
    ("Which theatre was bombed?", "the theater was bombed", "theater"),  # and the other way
])
def test_a_word_spelt_the_other_english_way_searches_the_corpus_spelling(question, written, token):
    # "the ruble" was read as a typo of "rubble"; "theater" found nothing in a corpus that writes "theatre".
    vocabulary = vocabulary_of(written, extra=("rubbl", "mariupol", "germani", "kherson"))
    assert token in make_query(question, np.zeros(4, np.float32), vocabulary=vocabulary).tokens
    assert "rubbl" not in key_terms(question, vocabulary).key


@given(st.sampled_from(["for", "war", "or", "her", "over", "tour", "four", "user", "door"]))
def test_short_words_have_no_other_spelling(word):
    # "or" / "our" and "er" / "re" need three letters before the ending: "for" is never "f" + "our".
    assert spelling_variants(word) == ()


def test_a_years_figures_reported_after_it_are_of_that_year():
    # holdout17 and holdout18, two writers: "How much did Ukraine's economy shrink in 2022?" searched 2022's reports
    # alone, and "Ukraine's economy shrank by about 30 percent in 2022" came in a report of 31 March 2023.
    year = query("How much did Ukraine's economy shrink?", ())
    year = dataclasses.replace(year, since=dt.date(2022, 1, 1), until=dt.date(2023, 1, 2),
                               stated=((dt.date(2023, 5, 1), ("2022",)),))
    stating = passage(1, "IMF approves loan", "2023-03-31", "Ukraine's economy shrank by about 30 percent in 2022.", 0.5)
    silent = passage(2, "IMF approves loan", "2023-03-31", "The IMF approved a $15.6 billion loan.", 0.5)
    too_late = passage(3, "Economy review", "2023-09-01", "The economy shrank by 30 percent in 2022.", 0.5)
    within = passage(4, "World Bank forecast", "2022-04-10", "The economy is expected to shrink by 45 percent.", 0.5)
    assert [in_dates(p.paragraph, year) for p in (stating, silent, too_late, within)] == [True, False, False, True]
    assert not in_dates(stating.paragraph, dataclasses.replace(year, stated=()))


def test_a_day_retold_by_its_date_in_a_later_report_is_of_that_day():
    # holdout45: "How many Ukrainian soldiers were freed in the prisoner exchange on 13 October 2022?" found nothing: the
    # only report of it is of 18 October ("after 20 Ukrainian soldiers were freed on 13 October"); "What happened to the
    # exhausted Chernobyl plant staff on 20 March 2022?" was refused, its report being of 31 March.
    day = dataclasses.replace(query("How many soldiers were freed in the exchange?", ()), since=dt.date(2022, 10, 13),
                              until=dt.date(2022, 10, 15), stated=((dt.date(2022, 11, 12), ("13", "octob")),))
    retold = passage(61, "108 women freed", "2022-10-18", "It came after 20 soldiers were freed on 13 October.", 0.5)
    other_day = passage(62, "108 women freed", "2022-10-18", "It came after 20 soldiers were freed on 6 October.", 0.5)
    too_late = passage(63, "A year of exchanges", "2022-12-20", "20 soldiers were freed on 13 October.", 0.5)
    assert [in_dates(p.paragraph, day) for p in (retold, other_day, too_late)] == [True, False, False]
    assert not in_dates(retold.paragraph, dataclasses.replace(day, stated=()))
    # holdout35: what a later report retells of the day ("300 were killed in the strike on 16 March", on 26 March) is
    # no update of the day's own report, which stays first.
    theatre = dataclasses.replace(query("What did the council say of the theatre strike?", ("theatr",)),
                                  since=dt.date(2022, 3, 16), until=dt.date(2022, 3, 18))
    own = _covering(passage(64, "Theatre bombed", "2022-03-17", "The council said the theatre strike was deliberate.", 0.53), 0.5)
    later = _covering(passage(65, "Theatre toll", "2022-03-26", "About 300 died in the theatre strike on 16 March.", 0.48), 0.5)
    assert [p.id for p in updates_first([own, later], theatre, _Vectors())] == [64, 65]
    assert [p.id for p in updates_first([own, later], dataclasses.replace(theatre, since=None, until=None), _Vectors())] == [65, 64]


def test_a_capital_the_corpus_names_only_by_its_country_searches_the_country():
    # holdout29: "What has Moscow already done to get Minsk's air force able to carry nuclear bombs?" searched "maisk".
    vocabulary = vocabulary_of("Russia helped Belarus convert ten aircraft", "Shelling hit Maisk village")
    asked = make_query("What did Russia do for Minsk's air force?", np.zeros(4, np.float32), vocabulary=vocabulary)
    assert "maisk" not in asked.search_tokens() and "belarus" in asked.search_tokens()


def test_an_ordinary_word_or_a_figure_does_not_take_the_answer_from_the_best_passage():
    # holdout37, written blind: "did zelensky say there were kids under the rubble at the mariupol maternaty hospital"
    # ranked the maternity hospital's report first, and was answered from an art school's ("people were still under the
    # rubble"): the lowercase "rubble" was a key term the first lacked.  Seven answers of the war sets were so taken.
    hospital = passage(31, "Maternity hospital hit", "2022-03-09", "Zelensky said children were under the wreckage in Mariupol.", 0.5)
    school = passage(32, "Art school bombed", "2022-03-20", "People were still under the rubble in Mariupol.", 0.3)
    asked = dataclasses.replace(query("were there kids under the rubble in mariupol", ("rubbl", "mariupol")), plain_terms=("rubbl",))
    assert about_the_question(asked, [hospital, school])[0] is hospital
    # A name still decides: the first passage lacking it is not about the question (unless the one holding it ranks far
    # below: see the next test).
    named = dataclasses.replace(asked, plain_terms=())
    assert about_the_question(named, [hospital, dataclasses.replace(school, score=0.45)])[0].id == school.id
    # One report asked for: the figure of the report set aside ("before the toll was raised to 19") decides nothing.
    first_report = query("In the first reports, before the toll was raised to 52, how many died in Kramatorsk?", ("kramatorsk", "52"))
    assert about_the_question(first_report, [FIRST_TOLL, LATER_TOLL])[0] is FIRST_TOLL


def test_a_name_given_in_passing_does_not_take_the_answer_to_a_report_ranked_far_below():
    # holdout32: "How did the Kremlin take it when Helsinki's leaders said they wanted into the Western alliance right
    # away?" ranked Peskov's answer on Finland first, and was answered from a report of Russia's default ranked far below
    # it, which alone held "Western" too ("blocked by Western financial institutions").
    finland = passage(51, "Finland to apply for NATO", "2022-05-12", "Kremlin spokesman Peskov said Finland's membership would be a threat.", 0.39)
    default = passage(52, "Russia in default", "2022-06-27", "The Kremlin said payments were blocked by Western institutions.", 0.23)
    asked = query("How did the Kremlin take it when Helsinki wanted into the Western alliance?", ("kremlin", "western"))
    assert about_the_question(asked, [finland, default]) == [finland, default]
    # Not when the passage holding every name scores nearly as well: then the name may tell two events apart.
    close = dataclasses.replace(default, score=0.35)
    assert about_the_question(asked, [finland, close]) == [close]
    # Nor in deciding whether to answer at all: the passages holding the names must bear the question out themselves.
    assert about_the_question(asked, [finland, default], answering=False) == [default]


def test_the_passages_about_what_the_question_names_must_bear_it_out_themselves():
    # "How many people died in the earthquake in Turkey?" was close to every death toll of the war, and answered from the
    # only passage naming Turkey, on its NATO veto.
    toll = passage(41, "Kramatorsk toll rises", "2022-04-09", "The death toll in Kramatorsk has risen to 52.", 0.5)
    toll = dataclasses.replace(toll, dense=0.52, coverage=0.32)
    nato = passage(42, "Turkey lifts NATO veto", "2022-06-28", "Turkey agreed to support the NATO bids of Finland and Sweden.", 0.2)
    nato = dataclasses.replace(nato, dense=0.22, coverage=0.17)
    asked = query("How many people died in the earthquake in Turkey?", ("turkey",))
    ok, reason = judge(asked, [toll, nato])
    assert not ok and reason.startswith("weak evidence about turkey"), reason
    # The same question whose passage naming Turkey bears it out is answered.
    strong = dataclasses.replace(nato, dense=0.5, coverage=0.5)
    assert judge(asked, [toll, strong])[0]
