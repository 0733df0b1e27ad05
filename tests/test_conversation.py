"""Follow-up questions: resolution against the earlier turns, the bound on turns, Turn's JSON, ``crisisbot chat``
and conversations in ``crisisbot eval``.  The war-corpus figures are guarded in tests/test_eval.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import eval as evaluation
from index import text as textlib
from index.conversation import Turn, resolve
from index.errors import BadQASet
from index.service import CrisisService
from tests.helpers import make_settings

WAR = Path(__file__).resolve().parent / "eval" / "war" / "corpus"
# A slice of the war corpus: the Kerch bridge blast and what followed, and the spring's reports (Kramatorsk, Bucha).
SLICE = {"b": range(1, 31), "c": range(60, 91)}

KERCH = "When was the Kerch bridge attacked?"
RESPONSE = "What did Russia do in response?"
RETALIATION = "were retaliation for the bridge attack"  # c-076, two days after the blast


def fresh(question: str) -> Turn:
    return Turn(question, question)


@pytest.fixture(scope="module")
def war_slice(tmp_path_factory, embedder) -> CrisisService:
    folder = tmp_path_factory.mktemp("war-slice")
    lines = []
    for part, numbers in SLICE.items():
        for line in (WAR / f"part-{part}.jsonl").read_text(encoding="utf-8").splitlines():
            if int(json.loads(line)["id"].split("-")[1]) in numbers:
                lines.append(line)
    (folder / "slice.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    svc = CrisisService(make_settings(folder / "data"), embedder=embedder)
    svc.build([folder / "slice.jsonl"])
    return svc


def top_texts(answer, n: int = 3) -> str:
    return "\n".join(p.paragraph.text for p in answer.passages[:n])


# --- resolve, on its own -----------------------------------------------------------------------


def test_a_follow_up_is_searched_with_the_earlier_subject():
    searched = resolve(RESPONSE, [fresh(KERCH)])
    assert searched.startswith(RESPONSE) and "Kerch bridge attacked" in searched
    assert "Kerch" in resolve("How many people were killed there?", [fresh(KERCH)])


def test_a_new_subject_starts_fresh():
    question = "How many people died in the Dnipro apartment block strike?"
    assert resolve(question, [fresh(KERCH)]) == question
    assert resolve(KERCH, []) == KERCH


def test_what_about_swaps_the_place_and_keeps_the_event():
    searched = resolve("What about Kharkiv?", [fresh("How many people died in the Kramatorsk station attack?")])
    assert "Kharkiv" in searched and "Kramatorsk" not in searched and "station attack" in searched


def test_and_in_another_month_swaps_the_time():
    searched = resolve("And in July?", [fresh("Why did Gazprom cut Nord Stream flows in June?")])
    assert "July" in searched and "June" not in searched and "Nord Stream" in searched


def test_a_chain_reads_back_to_where_the_subject_was_named():
    first = fresh("When did Finland and Sweden apply to join NATO?")
    second = Turn("Which country objected to them joining?", resolve("Which country objected to them joining?", [first]))
    searched = resolve("When did it lift its objection?", [first, second])
    assert "Finland" in searched and "objected" in searched


def test_ukrainian_and_russian_follow_ups():
    kerch_uk = fresh("Коли було атаковано Кримський міст?")
    searched = resolve("Що Росія зробила у відповідь?", [kerch_uk])
    assert "Кримський міст" in searched  # points back in its own language: the earlier question is added
    # After English questions: their English words are added (the question is then searched as Ukrainian).
    assert "Kerch bridge attacked" in resolve("Що Росія зробила у відповідь?", [fresh(KERCH)])
    assert "Крымский" in resolve("Что Россия сделала в ответ?", [fresh("Когда атаковали Крымский мост?")])
    assert "Kerch" in resolve("А сколько людей погибло?", [fresh(KERCH)])  # "А ..." ("and ...") goes on
    assert resolve("Сколько людей погибло под Харьковом?", [fresh(KERCH)]) == "Сколько людей погибло под Харьковом?"
    # "А ..." this short goes on though it names a place; longer, naming a place of its own, it starts fresh.
    assert "Kerch" in resolve("А в Харкові?", [fresh(KERCH)])
    assert resolve("А скільки людей лишилося в Балаклії?", [fresh(KERCH)]) == "А скільки людей лишилося в Балаклії?"
    # Naming nothing of its own, it goes on, as an English one does.
    assert "mobilisation" in resolve("Сколько человек собирались призвать?", [fresh("When did Putin announce the partial mobilisation?")])


def test_a_day_of_the_month_is_read_in_the_month_asked_about():
    searched = resolve("And on the 29th?", [fresh("How many missiles did Russia fire at Ukraine on 16 December 2022?")])
    assert "29 December 2022" in searched and "16" not in searched and "missiles" in searched
    searched = resolve("and by the end of the month?", [fresh("How many soldiers had Russia lost in early March 2022?")])
    assert "by the end of March 2022" in searched and "early" not in searched


class Words:
    """A corpus vocabulary that knows ``known`` (every word, if None) but ``lacks``, each in 1 % of the paragraphs;
    its paragraphs are ``texts``."""

    def __init__(self, known: set[str] | None = None, shares: dict[str, float] | None = None, lacks: set[str] = frozenset(),
                 texts: tuple[str, ...] = ()):
        self.known, self.lacks, self.texts = known, lacks, texts
        self.shares = shares or {}

    def __contains__(self, term):
        return (self.known is None or term in self.known) and term not in self.lacks

    def closest(self, term):
        return None

    def share(self, term):
        return self.shares.get(term, 0.01)

    def vocabulary(self):  # the read view's methods resolve uses without citations
        return self

    def lexical_search(self, tokens, k):  # the texts holding the token (none by default: no lower-case word is a name)
        return [(i, 1.0) for i, text in enumerate(self.texts) if tokens[0] in textlib.lexical_tokens(text)][:k]

    def paragraphs(self, ids):
        return {i: SimpleNamespace(text=self.texts[i]) for i in ids}


def test_and_with_words_that_name_nothing_is_a_follow_up_not_a_swap():
    before = [fresh("How many were killed by the rockets that hit the flats in Chasiv Yar?")]
    searched = resolve("and once the rescuers finished?", before, Words())
    assert searched.startswith("and once the rescuers finished?") and "Chasiv Yar" in searched
    swapped = resolve("and kharkiv?", before, Words())
    assert "kharkiv" in swapped and "Chasiv" not in swapped and "rockets" in swapped


def test_asking_for_a_reaction_goes_on_even_in_words_the_corpus_lacks():
    before = [fresh("What did the ICC accuse Putin of in March 2023?")]
    assert "ICC" in resolve("What was the Kremlin's answer?", before, Words({"kremlin", "icc", "putin"}))


def test_asking_what_someone_said_goes_on_with_the_subject():
    """Names and words of saying alone ask the named speaker about the conversation's subject: typed
    carelessly, too (a slip in "what", a possessive without its apostrophe)."""
    before = [fresh("When did Putin suspend Russia's part in New START?")]
    known = Words({"putin", "suspend", "russia", "part", "new", "start", "blinken", "lavrov", "excus", "say"})
    for question in ("What did Blinken say?", "whta did blinken say about it", "whats lavrovs excuse"):
        assert "New START" in resolve(question, before, known), question
    # Naming a subject of its own besides, it starts fresh.
    for question in ("What did Blinken say about the grain deal?", "What did Macron say about Scholz?"):
        assert resolve(question, before, Words()) == question


def test_he_after_a_name_of_its_own_does_not_point_back():
    question = "What did Zelensky ask for when he spoke to Congress?"
    assert resolve(question, [fresh(KERCH)], Words()) == question
    assert "Kerch" in resolve("What did he ask for?", [fresh(KERCH)], Words())
    # Typed in lower case, the name counts as it does with its capital: one in a tenth of the paragraphs is a subject.
    question = question.casefold()
    assert resolve(question, [fresh(KERCH)], Words(shares={"zelenski": 0.1})) == question


def test_words_of_casual_speech_name_nothing():
    """"supposed" and "nxt" are unknown to the corpus: the follow-up was read as off-topic and refused."""
    before = [fresh("How many Russian combat troops did Stoltenberg say were in Belarus for the drills?")]
    assert "Stoltenberg" in resolve("when were they supposed to finish", before, Words(lacks={"suppos"}))
    searched = resolve("and by the nxt day?", [fresh("how many people died at kramatorsk station on 8 april")], Words(lacks={"nxt"}))
    assert searched.startswith("and by the next day?") and "kramatorsk" in searched
    # An abbreviation with its stops is no chat spelling.
    assert resolve("what did the u.s. say about it", before, Words()).startswith("what did the u.s. say about it")
    # Off-topic questions still stand alone.
    for question in ("Can you write me a poem about it?", "How do I bake bread?"):
        assert resolve(question, before, Words(lacks={"write", "poem", "bake"})) == question


def test_ukrainian_and_russian_pronouns_in_any_case_point_back():
    before = [fresh("Which channel did Marina Ovsyannikova work for?")]
    for question in ("А что ей предложил Макрон?", "А що їй запропонував Макрон?", "Что с ней стало потом, по словам Макрона?"):
        assert "Ovsyannikova" in resolve(question, before), question


POLAND = ("More than three million refugees have crossed into Poland, the UN said.",
          "Poland said it had registered 3.2 million refugees by May.",
          "Officials in Poland's border towns asked for help.",
          "Refugees reached Poland by train, and Warsaw opened its stations.",
          "American officials said the weapons would arrive soon.",
          "The American ambassador called the veto a disgrace.",
          "An American delegation visited Kyiv.")


def test_a_lower_case_name_english_also_has_starts_fresh_when_the_corpus_writes_it_as_a_noun():
    before = [fresh("How many people were sheltering in the Mariupol drama theatre when it was bombed?")]
    question = "how many refugees had poland registered by may 2022"
    assert resolve(question, before, Words(texts=POLAND)) == question
    # "American" is written with a capital too, but before a noun: it names no subject of its own.
    assert "Mariupol" in resolve("what did the american ambassador say about the strike", before, Words(texts=POLAND))


def test_the_same_for_swaps_the_place():
    searched = resolve("same for Kharkiv?", [fresh("How many people died in the Kramatorsk station attack?")])
    assert "Kharkiv" in searched and "Kramatorsk" not in searched and "station attack" in searched


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.lists(st.builds(Turn, st.text(max_size=60), st.text(max_size=60)), max_size=4))
def test_resolve_takes_any_text(question, turns):
    searched = resolve(question, turns)
    assert isinstance(searched, str)
    if not turns:
        assert searched == question


# --- Turn as stored ------------------------------------------------------------------------------


@given(st.builds(Turn, st.text(), st.text(min_size=1), st.lists(st.integers(0, 2**62), max_size=5).map(tuple)))
def test_turn_json_round_trip(turn):
    assert Turn.from_json(json.loads(json.dumps(turn.to_json()))) == turn


def test_turn_from_older_json():
    assert Turn.from_json({"question": "When was the Kerch bridge attacked?"}) == fresh(KERCH)
    assert Turn.from_json({"question": "q", "searched": "", "cited": ["7"], "later": "ignored"}) == Turn("q", "q", (7,))


# --- converse, on a slice of the war corpus ------------------------------------------------------


def test_converse_finds_the_response_to_the_earlier_event(war_slice):
    _, first = war_slice.converse(KERCH, k=5)
    assert first.fresh and first.cited
    answer, second = war_slice.converse(RESPONSE, [first], k=5)
    assert answer.question == RESPONSE and "Kerch" in second.searched
    assert RETALIATION in top_texts(answer)
    # The question alone is not about the bridge: fewer of its first passages are (it may still find the
    # retaliation, as "in response" also matches "would respond harshly").
    alone = war_slice.ask(RESPONSE, 5)
    assert sum("bridge" in p.paragraph.text for p in alone.passages[:3]) < sum("bridge" in p.paragraph.text for p in answer.passages[:3])


def test_converse_starts_fresh_on_a_new_subject(war_slice):
    _, first = war_slice.converse(KERCH, k=5)
    question = "How many people were killed at the Kramatorsk railway station?"
    answer, second = war_slice.converse(question, [first], k=5)
    assert second.searched == question and "Kramatorsk" in top_texts(answer, 1)


def test_a_which_question_is_followed_with_what_it_was_answered_with(war_slice):
    _, first = war_slice.converse("Which bridge was hit by a blast in October 2022?", k=5)
    title = war_slice.snapshot().paragraphs(first.cited[:1])[first.cited[0]].document.title
    assert "Kerch" in title
    _, second = war_slice.converse("How long was it closed?", [first], k=5)
    assert "Kerch" in second.searched  # from the cited report's title: the question did not name it


def test_in_the_end_is_searched_from_the_day_of_the_report_cited(war_slice):
    _, first = war_slice.converse(KERCH, k=5)
    day = war_slice.snapshot().paragraphs(first.cited[:1])[first.cited[0]].document.date
    _, second = war_slice.converse("How many people died there in the end?", [first], k=5)
    assert second.searched.endswith(f"since {int(day[8:])} October 2022")


def test_a_ukrainian_follow_up_to_an_english_question(war_slice):
    _, first = war_slice.converse(KERCH, k=5)
    answer, second = war_slice.converse("Що Росія зробила у відповідь?", [first], k=5)
    assert "Kerch" in second.searched and answer.language == "uk"
    assert RETALIATION in top_texts(answer)


@pytest.mark.parametrize("question", ["How do I bake bread?", "Can you write me a poem about it?"])
def test_an_off_topic_follow_up_stands_alone_and_is_refused(war_slice, question):
    _, first = war_slice.converse(KERCH, k=5)
    answer, second = war_slice.converse(question, [first], k=5)
    assert second.searched == question and answer.abstained and not answer.citations


def test_converse_reads_only_the_last_turns(war_slice, embedder):
    _, kerch = war_slice.converse(KERCH, k=5)
    _, bucha = war_slice.converse("What did Ukrainian troops find in Bucha?", [kerch], k=5)
    follow_up = "What did Zelensky say when he went there?"
    assert "Kerch" in war_slice.converse(follow_up, [bucha, kerch], k=5)[1].searched  # both read: the last is Kerch
    one = CrisisService(war_slice.settings.model_copy(update={"conversation_turns": 1}), embedder=embedder)
    searched = one.converse(follow_up, [kerch, bucha], k=5)[1].searched
    assert "Bucha" in searched and "Kerch" not in searched
    none = CrisisService(war_slice.settings.model_copy(update={"conversation_turns": 0}), embedder=embedder)
    assert none.converse(follow_up, [kerch, bucha], k=5)[1].searched == follow_up


def test_conversation_turns_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("CRISISBOT_CONVERSATION_TURNS", "5")
    assert make_settings(tmp_path).conversation_turns == 5
    monkeypatch.setenv("CRISISBOT_CONVERSATION_TURNS", "-1")
    with pytest.raises(ValueError):
        make_settings(tmp_path)


# --- crisisbot chat ------------------------------------------------------------------------------

MINSK = "Who signed the Minsk II agreement?"


def test_chat_json_one_answer_per_line_with_what_was_searched(run):
    result = run("chat", "--json", input=f"{MINSK}\n\nWho endorsed it?\n{'x' * 3000}\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == [MINSK, "Who endorsed it?", "x" * 3000]
    asked = json.loads(run("ask", "--json", MINSK).stdout)
    assert set(lines[0]) == set(asked) | {"searched"} and lines[0]["searched"] == MINSK
    assert lines[0]["citations"][0]["text"] == asked["citations"][0]["text"]
    assert lines[1]["searched"].startswith("Who endorsed it?") and "Minsk" in lines[1]["searched"]
    assert "endorsed by a UN Security Council resolution" in lines[1]["citations"][0]["text"]
    assert set(lines[2]) == {"question", "error"} and "limit" in lines[2]["error"]  # a bad line, and the chat goes on


def test_chat_renders_like_ask(run):
    result = run("chat", input=f"{MINSK}\nWho endorsed it?\n")
    assert result.exit_code == 0, result.output
    assert f"Q: {MINSK}" in result.stdout and "Q: Who endorsed it?" in result.stdout
    assert "(read with the earlier questions: Who endorsed it?" in result.stdout
    assert "[1] " in result.stdout and "passages searched" in result.stdout


def test_chat_without_an_index(run, tmp_path, monkeypatch):
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(tmp_path / "nothing"))
    result = run("chat", "--json", input=f"{MINSK}\n")
    assert result.exit_code == 1 and "index" in result.output and "Traceback" not in result.output


# --- conversations in eval -------------------------------------------------------------------------

CONVERSATION = {"turns": [MINSK, "Who endorsed it?"], "gold": ["endorsed by a UN Security Council resolution"],
                "full": "Who endorsed the Minsk II agreement?", "kind": "pronoun"}


def test_eval_scores_a_conversations_last_turn(shared_service, tmp_path):
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(CONVERSATION) + "\n", encoding="utf-8")
    [question] = evaluation.load_questions(path)
    assert question.q == "Who endorsed it?" and question.turns == (MINSK,) and question.full == CONVERSATION["full"]
    report = evaluation.evaluate(shared_service, [question], "final", full=False)
    assert report.recall[1] == 1.0 and report.written_out is not None and report.written_out.recall[1] == 1.0
    assert report.written_out.questions == 1 and "all, written out" in evaluation.kind_table(report)


def test_cli_eval_of_conversations(run, tmp_path):
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(CONVERSATION) + "\n", encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code == 0, result.output
    assert "written out in full (1): Recall@1 1.000" in result.stdout and "| all, written out | 1 |" in result.stdout
    [report] = json.loads(run("eval", str(path), "--json").stdout)
    assert report["recall"]["@3"] == 1.0 and report["written_out"]["recall"]["@3"] == 1.0


@pytest.mark.parametrize("line", ['{"turns": [], "gold": ["x"]}', '{"turns": ["a", 3], "gold": ["x"]}',
                                  '{"turns": ["a"], "q": "b", "gold": ["x"]}', '{"turns": ["a", "b"]}'])
def test_bad_conversation_lines(tmp_path, line):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(BadQASet, match=r"bad\.jsonl:1"):
        evaluation.load_questions(path)
