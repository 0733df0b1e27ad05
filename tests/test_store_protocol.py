"""The ``Store`` contract (index/store/protocol.py) is all the service needs: a second store, kept in
memory and written here against the protocol alone, answers with citations through the unchanged
``CrisisService``, and so does the PostgreSQL store (the same tests, parametrised over both).  Also the local store's pieces that stand on their own: the dedup plan, the
schema version and the lexical index's save/load round trip."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from index import store
from index import text as textlib
from index.embed import Embedder, Progress
from index.ingest import Document
from index.lexical import LexicalIndex, Vocabulary
from index.service import CrisisService
from index.store import dedup, schema
from index.store.protocol import ChangeReport, DocumentRow, NoIndex, NothingToIndex, ParagraphRow, WriteInProgress

from .helpers import make_settings

BLINKEN = "Who did Blinken write to proposing a meeting?"
GAS = Document(
    id="gas-talks",
    title="Gas talks resume",
    paragraphs=["Energy ministers met in Brussels on Monday to discuss a cap on gas prices. No deal was reached."],
    origin="test",
    outlet="Test Wire",
    date="2022-09-05",
)


# --- a second store: everything in memory ------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """A paragraph as the memory store keeps it."""

    text: str
    key: str
    lex: str
    vector: np.ndarray
    sentences: np.ndarray | None


@dataclass
class State:
    documents: dict[str, DocumentRow] = field(default_factory=dict)  # in the order they were added
    paragraphs: dict[int, Kept] = field(default_factory=dict)
    occurrences: dict[str, list[int]] = field(default_factory=dict)  # document id -> its paragraphs, by position

    def copy(self) -> State:
        return State(dict(self.documents), dict(self.paragraphs), {k: list(v) for k, v in self.occurrences.items()})


class MemoryView:
    """One published version: exact dense search with NumPy, BM25 with index.lexical, dicts for the rest."""

    location = "memory"

    def __init__(self, state: State, manifest: dict):
        self.state = state
        self.manifest = manifest
        self.ids = sorted(state.paragraphs)
        dimension = manifest["dimension"]
        self.matrix = np.vstack([state.paragraphs[i].vector for i in self.ids]) if self.ids else np.zeros((0, dimension), np.float32)
        self.lexical = LexicalIndex.build(self.ids, [state.paragraphs[i].lex for i in self.ids])

    @property
    def size(self) -> int:
        return len(self.ids)

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        scores = self.matrix @ vector
        return [(self.ids[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")[:k]]

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        return self.lexical.search(tokens, k)

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return self.lexical.term_weights(tokens)

    def vocabulary(self) -> Vocabulary:
        return self.lexical.vocabulary

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        return np.vstack([self.state.paragraphs[i].vector for i in ids])

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        order = {doc_id: n for n, doc_id in enumerate(self.state.documents)}
        carriers: dict[int, list[DocumentRow]] = {}
        for doc_id, pids in self.state.occurrences.items():
            for pid in dict.fromkeys(pids):
                carriers.setdefault(pid, []).append(self.state.documents[doc_id])
        out = {}
        for pid in ids:
            if pid in self.state.paragraphs:
                kept = self.state.paragraphs[pid]
                docs = sorted(carriers[pid], key=lambda d: (d.date is None, d.date or "", order[d.id], d.id))
                out[pid] = ParagraphRow(pid, kept.text, tuple(kept.lex.split()), tuple(docs), kept.sentences)
        return out

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[str]]:
        return {pid: [d.date for d in row.documents if d.date] for pid, row in self.paragraphs(ids).items()}

    def documents(self) -> list[DocumentRow]:
        rows = [replace(d, paragraphs=len(self.state.occurrences[d.id])) for d in self.state.documents.values()]
        rows.sort(key=lambda d: d.title)
        return sorted(rows, key=lambda d: (d.date is not None, d.date or ""), reverse=True)


class MemoryTransaction:
    """Edits a copy of the state; the store publishes it when the block ends."""

    def __init__(self, state: State | None, dimension: int | None, progress: Progress | None):
        self.exists = state is not None
        self.progress = progress
        self.state = state.copy() if state is not None else State()
        self.dimension = dimension
        self.manifest: dict | None = None
        self.extra: dict = {}
        self.undo: list[Callable[[], object]] = []
        self.after: list[Callable[[], object]] = []

    def add_documents(self, documents: Sequence[Document], embedder: Embedder, *, near_duplicate_ratio: float) -> ChangeReport:
        """Exact duplicates only (by ``text.dedup_key``): a second store may dedup as it likes."""
        self.exists, self.dimension = True, embedder.dimension
        report = ChangeReport()
        batch = list({d.id: d for d in reversed(documents)}.values())[::-1]  # the first of each id
        replaced = [d.id for d in batch if d.id in self.state.documents]
        self.remove_documents(replaced, report)
        report.documents_removed -= len(replaced)
        report.documents_replaced = len(replaced)
        by_key = {p.key: pid for pid, p in self.state.paragraphs.items()}
        new: dict[str, tuple[str, str]] = {}  # key -> (text, search tokens) of the paragraphs to embed
        for doc in batch:
            for paragraph in doc.paragraphs:
                key = textlib.dedup_key(paragraph)
                if key in by_key or key in new:
                    report.exact_duplicates += 1
                else:
                    new[key] = (paragraph, " ".join(textlib.lexical_tokens(doc.title) + textlib.lexical_tokens(paragraph)))
        vectors, sentences = embedder.encode_with_sentences([text for text, _ in new.values()], progress=self.progress)
        next_id = max(self.state.paragraphs, default=0) + 1
        for n, (key, (text, lex)) in enumerate(new.items()):
            self.state.paragraphs[next_id + n] = Kept(text, key, lex, vectors[n], sentences[n])
            by_key[key] = next_id + n
        for doc in batch:
            if doc.paragraphs:
                meta_id = doc.meta.get("id_in_source")
                self.state.documents[doc.id] = DocumentRow(doc.id, doc.title, doc.outlet, doc.date, doc.url, doc.origin, 0, meta_id)
                self.state.occurrences[doc.id] = [by_key[textlib.dedup_key(p)] for p in doc.paragraphs]
                report.added_ids.append(doc.id)
        report.documents_added = len(report.added_ids) - report.documents_replaced
        report.paragraphs_added = len(new)
        return report

    def remove_documents(self, ids: Iterable[str], report: ChangeReport | None = None) -> ChangeReport:
        report = report or ChangeReport()
        for doc_id in set(ids) & self.state.documents.keys():
            del self.state.documents[doc_id]
            report.documents_removed += 1
            for pid in set(self.state.occurrences.pop(doc_id)):
                if not any(pid in pids for pids in self.state.occurrences.values()):
                    del self.state.paragraphs[pid]
                    report.paragraphs_removed += 1
        return report

    def origins(self) -> dict[str, str]:
        if not self.exists:
            raise NoIndex.at("memory")
        return {d.id: d.origin for d in self.state.documents.values()}

    def annotate(self, **fields: object) -> None:
        self.extra.update(fields)

    def on_discard(self, action: Callable[[], object]) -> None:
        self.undo.append(action)

    def after_publish(self, action: Callable[[], object]) -> None:
        self.after.append(action)


class MemoryStore:
    location = "memory"

    def __init__(self, published: MemoryView | None = None):
        self.published = published
        self.lock = threading.Lock()

    def merge_due(self) -> bool:
        return False  # every write here is already one whole version

    def merge(self, *, progress: Progress | None = None) -> dict | None:
        return None

    def fork(self) -> MemoryStore:
        """Another store starting from this one's current version (versions never change)."""
        return MemoryStore(self.published)

    def has_index(self) -> bool:
        return self.published is not None

    def current(self) -> MemoryView:
        if self.published is None:
            raise NoIndex.at(self.location)
        return self.published

    @contextmanager
    def write(self, *, fresh: bool = False, progress: Progress | None = None) -> Iterator[MemoryTransaction]:
        if not self.lock.acquire(blocking=False):
            raise WriteInProgress("another write is running")
        try:
            base = None if fresh or self.published is None else self.published
            tx = MemoryTransaction(base.state if base else None, base.manifest["dimension"] if base else None, progress)
            try:
                yield tx
                if not tx.exists:
                    raise NoIndex.at(self.location)
                state = tx.state
                manifest = {"model": "memory", "dimension": tx.dimension, "documents": len(state.documents),
                            "paragraphs": len(state.paragraphs), **tx.extra}
                self.published = MemoryView(state, manifest)
                tx.manifest = manifest
            except BaseException:
                for action in reversed(tx.undo):
                    action()
                raise
            for action in tx.after:
                action()
        finally:
            self.lock.release()


