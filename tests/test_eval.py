"""Answer quality as a regression guard: the eval harness on the bundled corpus and on corpus2.

Thresholds sit a little below the figures measured when they were set
(docs/readme-quality.md); a drop below them is a real regression.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli, cli_support
from index import eval as evaluation
from index.service import CrisisService
from tests.helpers import make_settings

EVAL_DIR = Path(__file__).resolve().parent / "eval"
DEV = EVAL_DIR / "dev.jsonl"
CORPUS2 = EVAL_DIR / "corpus2"


@pytest.fixture(scope="module")
def dev_reports(shared_service) -> dict[str, evaluation.Report]:
    questions = evaluation.load_questions(DEV)
    return {r.mode: r for r in evaluation.compare(shared_service, questions, ["dense", "final"], full=False)}


@pytest.fixture(scope="module")
def corpus2_service(tmp_path_factory, embedder) -> CrisisService:
    svc = CrisisService(make_settings(tmp_path_factory.mktemp("corpus2") / "data"), embedder=embedder)
    svc.build([CORPUS2 / "articles.jsonl"])
    return svc


def test_dev_set_shape():
    questions = evaluation.load_questions(DEV)
    assert sum(q.answerable for q in questions) >= 40
    assert sum(not q.answerable for q in questions) >= 10
    corpus2 = evaluation.load_questions(CORPUS2 / "qa.jsonl")
    assert len(corpus2) >= 15 and sum(not q.answerable for q in corpus2) >= 5


def test_final_beats_dense_on_dev(dev_reports):
    dense, final = dev_reports["dense"], dev_reports["final"]
    assert final.mrr >= 0.90 and final.recall[1] >= 0.85 and final.recall[5] >= 0.97
    assert final.mrr > dense.mrr and final.recall[1] > dense.recall[1]


def test_dev_abstention(dev_reports):
    final = dev_reports["final"]
    assert final.abstention_recall == 1.0, [m for m in final.misses if m.problem == "answered off-topic"]
    assert final.answer_rate == 1.0, [m for m in final.misses if m.problem.startswith("refused")]
    assert final.abstention_precision == 1.0


def test_corpus2_generalises(corpus2_service):
    questions = evaluation.load_questions(CORPUS2 / "qa.jsonl")
    dense = evaluation.evaluate(corpus2_service, questions, "dense", full=False)
    final = evaluation.evaluate(corpus2_service, questions, "final")
    assert final.mrr >= 0.85 and final.recall[3] >= 0.9
    assert final.mrr >= dense.mrr
    assert final.abstention_recall == 1.0 and final.answer_rate == 1.0
    assert final.answer_hit is not None and final.answer_hit >= 0.9  # the cited sentences hold the answer
    assert final.altered_sentences is None  # no source files given: not checked, rather than a claimed 0


def test_recency_boost_for_latest_questions(corpus2_service):
    plain = corpus2_service.search("What is the news on European gas?", 3, mode="hybrid")
    latest = corpus2_service.search("What is the latest news on European gas?", 3, mode="final")
    newest = max(d.date for d in corpus2_service.documents())
    assert latest[0].paragraph.document.date == newest
    assert plain[0].paragraph.document.date != newest  # the boost, not the wording, moved it


def test_date_filters(corpus2_service):
    since = corpus2_service.search("gas prices", 10, since=dt.date(2022, 12, 1))
    assert since and all(p.paragraph.document.date >= "2022-12-01" for p in since)
    until = corpus2_service.search("gas prices", 10, until=dt.date(2022, 8, 31))
    assert until and all(p.paragraph.document.date <= "2022-08-31" for p in until)
    window = corpus2_service.ask("What price did the EU cap gas at?", since=dt.date(2022, 12, 18), until=dt.date(2022, 12, 31))
    assert not window.abstained and "180 euros" in window.answer
    assert all(c.date == "2022-12-19" for c in window.citations)


def test_relevance_matching_ignores_case_and_spacing(shared_service):
    passage = shared_service.search("Boris Johnson kindergarten pretext", 1)[0]
    question = evaluation.Question("q", gold=("OFFABRICATING  a pretext",))
    assert "of fabricating" in passage.paragraph.text  # cleaned text re-spaces the glued words
    assert evaluation.is_relevant(question, passage)


@pytest.mark.parametrize(
    "line, message",
    [('{"q": "no gold"}', "needs"), ("not json", "invalid JSON"), ('{"gold": ["x"]}', '"q"')],
)
def test_bad_qa_lines(tmp_path, line, message):
    path = tmp_path / "qa.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(evaluation.BadQASet, match=message):
        evaluation.load_questions(path)


def test_cli_eval_compare_on_other_corpus(monkeypatch, tmp_path, embedder):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.setattr(cli_support, "_embedder", lambda *args: embedder)
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(Path(CORPUS2 / "qa.jsonl").read_text(encoding="utf-8").splitlines()[:4]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["eval", str(qa), "--compare", "--source", str(CORPUS2 / "articles.jsonl")])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["dense", "bm25", "hybrid", "final"]
    assert not (tmp_path / "unused").exists()  # built nothing in the configured data dir

    result = CliRunner().invoke(cli.app, ["eval", str(qa), "--json", "--source", str(CORPUS2 / "articles.jsonl")])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert report["mode"] == "final" and report["questions"] == 4 and report["recall"]["@5"] == 1.0


def test_cli_eval_bad_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["eval", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "cannot read" in result.output


# --- a year of war news: tests/eval/war (354 reports, Feb 2022-Apr 2023) --------------------------------
# Thresholds sit a little under what `crisisbot eval tests/eval/war/dev.jsonl --source tests/eval/war/corpus`
# measured when they were set (README, "Answer quality"); holdout.jsonl was checked last and is guarded too.

WAR = EVAL_DIR / "war"
OTHER_LANGUAGES = ("uk", "ru")
# Measured 2026-12-06 (second stop that day) on dev + holdout (192 English answerable, 32 Ukrainian/Russian):
# R@1 0.953, R@3 0.984, first sentence cites gold 0.953, confusable answers quoting the neighbour 0 of 28,
# "when" answers stating the date 0.964 (27 of 28), answerable refused 0 of 192, Ukrainian/Russian R@3 0.969.
# Issue 14's bars: the neighbour guard allows one in 20 (bar: at most 1 of 15), the "when" guard one
# miss more than measured (bar: at least 0.90).
WAR_R1, WAR_R3, WAR_FIRST_SENTENCE, WAR_NEIGHBOUR, WAR_WHEN_DATE = 0.94, 0.975, 0.94, 0.05, 0.92
WAR_REFUSED_SHARE, WAR_OTHER_R3 = 0.02, 0.85


@pytest.fixture(scope="module")
def war_service(tmp_path_factory, embedder) -> CrisisService:
    svc = CrisisService(make_settings(tmp_path_factory.mktemp("war") / "data"), embedder=embedder)
    svc.build([WAR / "corpus"])
    return svc


@pytest.fixture(scope="module")
def war_reports(war_service) -> dict[str, evaluation.Report]:
    svc = war_service
    originals = evaluation.original_texts([WAR / "corpus"])
    questions = evaluation.load_questions(WAR / "dev.jsonl") + evaluation.load_questions(WAR / "holdout.jsonl")
    english = [q for q in questions if q.kind not in OTHER_LANGUAGES]
    other = [q for q in questions if q.kind in OTHER_LANGUAGES]
    return {
        "english": evaluation.evaluate(svc, english, "final", originals=originals),
        "other": evaluation.evaluate(svc, other, "final", originals=originals),
    }


def test_war_set_shape():
    questions = evaluation.load_questions(WAR / "dev.jsonl") + evaluation.load_questions(WAR / "holdout.jsonl")
    kinds = {q.kind for q in questions}
    assert {"paraphrase", "keyword", "dated", "when", "factoid", "typo", "confusable", "beyond", "offtopic",
            "adversarial", "uk", "ru"} <= kinds
    assert all(q.gold_date for q in questions if q.kind == "when")
    assert all(q.neighbour_ids for q in questions if q.kind == "confusable")
    assert len(list((WAR / "corpus").glob("*.jsonl"))) == 4


def test_war_english_answers_find_and_quote_the_right_event(war_reports):
    english = war_reports["english"]
    assert english.recall[1] >= WAR_R1 and english.recall[3] >= WAR_R3
    assert english.first_sentence_gold >= WAR_FIRST_SENTENCE
    assert english.by_kind["confusable"].quotes_neighbour <= WAR_NEIGHBOUR
    assert english.by_kind["when"].states_date >= WAR_WHEN_DATE


def test_war_refusals_are_honest_and_rare(war_reports):
    english = war_reports["english"]
    beyond = english.by_kind["beyond"]
    assert beyond.abstention_recall * beyond.unanswerable >= beyond.unanswerable - 1  # at most one answered
    assert english.by_kind["offtopic"].abstention_recall == 1.0
    assert english.refused / english.answerable <= WAR_REFUSED_SHARE, [m for m in english.misses if m.problem == "refused"]


# The ninety-three question sets written blind (holdout2-94.jsonl: 5,673 English answerable questions), measured
# 2026-12-07 (fifteenth stop): R@1 0.9291, R@3 0.9766, first sentence cites gold 0.9344, "when" answers stating the date
# 0.9293, answerable refused 44 of 5,673, beyond the corpus: four answered (README, "Answer quality").  At first
# sight: holdout6-40 R@1 0.885, 0.902, 0.869, 0.885, 0.918, 0.902, 0.885, 0.852, 0.902, 0.869, 0.885, 0.869, 0.885,
# 0.885, 0.934, 0.902, 0.869, 0.902, 0.902, 0.902, 0.951, 0.885 (holdout27-28 together), 0.934 (holdout29-30), 0.869
# (holdout31-32), 0.910 (holdout33-34), 0.898 (holdout35-38), 0.918 (holdout39-40), 0.951 (holdout41-44), 0.902
# (holdout45-46), 0.951 (holdout47-48), 0.902 (holdout49-50), 0.926 (holdout51-52), 0.918 (holdout53-54), 0.885
# (holdout55-56), 0.893 (holdout57-58), 0.951 (holdout59-60), 0.943 (holdout61-62), 0.910 (holdout63-66), 0.926
# (holdout67-70), 0.947 (holdout71-74), 0.902 (holdout75-76), 0.910 (holdout77-78), 0.943 (holdout79-80), 0.902
# (holdout81-82), 0.934 (holdout83-84), 0.910 (holdout85-86), 0.885 (holdout87-88), 0.910 (holdout89-90), 0.943
# (holdout91-94).  The code of the stop before (90b9af4) gives 0.9274 / 0.9759 / 0.9328, "when" 0.9269, refused 47
# (0.83 %) on the ninety-three: under every bar but the refusals'.
BLIND_SETS = tuple(f"holdout{n}" for n in range(2, 95))
WAR_BLIND_R1, WAR_BLIND_R3, WAR_BLIND_FIRST_SENTENCE = 0.928, 0.976, 0.933
WAR_BLIND_WHEN_DATE, WAR_BLIND_REFUSED_SHARE = 0.928, 0.01


def test_war_answers_hold_on_the_sets_written_blind(war_service):
    questions = [q for name in BLIND_SETS for q in evaluation.load_questions(WAR / f"{name}.jsonl")]
    english = evaluation.evaluate(war_service, [q for q in questions if q.kind not in OTHER_LANGUAGES], "final")
    assert english.answerable >= 5665
    assert english.recall[1] >= WAR_BLIND_R1 and english.recall[3] >= WAR_BLIND_R3, [m.question for m in english.misses]
    assert english.first_sentence_gold >= WAR_BLIND_FIRST_SENTENCE
    assert english.by_kind["when"].states_date >= WAR_BLIND_WHEN_DATE
    assert english.refused / english.answerable <= WAR_BLIND_REFUSED_SHARE
    beyond = english.by_kind["beyond"]
    assert beyond.abstention_recall * beyond.unanswerable >= beyond.unanswerable - 4  # at most four answered


def test_war_ukrainian_and_russian_questions_find_english_sources(war_reports):
    assert war_reports["other"].recall[3] >= WAR_OTHER_R3


def test_war_cited_words_are_never_altered(war_reports):
    assert war_reports["english"].altered_sentences == 0 and war_reports["other"].altered_sentences == 0


# Follow-up questions (tests/eval/war/conversations*.jsonl): the last turn read against the earlier ones, beside the
# same question written out in full.  Measured 2026-12-06 on the 37 development conversations: last turn R@3 0.946,
# written out 0.973 (README, "Conversations").
WAR_FOLLOW_UP_R3, WAR_FOLLOW_UP_GAP = 0.92, 0.05


def test_war_follow_ups_find_what_the_question_written_out_finds(war_service):
    questions = evaluation.load_questions(WAR / "conversations.jsonl")
    assert len(questions) >= 30 and all(q.turns and q.full for q in questions)
    report = evaluation.evaluate(war_service, questions, "final", full=False)
    assert report.recall[3] >= WAR_FOLLOW_UP_R3, [m for m in report.misses if not m.problem.startswith("first")]
    assert report.written_out.recall[3] - report.recall[3] <= WAR_FOLLOW_UP_GAP


# The nine held-out sets together (476 conversations, sets 8 and 9 checked blind): measured 2026-12-06, last turn
# R@3 0.918, written out 0.968 (README, "Conversations").
WAR_HELD_OUT_FOLLOW_UP_R3, WAR_HELD_OUT_FOLLOW_UP_GAP = 0.90, 0.055


def test_war_follow_ups_hold_on_the_held_out_sets(war_service):
    questions = [q for path in sorted(WAR.glob("conversations_holdout*.jsonl")) for q in evaluation.load_questions(path)]
    assert len(questions) >= 476
    report = evaluation.evaluate(war_service, questions, "final", full=False)
    assert report.recall[3] >= WAR_HELD_OUT_FOLLOW_UP_R3, [m.question for m in report.misses if not m.problem.startswith("first")]
    assert report.written_out.recall[3] - report.recall[3] <= WAR_HELD_OUT_FOLLOW_UP_GAP


def test_a_when_question_is_answered_with_the_events_day_not_a_later_report(war_service):
    # The 2 March report (paratroopers in Kharkiv) went first as an update of the 27 February one, and
    # "When did Russian troops get into Kharkiv in February 2022?" was answered "2 Mar 2022".
    answer = war_service.ask("When did Russian troops get into Kharkiv in February 2022?", today=dt.date(2026, 12, 6))
    assert not answer.abstained
    assert answer.answer.splitlines()[0].startswith("27 Feb 2022"), answer.answer


def test_a_when_question_gets_the_storys_first_report_and_the_day_of_the_event(war_service):
    # The 31 July report (the toll raised to 50) went first and was quoted with the day the list was published:
    # "How long ago did the Olenivka prison explosion happen?" was answered "30 Jul 2022"; the blast was on 29 July.
    today = dt.date(2026, 12, 6)
    olenivka = war_service.ask("How long ago did the Olenivka prison explosion happen?", today=today)
    assert olenivka.answer.splitlines()[0].startswith("29 Jul 2022"), olenivka.answer
    assert olenivka.citations[0].date == "2022-07-29"
    # The theatre report's quoted sentences say "On Thursday, the ombudsman said" and "destroyed the theatre on
    # Wednesday": the event's day is the earlier one, 16 March, not 17 March.
    theatre = war_service.ask("What day was the Mariupol drama theatre bombed?", today=today)
    assert theatre.answer.splitlines()[0].startswith("16 Mar 2022"), theatre.answer


def test_a_month_without_a_year_is_the_latest_unless_a_year_earlier_answers_far_better(war_service):
    # April 2023 has a report naming Mariupol in passing; the marines surrendered in April 2022.  Before, the
    # latest April answered with the 2023 prisoner exchange.
    today = dt.date(2026, 12, 6)
    marines = war_service.ask("How many marines did Russia say gave up in Mariupol in April?", today=today)
    assert "1,026 Ukrainian marines" in marines.answer, marines.answer
    assert marines.note == "Searching 1–30 Apr 2022: of the periods this can mean, my sources answer best on this one."
    kinzhal = war_service.ask("How many Kinzhal missiles did Russia use on 9 March?", today=today)  # 2023; 2022 has none
    assert kinzhal.citations[0].date == "2023-03-09" and kinzhal.note.endswith("the latest such period in my sources.")


def test_by_a_date_asks_how_things_stood_then_the_newest_report_of_the_window_first(war_service):
    # "By late May 2022" was searched as any time until 31 May, and the 30 March report (4 million) went first.
    answer = war_service.ask("How many refugees had fled Ukraine by late May 2022?", today=dt.date(2026, 12, 6))
    assert answer.note == "Searching until 31 May 2022."
    assert answer.citations[0].date == "2022-05-20" and "More than 6 million" in answer.answer, answer.answer


def test_a_detail_paragraph_answers_for_the_report_whose_lead_names_the_subject(war_service):
    # A report names its subject in its lead and tells the rest after it.  The paragraph that answers "did Poland ask
    # for NATO consultations?" does not name Przewodow, so it was dropped as not about the question and the lead
    # (two men killed) answered; the same for the UN ambassador's paragraph, which does not give the 141 votes.
    today = dt.date(2026, 12, 6)
    poland = war_service.ask("Did Warsaw formally ask the other NATO allies to sit down and talk after the missile came down in "
                             "Przewodow?", today=today)
    assert "did not formally request consultations under Article 4" in poland.answer, poland.answer
    envoy = war_service.ask("Who's Ukraine's ambassador at the UN, the guy who thanked countries after the 141-vote resolution?",
                            today=today)
    assert "Sergiy Kyslytsya" in envoy.answer, envoy.answer


def test_a_detail_paragraph_is_not_ranked_as_another_event_for_lacking_the_name_its_lead_gives(war_service):
    # The key-term penalty held the detail paragraph (it does not repeat "HIMARS" or "12", nor "Serhiivka") below another
    # package's or the same strike's other report, which then answered.
    today = dt.date(2026, 12, 6)
    package = war_service.ask("How many tactical vehicles came with the US package that took the HIMARS count to 12?", today=today)
    assert "three tactical vehicles" in package.answer.splitlines()[0], package.answer
    kremlin = war_service.ask("did the kremlin admit targetting civilans in serhiivka or wat", today=today)
    assert "did not target civilians" in kremlin.answer.splitlines()[0], kremlin.answer


def test_a_when_question_about_a_sentences_background_event_gets_that_events_day(war_service):
    # "Ukrainian forces have retaken the town of Lyman ..., Zelensky said on Sunday, a day after Russia's defence ministry
    # announced that its troops had withdrawn": "When did the Russians pull out of Lyman?" was answered with Sunday.
    today = dt.date(2026, 12, 6)
    pulled = war_service.ask("When did the Russians pull out of Lyman?", today=today)
    assert pulled.answer.splitlines()[0].startswith("1 Oct 2022"), pulled.answer
    # Nor is that background the day Ukraine retook the town: Zelensky said so on Sunday, and the report's next paragraph
    # dates the taking, "Ukrainian soldiers raised the national flag at the entrance to the town on Saturday", which the
    # answer quotes (index/answer.py ``_lead_date``; until the thirteenth stop it gave the Sunday of the saying).
    retaken = war_service.ask("When did Ukraine retake Lyman?", today=today)
    assert retaken.answer.splitlines()[0].startswith("1 Oct 2022"), retaken.answer
    assert "raised the national flag at the entrance to the town on Saturday" in retaken.answer


def test_a_later_paragraph_of_the_report_answers_what_is_asked_about_its_event(war_service):
    # The report's lead (the court's order; the guards alive) answered what the question asks about the event (the
    # Kremlin's reaction; what the border service wanted), which a later paragraph of the same report tells.
    today = dt.date(2026, 12, 6)
    kremlin = war_service.ask("How did the Kremlin react when the UN's top court told Russia to stop its military operation?",
                              today=today)
    assert "could not take the ruling into account" in kremlin.answer.splitlines()[0], kremlin.answer
    guards = war_service.ask("Once it came out that the Snake Island guys were actually alive, what did Ukraine's border guard "
                             "service want Moscow to do?", today=today)
    assert "called on Russia to release them" in guards.answer.splitlines()[0], guards.answer


def test_a_how_many_answer_quotes_the_figure_of_what_is_counted_first(war_service):
    # Every sentence with a number had the same bonus: the lead's death toll (or the package's other items) answered
    # "how many wounded" (or "how many Javelins"), and the figure asked for came second or not at all.
    today = dt.date(2026, 12, 6)
    wounded = war_service.ask("According to Ukrzaliznytsia, how many people were wounded in the Kramatorsk station strike?", today=today)
    assert "More than 100 people were wounded" in wounded.sentences[0].text, wounded.answer
    javelins = war_service.ask("How many Javelin missiles were in the US military aid package announced on 13 April 2022?", today=today)
    assert "500 Javelin missiles" in javelins.sentences[0].text, javelins.answer


def test_eval_says_whether_the_first_sentence_quotes_the_gold_text(war_service):
    # "First sentence gold" counts a sentence of the right report, which may be its lead when a later paragraph holds
    # what was asked; this one counts the sentence a member reads first saying it.
    question = evaluation.Question("How did the Kremlin react when the UN's top court told Russia to stop its military operation?",
                                   ("could not take the ruling into account",), ("a-064",), True, 1, kind="paraphrase")
    wrong = dataclasses.replace(question, gold=("13 votes to two",))
    report = evaluation.evaluate(war_service, [question, wrong], "final")
    assert report.first_sentence_quotes_gold == 0.5 and report.by_kind["paraphrase"].first_sentence_quotes_gold == 0.5
    assert "first sentence quotes gold" in evaluation.kind_table(report)


def test_a_question_asking_for_one_report_of_a_story_quotes_that_report_alone(war_service):
    # "A day after the missile strike on the civilian car convoy in Zaporizhzhia, what was the updated number of wounded?"
    # quoted the next day's report (88 wounded), then the first day's too (28 wounded): the figure the question set
    # aside, from a confusable neighbour.  A question that asks for the first, the next, the final or the latest report
    # of a story is answered from the one report it asks for.
    today = dt.date(2026, 12, 6)
    convoy = war_service.ask("A day after the missile strike on the civilian car convoy in Zaporizhzhia, what was the updated "
                             "number of wounded?", today=today)
    assert "88 people wounded" in convoy.answer and "28 wounded" not in convoy.answer, convoy.answer
    uman = war_service.ask("Uman apartment block strike: in the first reports, how many of the dead were kids?", today=today)
    assert "three children" in uman.answer and "six children" not in uman.answer, uman.answer


def test_a_months_figures_are_found_in_the_report_after_it_that_states_the_month(war_service):
    # "ukraine inflation april 2022" searched April's reports only; the figure came in May ("Inflation reached 16.4
    # percent in April").  A later report stating the month counts, but below the month's own: "the evacuation that
    # began in October", in November, must not answer for October's plan.
    today = dt.date(2026, 12, 6)
    inflation = war_service.ask("ukraine inflation april 2022", today=today)
    assert "16.4 percent in April" in inflation.answer, inflation.answer
    kherson = war_service.ask("How many people was the Moscow-installed boss in Kherson planning to move out across the river "
                              "in October?", today=today)
    assert "between 50,000 and 60,000" in kherson.answer.splitlines()[0], kherson.answer


def test_an_english_question_finds_a_report_only_a_cyrillic_source_gives(war_service):
    # "gazprom pgnig bulgargaz" (holdout20): only the Russian report names the two companies; its names, romanised,
    # are the question's, and the multilingual model scores it as it does for a Russian question.
    answer = war_service.ask("gazprom pgnig bulgargaz", today=dt.date(2026, 12, 6))
    assert "«Булгаргаз»" in answer.answer, answer.answer


def test_what_a_question_sets_aside_is_not_searched(war_service):
    # holdout31-32: the neighbour a confusable question names to set it aside ("not the all-women exchange in October",
    # "(not the refinery hit in April)") was searched, its month as the dates: the neighbour answered, or nothing did.
    today = dt.date(2026, 12, 6)
    swap = war_service.ask("In the big September prisoner swap, not the all-women exchange in October, who did Ukraine hand "
                           "over in return?", today=today)
    assert swap.since is None and any("Medvedchuk" in p.paragraph.text for p in swap.passages[:3]), swap.answer
    mall = war_service.ask("In the first reports on the Kremenchuk shopping centre strike (not the refinery hit in April), how "
                           "many people did Zelensky say were inside the mall?", today=today)
    assert "more than 1,000 people were in the Amstor mall" in mall.answer, mall.answer
