"""Writes that cost what they change (index/store/delta.py): a delta over an untouched base, read as one
index (index/store/composite.py), merged into a new base when due, with the same answers throughout."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from index import doctor
from index.errors import IndexDamaged
from index.service import CrisisService
from index.store import CompositeView, Snapshot, current_folder, delta, read_manifest

from .helpers import make_settings

WAR = Path(__file__).resolve().parent / "eval" / "war" / "corpus"
QUESTIONS = [
    "How many people were killed in the Kramatorsk railway station strike?",
    "What did the IAEA inspectors find at Zaporizhzhia?",
    "When did Russia withdraw from Kherson?",
    "How many HIMARS did the United States send?",
    "What happened at the Antonivskyi bridge?",
    "Why did Russia suspend the grain deal?",
    "What did Zelensky say in his address to Congress?",
    "How many civilians were evacuated from Azovstal?",
]


def digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())).hexdigest()


def new_service(tmp_path: Path, name: str, embedder) -> CrisisService:
    return CrisisService(make_settings(tmp_path / name / "data"), embedder=embedder)


def with_base(tmp_path: Path, name: str, embedder, documents) -> CrisisService:
    """A service whose index is one base of ``documents`` (a build: no delta yet)."""
    svc = new_service(tmp_path, name, embedder)
    with svc.store.write(fresh=True) as tx:
        tx.add_documents(documents, embedder, near_duplicate_ratio=90)
    return svc


@pytest.fixture(scope="module")
def documents(tmp_path_factory, embedder):
    """Part a of the war corpus (a base), part b and part c (added later), as the service reads them."""
    svc = new_service(tmp_path_factory.mktemp("read"), "read", embedder)
    return tuple(svc._load([WAR / f"part-{part}.jsonl"]).documents for part in "abc")


@pytest.fixture(scope="module")
def pair(tmp_path_factory, embedder, documents):
    """The same final corpus reached two ways: a base and small deltas (adds, removes, a replacement), and one build."""
    part_a, part_b, part_c = documents
    tmp = tmp_path_factory.mktemp("pair")
    stepwise = with_base(tmp, "stepwise", embedder, part_a + part_b)
    base = current_folder(stepwise.data_dir)
    base_digest = digest(base)
    stepwise.add_documents(part_c[:8])
    stepwise.add_documents(part_c[8:16])
    removed = [part_a[0].id, part_a[5].id, part_c[3].id]
    stepwise.remove_documents(removed)
    replacement = dataclasses.replace(part_a[10], paragraphs=["A replacement paragraph: the report was corrected "
                                                              "to say that the convoy reached Zaporizhzhia on Friday."])
    stepwise.add_documents([replacement])

    final = [d for d in part_a + part_b + part_c[:16] if d.id not in removed and d.id != replacement.id] + [replacement]
    whole = with_base(tmp, "whole", embedder, final)
    return stepwise, whole, base, base_digest, removed, replacement


def top_texts(svc: CrisisService, question: str, k: int = 5) -> list[str]:
    return [p.paragraph.text for p in svc.search(question, k)]


def test_writes_after_the_first_are_deltas_over_an_untouched_base(pair):
    stepwise, _, base, base_digest, _, _ = pair
    view = stepwise.snapshot()
    assert isinstance(view, CompositeView) and view.base.folder == base
    assert digest(base) == base_digest  # never copied, never changed
    assert read_manifest(view.folder)["delta"]["base"] == base.name


def test_a_delta_reads_as_the_same_corpus_built_in_one_go(pair):
    stepwise, whole, _, _, removed, replacement = pair
    a, b = stepwise.snapshot(), whole.snapshot()
    assert {(d.id, d.title) for d in a.documents()} == {(d.id, d.title) for d in b.documents()}
    assert a.size == b.size == a.manifest["paragraphs"] == b.manifest["paragraphs"]
    assert a.manifest["documents"] == b.manifest["documents"]
    assert not {d.id for d in a.documents()} & set(removed)
    texts = {p.text for p in a.paragraphs(range(1, 10_000)).values()}
    assert texts == {p.text for p in b.paragraphs(range(1, 10_000)).values()}
    assert replacement.paragraphs[0] in texts
    for question in QUESTIONS:
        assert top_texts(stepwise, question)[0] == top_texts(whole, question)[0], question


def test_the_delta_scores_bm25_with_the_whole_index_statistics(tmp_path, embedder, documents):
    part_a, part_b, _ = documents
    stepwise = with_base(tmp_path, "stepwise", embedder, part_a)
    stepwise.add_documents(part_b)
    whole = with_base(tmp_path, "whole", embedder, part_a + part_b)
    a, b = stepwise.snapshot(), whole.snapshot()
    text_of = lambda view, hits: {view.paragraphs([pid])[pid].text: score for pid, score in hits}
    for tokens in (["kherson", "withdraw"], ["grain", "deal", "suspend"], ["himar"], ["zaporizhzhia", "iaea", "inspector"]):
        ours = text_of(a, a.lexical_search(tokens, 1000))
        theirs = text_of(b, b.lexical_search(tokens, 1000))
        added = {p for d in part_b for p in d.paragraphs} & ours.keys()
        assert added
        for text in added:
            assert ours[text] == pytest.approx(theirs[text], rel=1e-3), (tokens, text[:60])


def test_a_one_article_add_writes_only_that_article(tmp_path, embedder, documents):
    part_a, part_b, _ = documents
    svc = with_base(tmp_path, "one", embedder, part_a)
    svc.add_documents(part_b[:1])
    view = svc.snapshot()
    own = read_manifest(view.folder)["delta"]
    assert own["documents"] == 1 and own["paragraphs"] == view.delta.size == len(part_b[0].paragraphs)
    assert view.delta.db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0] == len(part_b[0].paragraphs)


def test_a_wire_copy_in_a_delta_keeps_a_base_paragraph_alive(tmp_path, embedder, documents):
    part_a, _, _ = documents
    svc = with_base(tmp_path, "wire", embedder, part_a)
    original = part_a[2]
    copy = dataclasses.replace(original, id="wire-copy", title="Wire copy", outlet="Other Outlet", paragraphs=original.paragraphs[:1])
    svc.add_documents([copy])
    text = original.paragraphs[0]
    hit = next(p for p in svc.search(text, 3) if p.paragraph.text == text)
    assert {d.id for d in hit.paragraph.documents} == {original.id, "wire-copy"}
    assert svc.snapshot().delta.size == 0  # the copy added an occurrence, no paragraph
    svc.remove_documents([original.id])
    hit = next(p for p in svc.search(text, 3) if p.paragraph.text == text)
    assert [d.id for d in hit.paragraph.documents] == ["wire-copy"]
    svc.remove_documents(["wire-copy"])
    assert text not in [p.paragraph.text for p in svc.search(text, 5)]


def test_a_due_merge_folds_the_delta_into_a_new_base_with_the_same_answers(tmp_path, embedder, documents, monkeypatch):
    part_a, part_b, _ = documents
    svc = with_base(tmp_path, "merge", embedder, part_a)
    first_base = current_folder(svc.data_dir)
    svc.add_documents(part_b[:20])
    svc.remove_documents([part_a[1].id])
    before = svc.snapshot()
    answers = {q: top_texts(svc, q) for q in QUESTIONS}
    documents_before = {(d.id, d.title, d.date) for d in before.documents()}
    monkeypatch.setattr(delta, "MERGE_MIN", 10)
    monkeypatch.setattr(delta, "MERGE_SHARE", 0.0)
    assert svc.store.merge_due()
    svc.add_documents(part_b[20:21])  # the write that makes it due merges (at once, outside the bot)
    after = svc.snapshot()
    assert isinstance(after, Snapshot) and "delta" not in after.manifest and after.folder != first_base
    assert not svc.store.merge_due() and svc.merge() is None
    assert {(d.id, d.title, d.date) for d in after.documents()} == documents_before | {
        (d.id, d.title, d.date) for d in svc.snapshot().documents() if d.id == part_b[20].id}
    for question, texts in answers.items():
        assert top_texts(svc, question)[0] == texts[0], question


def test_old_bases_go_only_when_no_kept_version_needs_them(tmp_path, embedder, documents):
    part_a, part_b, _ = documents
    svc = with_base(tmp_path, "gc", embedder, part_a[:20])
    base = current_folder(svc.data_dir)
    for doc in part_b[:5]:
        svc.add_documents([doc])
    assert base.is_dir()  # every kept delta stands on it
    assert len(svc.snapshot().documents()) == 25
    svc.merge()
    for doc in part_b[5:8]:
        svc.add_documents([doc])
    assert not base.exists()  # superseded by the merged base, which the kept deltas stand on now


def test_a_delta_whose_base_is_gone_is_reported_not_served(tmp_path, embedder, documents):
    import shutil

    part_a, part_b, _ = documents
    svc = with_base(tmp_path, "lost", embedder, part_a[:10])
    base = current_folder(svc.data_dir)
    svc.add_documents(part_b[:1])
    shutil.rmtree(base)
    with pytest.raises(IndexDamaged) as raised:
        new_service(tmp_path, "lost", embedder).snapshot()
    assert base.name in str(raised.value)
    report = doctor.check_index(current_folder(svc.data_dir), embedder.name)
    assert any("missing" in problem for _, problem, _ in report.problems), report


def test_cli_index_merge_folds_the_deltas_or_says_there_is_nothing(run):
    assert run("sources", "add", str(WAR / "part-d.jsonl")).exit_code == 0
    assert "delta" in read_manifest(current_folder(run.data_dir))
    first = run("index", "merge", "-q")
    assert first.exit_code == 0 and "merged:" in first.output, first.output
    assert "delta" not in read_manifest(current_folder(run.data_dir))
    again = run("index", "merge", "-q")
    assert again.exit_code == 0 and "nothing to merge" in again.output


def test_a_delta_gives_the_dates_of_the_documents_its_rows_carry(pair):
    """What a search within dates filters its candidates by (ReadView.paragraph_dates) is what the rows say: base
    documents removed or replaced in a delta left out, wire copies added in it counted."""
    view = pair[0].snapshot()
    rows = view.paragraphs(range(1, 10_000))
    asked = list(rows) + sorted(view.removed_paragraphs)
    dates = view.paragraph_dates(asked)
    assert {pid: set(dates.get(pid, ())) for pid in rows} == {pid: {d.date for d in row.documents if d.date} for pid, row in rows.items()}
    assert view.removed_paragraphs and not any(dates.get(pid) for pid in view.removed_paragraphs)