# --- the service over the memory store ----------------------------------------------------------


@pytest.fixture(scope="module")
def built_memory_store(embedder, tmp_path_factory) -> MemoryStore:
    memory = MemoryStore()
    CrisisService(make_settings(tmp_path_factory.mktemp("memory") / "data"), embedder=embedder, store=memory).build()
    return memory


@pytest.fixture
def memory_service(built_memory_store, embedder, tmp_path) -> CrisisService:
    """A service over a private copy of the memory store with the bundled corpus in it."""
    return CrisisService(make_settings(tmp_path / "data"), embedder=embedder, store=built_memory_store.fork())


# Every store passes the same tests: the memory store above, and PostgreSQL (index/store/postgres/; tests/postgres.py).
STORES = ["memory", "postgres"]


@pytest.fixture(params=STORES)
def store_service(request) -> CrisisService:
    """A service over a private copy of the bundled corpus, in each store."""
    return request.getfixturevalue("memory_service" if request.param == "memory" else "postgres_service")


@pytest.fixture(params=STORES)
def empty_store(request, embedder):
    """A store with no index yet, of each kind."""
    if request.param == "memory":
        return MemoryStore()
    from index.store.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("postgres_database"), embedder.name)


def test_a_build_in_each_store_writes_no_index_folder(embedder, tmp_path, empty_store):
    service = CrisisService(make_settings(tmp_path / "data"), embedder=embedder, store=empty_store)
    assert not service.has_index()
    result = service.build()
    assert service.has_index() and result.manifest["paragraphs"] == service.snapshot().size > 40
    assert result.manifest["sources"] and result.manifest["built_at"]
    assert not (tmp_path / "data" / store.INDEXES).exists() and not (tmp_path / "data" / store.CURRENT).exists()
    assert service.stats()["index_folder"] == empty_store.location


