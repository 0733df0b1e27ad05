"""The index: build, reload, duplicates, model mismatch, atomic writes, cited answers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from index import store
from index.embed import Embedder
from index.ingest import Document, load
from index.service import BadQuestion, CrisisService

from .helpers import make_settings

BLINKEN = "Who did Blinken write to proposing a meeting?"
OFF_TOPIC = ["What is the capital of France?", "How do I bake sourdough bread?", "Who won the 2018 World Cup?"]


def answer_sentences(answer: str) -> list[tuple[str, int]]:
    """(quoted text, n) pairs from an answer: one line per source, "date — sentences [n]"."""
    pairs = []
    for line in answer.splitlines():
        found = re.fullmatch(r"(?:\d{1,2} \w{3} \d{4} — )?(.+?)\s*\[(\d+)\]", line)
        assert found, f"not a dated, cited line: {line!r}"
        pairs.append((found.group(1), int(found.group(2))))
    return pairs


def test_bundled_index_layout_and_manifest(built_data_dir: Path):
    folder = store.current_folder(built_data_dir)
    assert folder is not None and folder.parent.name == "indexes"
    assert {"vectors.faiss", "corpus.sqlite", "manifest.json", "lexical_ids.npy", "lexical"} <= {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert manifest["documents"] == 1
    # 51 paragraphs: 1 boilerplate dropped, 1 near duplicate collapsed.
    assert manifest["paragraphs"] == 49
    assert manifest["built_at"]


def test_blinken_question_cites_the_letter_to_lavrov(shared_service: CrisisService):
    answer = shared_service.ask(BLINKEN)
    assert not answer.abstained
    assert "Lavrov" in answer.citations[0].text and "letter" in answer.citations[0].text
    assert answer.citations[0].source == "CNN"
    assert answer.citations[0].url.startswith("https://edition.cnn.com/")


@pytest.mark.parametrize(
    "question",
    [
        BLINKEN,
        "What did Boris Johnson accuse Russia of?",
        "Who was expelled from the US embassy in Moscow?",
        "Is Russia pulling its troops back?",
        "What is the Minsk agreement?",
    ],
)
def test_every_cited_sentence_is_in_the_cited_paragraph(shared_service: CrisisService, question: str):
    answer = shared_service.ask(question)
    assert not answer.abstained
    by_n = {c.n: c for c in answer.citations}
    pairs = answer_sentences(answer.answer)
    assert pairs, answer.answer
    assert {n for _, n in pairs} == set(by_n)  # every marker has a citation and vice versa
    for quoted, n in pairs:
        assert quoted in by_n[n].text or all(s.text in by_n[n].text for s in answer.sentences if s.n == n)
    assert [s.n for s in answer.sentences] == sorted(s.n for s in answer.sentences)  # read in citation order
    for sentence in answer.sentences:
        assert sentence.text in by_n[sentence.n].text  # word for word from the cited paragraph
    assert all(line.startswith("10 Feb 2022 — ") for line in answer.answer.splitlines())  # the seed's date, on every line


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(shared_service: CrisisService, question: str):
    answer = shared_service.ask(question)
    assert answer.abstained
    assert answer.citations == []
    # A refusal says so; when the question names something the corpus never mentions, it says what.
    assert "could not find" in answer.answer or answer.answer.startswith("My sources run from 10 Feb 2022 to 10 Feb 2022 and have nothing on")


def test_bad_questions_are_refused(shared_service: CrisisService):
    for bad in ["", "   \n\t", "x" * 2001]:
        with pytest.raises(BadQuestion):
            shared_service.ask(bad)


def test_reload_gives_identical_results(shared_service: CrisisService, built_data_dir: Path):
    fresh = CrisisService(make_settings(built_data_dir), embedder=Embedder())  # a new process would do this
    for question in [BLINKEN, "kindergarten shelling", "What is the capital of France?"]:
        a, b = shared_service.ask(question), fresh.ask(question)
        assert a.answer == b.answer
        assert [(p.id, round(p.score, 5)) for p in a.passages] == [(p.id, round(p.score, 5)) for p in b.passages]


def test_index_built_with_another_model_is_refused(tmp_path: Path, built_data_dir: Path, embedder: Embedder):
    # The same weights under another name, as an operator pointing CRISISBOT_MODEL at a path would have.
    other_model = tmp_path / "my-model"
    shutil.copytree(embedder.source, other_model)
    other = CrisisService(make_settings(built_data_dir, model=str(other_model)), embedder=Embedder(str(other_model)))
    with pytest.raises(store.IndexMismatch, match="re-index"):
        other.ask(BLINKEN)


def test_near_and_exact_duplicates_collapse_keeping_every_source(service: CrisisService):
    before = service.stats()["paragraphs"]
    # The same text as the bundled article, once with glued words and lost apostrophes, once reworded slightly.
    doc = Document(
        id="wire-copy",
        title="Wire copy",
        url="https://apnews.com/article/x",
        date="2022-02-18",
        outlet="AP",
        origin="test",
        paragraphs=[
            "Blinken said he sent a letter to Russian Foreign Minister Sergey Lavrov proposing they meet nextweek in Europe. He is also proposing meetings of the NATO-Russia Council and the Organization for Security and Co-operation in Europe.",
            "Russia expelled the second-most senior diplomat at the US embassy in Moscow without any justification on Thursday, in what the Biden administration views as an escalatory move, the State Department said.",
            "A completely new paragraph about grain exports through the Black Sea ports and shipping insurance.",
        ],
    )
    result = service.add_documents([doc])
    assert result.change.exact_duplicates == 1
    assert result.change.near_duplicates == 1
    assert result.change.paragraphs_added == 1
    assert service.stats()["paragraphs"] == before + 1
    answer = service.ask(BLINKEN)
    letter = next(c for c in answer.citations if "Lavrov proposing" in c.text)
    assert letter.title == "The latest on the Ukraine Russia border crisis"  # the earliest source comes first
    assert "Wire copy" in letter.also_in


def test_add_then_remove_a_source(service: CrisisService, tmp_path: Path):
    path = tmp_path / "sanctions.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "eu-sanctions",
                "title": "EU agrees a first sanctions package",
                "date": "2022-02-23",
                "url": "https://www.theguardian.com/world/eu-sanctions",
                "text": "The European Union agreed a first package of sanctions targeting Russian banks and 351 members of the Duma.\n\nThe measures freeze assets and ban travel for the listed lawmakers.",
            }
        ),
        encoding="utf-8",
    )
    question = "Which sanctions did the European Union agree on Russian banks?"
    assert not any(c.document_id == "eu-sanctions" for c in service.ask(question).citations)
    service.add_documents(load([path]).documents)
    answer = service.ask(question)
    assert answer.citations[0].document_id == "eu-sanctions"
    assert answer.citations[0].source == "The Guardian"
    removed = service.remove_documents(["eu-sanctions"])
    assert removed.change.documents_removed == 1 and removed.change.paragraphs_removed == 2
    assert all(c.document_id != "eu-sanctions" for c in service.ask(question).citations)
    with pytest.raises(store.NothingToIndex, match="no source with id"):
        service.remove_documents(["eu-sanctions"])


def test_failed_build_leaves_the_last_good_index_serving(service: CrisisService, tmp_path: Path):
    before = store.current_folder(service.data_dir)
    expected = service.ask(BLINKEN).answer

    def crash(stage: str, done: int, total: int) -> None:
        if stage == "embedding":
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        service.build(progress=crash)
    assert store.current_folder(service.data_dir) == before
    assert not [p for p in (service.data_dir / "indexes").iterdir() if p.name.endswith(".building")]
    assert CrisisService(service.settings, embedder=service.embedder).ask(BLINKEN).answer == expected


def test_a_second_writer_is_told_to_wait(service: CrisisService):
    with store.write_lock(service.data_dir):
        with pytest.raises(store.WriteInProgress):
            service.remove_documents(["anything"])


def test_rebuild_swaps_in_place_and_keeps_only_recent_indexes(service: CrisisService):
    first = store.current_folder(service.data_dir)
    for _ in range(3):
        service.build()
    folders = sorted((service.data_dir / "indexes").iterdir())
    assert store.current_folder(service.data_dir) != first
    assert len(folders) == 2  # the current one and the one before it
    assert service.ask(BLINKEN).citations


def test_asking_without_an_index_says_how_to_build_one(empty_service: CrisisService):
    with pytest.raises(store.NoIndex, match="crisisbot index build"):
        empty_service.ask(BLINKEN)


def test_build_with_nothing_usable_fails_clearly(empty_service: CrisisService, tmp_path: Path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG")
    with pytest.raises(store.NothingToIndex, match="nothing to index"):
        empty_service.build([tmp_path / "x.png"])
    assert not empty_service.has_index()