def test_the_blinken_question_is_answered_and_cited_from_each_store(store_service: CrisisService, shared_service: CrisisService):
    answer = store_service.ask(BLINKEN)
    assert not answer.abstained
    assert "Lavrov" in answer.citations[0].text and "letter" in answer.citations[0].text
    assert answer.citations[0].source == "CNN"
    assert f"[{answer.citations[0].n}]" in answer.answer
    assert answer.citations[0].text == shared_service.ask(BLINKEN).citations[0].text  # the same as from the folders


def test_off_topic_questions_abstain_in_each_store(store_service: CrisisService):
    answer = store_service.ask("How do I bake sourdough bread?")
    assert answer.abstained and not answer.citations


def test_search_in_each_store_ranks_the_letter_first(store_service: CrisisService):
    passages = store_service.search("Blinken letter to Lavrov", k=5)
    assert len(passages) == 5 and "Lavrov" in passages[0].paragraph.text
    assert passages[0].lexical > 0 and passages[0].coverage > 0.5


def test_add_and_remove_documents_in_each_store(store_service: CrisisService):
    question = "Where did energy ministers meet about a gas price cap?"
    before = store_service.snapshot()
    added = store_service.add_documents([GAS])
    assert added.change.documents_added == 1 and added.change.paragraphs_added == 1
    assert store_service.snapshot() is not before and before.size == store_service.snapshot().size - 1  # old view unchanged
    answer = store_service.ask(question)
    assert answer.citations[0].document_id == "gas-talks" and "Brussels" in answer.answer
    again = store_service.add_documents([GAS])  # the same id replaces it
    assert again.change.documents_replaced == 1 and again.change.documents_added == 0
    removed = store_service.remove_documents(["gas-talks"])
    assert removed.change.documents_removed == 1 and removed.change.paragraphs_removed == 1
    assert all(c.document_id != "gas-talks" for c in store_service.ask(question).citations)
    with pytest.raises(NothingToIndex, match="no source with id"):
        store_service.remove_documents(["gas-talks"])


def test_a_failed_write_in_each_store_publishes_nothing_and_undoes_the_kept_file(store_service: CrisisService, tmp_path):
    path = tmp_path / "in" / "lviv.txt"
    path.parent.mkdir()
    path.write_text("Missiles hit a fuel depot in Lviv\n\nThe regional governor said two missiles struck a fuel depot on the edge of the city.\n")

    def crash(stage: str, done: int, total: int) -> None:
        raise RuntimeError("disk on fire")

    before = store_service.snapshot()
    with pytest.raises(RuntimeError, match="disk on fire"):
        store_service.add_paths([path], progress=crash)
    assert store_service.snapshot() is before
    assert not [name for name in store_service.kept.names() if name.startswith("lviv")]  # the kept copy was undone


def test_removing_a_source_drops_its_kept_file_only_once_published(store_service: CrisisService, tmp_path):
    path = tmp_path / "in" / "lviv.txt"
    path.parent.mkdir()
    path.write_text("Missiles hit a fuel depot in Lviv\n\nThe regional governor said two missiles struck a fuel depot on the edge of the city.\n")
    store_service.add_paths([path])
    [kept] = [name for name in store_service.kept.names() if name.startswith("lviv")]  # a file, or a row in Postgres
    [doc] = [d for d in store_service.documents() if d.origin == store_service.kept.origin(kept)]
    store_service.remove_sources([doc.id])
    assert not store_service.kept.names() and not (store_service.sources_dir.exists() and any(store_service.sources_dir.iterdir()))
    assert doc.id not in {d.id for d in store_service.documents()}


def test_no_index_in_each_store_says_how_to_build_one(embedder, tmp_path, empty_store):
    service = CrisisService(make_settings(tmp_path / "data"), embedder=embedder, store=empty_store)
    with pytest.raises(NoIndex, match="crisisbot index build"):
        service.ask(BLINKEN)
    with pytest.raises(NoIndex, match="crisisbot index build"):
        service.remove_documents(["anything"])


# --- the local store's parts --------------------------------------------------------------------


def test_the_dedup_plan_is_made_from_plain_data():
    docs = [
        Document(id="a", title="A", origin="t", paragraphs=["Shelling hit Kharkiv overnight.", "Kyiv was quiet."]),
        Document(id="b", title="B", origin="t", paragraphs=["Shelling  hit Kharkiv overnight!", "Odesa port reopened."]),
        Document(id="a", title="A again", origin="t", paragraphs=["ignored: the first document with an id wins"]),
    ]
    indexed = {textlib.dedup_key("Odesa port reopened."): 7}
    plan = dedup.plan_exact(docs, indexed)
    assert plan.texts == ["Shelling hit Kharkiv overnight.", "Kyiv was quiet."]
    assert plan.placements == [("a", 0, ("batch", 0)), ("a", 1, ("batch", 1)), ("b", 0, ("batch", 0)), ("b", 1, ("index", 7))]
    assert plan.exact_duplicates == 2
    vectors = np.eye(2, 4, dtype=np.float32)
    dedup.plan_near(plan, vectors, [[(3, 0.99, plan.keys[0][:-1])], [(4, 0.5, plan.keys[1])]], ratio=90)
    assert plan.merges == [("index", 3), None] and plan.near_duplicates == 1  # the second is too far in meaning
    kept, ids = dedup.assign_ids(plan, first_id=10)
    assert kept == [1] and ids == {0: 3, 1: 10}


def test_a_new_index_records_its_schema_version_and_an_old_copy_is_migrated(built_data_dir: Path, tmp_path):
    folder = store.current_folder(built_data_dir)
    with sqlite3.connect(folder / schema.CORPUS) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    db.close()
    old = tmp_path / schema.CORPUS  # unstamped and without sentence vectors: version 0
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, text TEXT NOT NULL, key TEXT NOT NULL, lex TEXT NOT NULL)")
        db.execute("INSERT INTO paragraphs VALUES (1, 'text', 'key', 'lex')")
    db.close()
    reader = schema.connect(old, readonly=True)
    assert schema.schema_version(reader, old) == 0
    assert reader.execute(f"SELECT {schema.paragraph_columns(0)} FROM paragraphs").fetchone()["sentences"] is None
    reader.close()
    writer = schema.open_for_writing(old)
    assert schema.schema_version(writer, old) == schema.SCHEMA_VERSION
    assert writer.execute(f"SELECT {schema.paragraph_columns(schema.SCHEMA_VERSION)} FROM paragraphs").fetchone()["text"] == "text"
    writer.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(store.IndexMismatch, match="schema version"):
        schema.schema_version(writer, old)
    writer.close()


def test_the_lexical_index_round_trips(tmp_path):
    texts = ["russia troop border", "troop withdraw claim", "gas price cap brussel", ""]
    built = LexicalIndex.build([4, 8, 15, 16], texts)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    for tokens in (["troop"], ["gas", "cap"], ["russia", "troop", "unknown"], []):
        assert loaded.search(tokens, 3) == built.search(tokens, 3)
        assert loaded.term_weights(tokens) == built.term_weights(tokens)
    assert sorted(pid for pid, _ in loaded.search(["troop"], 3)) == [4, 8]
    assert loaded.doc_freq == built.doc_freq and loaded.doc_freq["troop"] == 2
    weights = loaded.term_weights(["troop", "gas", "unknown"])
    assert weights["troop"] < weights["gas"] < weights["unknown"]
    (tmp_path / "empty").mkdir()
    LexicalIndex.build([], []).save(tmp_path / "empty")
    assert LexicalIndex.load(tmp_path / "empty").count() == 0
    assert LexicalIndex.load(tmp_path / "empty").search(["troop"], 3) == []


def test_reweighted_lexical_search_is_bm25s_search_when_nothing_changes(tmp_path):
    texts = ["russia troop border troop", "troop withdraw claim", "gas price cap brussel", "gas gas deal", ""]
    index = LexicalIndex.build([4, 8, 15, 16, 23], texts)
    for tokens in (["troop"], ["gas", "cap"], ["russia", "troop", "unknown"]):
        n = index.count()
        idf = {t: float(np.log(1 + (n - df + 0.5) / (df + 0.5))) for t in tokens if (df := index.doc_freq.get(t))}
        plain = index.search(tokens, 3)
        again = index.search_reweighted(tokens, 3, idf)
        assert [pid for pid, _ in again] == [pid for pid, _ in plain]
        assert [s for _, s in again] == pytest.approx([s for _, s in plain], rel=1e-5)
    assert [pid for pid, _ in index.search_reweighted(["troop"], 3, {}, exclude={4})] == [8]
    doubled = index.search_reweighted(["gas"], 3, {"gas": 2 * float(np.log(1 + (5 - 2 + 0.5) / (2 + 0.5)))})
    assert [s for _, s in doubled] == pytest.approx([2 * s for _, s in index.search(["gas"], 3)], rel=1e-5)


def test_paragraph_dates_are_the_dates_of_the_rows_in_each_store(store_service: CrisisService):
    view = store_service.snapshot()
    rows = view.paragraphs(range(1, view.size + 50))
    dates = view.paragraph_dates([*rows, 10_000_000])
    assert rows and {pid: set(dates.get(pid, ())) for pid in rows} == {pid: {d.date for d in row.documents if d.date} for pid, row in rows.items()}
    assert not dates.get(10_000_000)
