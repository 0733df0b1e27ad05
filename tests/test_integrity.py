"""Damaged index files and a broken ``current`` link give one line naming the file and the fix;
``doctor`` finds them and ``index rollback`` recovers (issue 12, items 13 and 14)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.state import BotState
from index import integrity, store
from index.ann import VectorIndex
from index.errors import CrisisError, IndexDamaged
from index.ingest import Document
from index.service import CrisisService

from .helpers import make_settings

BLINKEN = "Who did Blinken write to proposing a meeting?"
LEXICAL = [f"lexical/{name}" for name in (
    "params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy",
)]
INDEX_FILES = ["vectors.faiss", "corpus.sqlite", "lexical_ids.npy", *LEXICAL]
READERS = [("ask", BLINKEN), ("stats",), ("sources", "list")]
FIXES = ("crisisbot index rollback", "crisisbot index build")



def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    """The first 16 bytes overwritten: the size is unchanged, the header unreadable."""
    data = bytearray(path.read_bytes())
    data[:16] = b"\xff" * 16
    path.write_bytes(bytes(data))


def flip(path: Path) -> None:
    """One byte in the middle inverted: most readers would not notice."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def make_legacy(folder: Path) -> None:
    """A manifest as written before checksums were."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("files", None)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def overwrite_vectors(folder: Path, value: float) -> None:
    """Every stored vector set to ``value``, the file's size unchanged."""
    path = folder / "vectors.faiss"
    index = VectorIndex.load(path)
    stored = index.vectors(index.ids()).tobytes()
    raw = path.read_bytes()
    start = raw.find(stored)
    assert start > 0
    filler = np.full(len(stored) // 4, value, np.float32).tobytes()
    path.write_bytes(raw[:start] + filler + raw[start + len(stored):])


def assert_one_line_error(result, *expected: str) -> str:
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert not result.stdout.strip(), "the error belongs on stderr"
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


# --- damaged files ---------------------------------------------------------------------------


CASES = [(name, damage, False) for name in [*INDEX_FILES, "manifest.json"] for damage in (truncate, garble, flip)]
CASES += [(name, damage, True) for name in INDEX_FILES for damage in (truncate, garble)]


@pytest.mark.parametrize(
    "name, damage, legacy", CASES,
    ids=[f"{n}-{d.__name__}{'-legacy' if legacy else ''}" for n, d, legacy in CASES],
)
def test_a_damaged_file_is_one_line_naming_it_and_the_fix(run, name, damage, legacy):
    if legacy:
        make_legacy(run.folder)
    damage(run.folder / name)
    # Without checksums a bm25s file is known only as part of the lexical index.
    named = "lexical" if legacy and name.startswith("lexical/") else name
    for args in READERS:
        line = assert_one_line_error(run(*args), named)
        assert any(fix in line for fix in FIXES), line
    doctor = run("doctor")
    assert doctor.exit_code == 1 and named in doctor.output, doctor.output


@pytest.mark.parametrize("legacy", [False, True], ids=["checksummed", "legacy"])
@pytest.mark.parametrize("value", [0.0, np.nan], ids=["zeroed", "nan"])
def test_zeroed_or_nan_vectors_of_the_same_size_are_refused(run, value, legacy):
    if legacy:
        make_legacy(run.folder)
    overwrite_vectors(run.folder, value)
    assert_one_line_error(run("ask", BLINKEN), "vectors.faiss")
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "vectors.faiss" in doctor.output


def loop(data_dir: Path) -> None:
    (data_dir / "current").unlink()
    os.symlink("current", data_dir / "current")


def dangle(data_dir: Path) -> None:
    (data_dir / "current").unlink()
    os.symlink("indexes/gone", data_dir / "current")


def directory(data_dir: Path) -> None:
    """An index copied into place (``cp -rL``) instead of linked: no write could ever swap it."""
    folder = (data_dir / "current").resolve()
    (data_dir / "current").unlink()
    shutil.copytree(folder, data_dir / "current")


@pytest.mark.parametrize("breakage", [loop, dangle, directory], ids=lambda f: f.__name__)
def test_a_broken_current_link_is_one_line(run, breakage):
    breakage(run.data_dir)
    for args in READERS:
        assert_one_line_error(run(*args), str(run.data_dir / "current"))
    doctor = run("doctor")
    assert doctor.exit_code == 1 and "current" in doctor.output


def test_the_core_raises_index_damaged_with_the_path(service: CrisisService):
    folder = store.current_folder(service.data_dir)
    truncate(folder / "lexical_ids.npy")
    with pytest.raises(IndexDamaged, match="lexical_ids.npy") as caught:
        service.ask(BLINKEN)
    assert caught.value.path == str(folder / "lexical_ids.npy")


def test_a_write_never_copies_a_damaged_index_into_a_new_one(service: CrisisService):
    """An add copies the current index's files: unchecked, a damaged file would be published with fresh checksums."""
    folder = store.current_folder(service.data_dir)
    flip(folder / "vectors.faiss")
    from index.ingest import Document

    with pytest.raises(IndexDamaged, match="vectors.faiss"):
        service.add_documents([Document(id="kharkiv", title="Kharkiv", origin="test", paragraphs=["Shelling hit Kharkiv overnight, officials said."])])
    assert store.current_folder(service.data_dir) == folder


# --- checksums at commit ----------------------------------------------------------------------


def test_the_manifest_holds_a_checksum_of_every_final_file(built_data_dir: Path):
    folder = store.current_folder(built_data_dir)
    files = json.loads((folder / "manifest.json").read_text())["files"]
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(files) == on_disk == set(INDEX_FILES)
    for name, entry in files.items():
        data = (folder / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name


def test_commit_refuses_non_finite_vectors(service: CrisisService, monkeypatch):
    before = store.current_folder(service.data_dir)
    real = type(service.embedder).encode_with_sentences

    def poisoned(self, texts, *args, **kwargs):
        vectors, sentences = real(self, texts, *args, **kwargs)
        vectors[0, 3] = np.nan
        return vectors, sentences

    monkeypatch.setattr(type(service.embedder), "encode_with_sentences", poisoned)
    from index.ingest import Document

    with pytest.raises(CrisisError, match="not finite"):
        service.add_documents([Document(id="nan", title="NaN", origin="test", paragraphs=["Shelling hit Kharkiv overnight, officials said."])])
    assert store.current_folder(service.data_dir) == before
    assert not [p for p in (service.data_dir / "indexes").iterdir() if p.name.endswith(".building")]


# --- rollback ---------------------------------------------------------------------------------


def add_a_second_index(data_dir: Path, embedder, tmp_path: Path) -> tuple[Path, Path]:
    older = store.current_folder(data_dir)
    article = tmp_path / "lviv.txt"
    article.write_text("Missiles hit a fuel depot in Lviv\n\nAir raid sirens sounded over Lviv in the early hours of the morning.\n", encoding="utf-8")
    CrisisService(make_settings(data_dir), embedder=embedder).add_paths([article])
    newer = store.current_folder(data_dir)
    assert newer != older
    return older, newer


@pytest.mark.parametrize("breakage", ["damaged-newest", "dangling-link"])
def test_rollback_serves_the_newest_index_that_verifies(run, embedder, tmp_path, breakage):
    older, newer = add_a_second_index(run.data_dir, embedder, tmp_path)
    if breakage == "damaged-newest":
        garble(newer / "vectors.faiss")
        expected = older
    else:
        dangle(run.data_dir)
        expected = newer
    assert run("ask", BLINKEN).exit_code == 1
    result = run("index", "rollback")
    assert result.exit_code == 0, result.output
    assert expected.name in result.output
    assert store.current_folder(run.data_dir) == expected
    answer = run("ask", "--json", BLINKEN)
    assert answer.exit_code == 0 and "Lavrov" in json.loads(answer.stdout)["citations"][0]["text"]
    state = BotState(run.data_dir / "state.sqlite")
    entry = state.recent_audit(1)[0]
    state.close()
    assert entry.action == "index rollback" and expected.name in entry.result and entry.actor.startswith("cli:")
    if breakage == "damaged-newest":  # nothing older than the served index is left
        again = run("index", "rollback")
        assert_one_line_error(again, "no older index")
        assert store.current_folder(run.data_dir) == older


def test_rollback_refuses_when_no_older_index_verifies(run):
    garble(run.folder / "corpus.sqlite")
    line = assert_one_line_error(run("index", "rollback"), "no older index")
    assert "crisisbot index build" in line
    assert store.current_folder(run.data_dir) == run.folder


def test_rollback_waits_for_a_running_write(run, embedder, tmp_path):
    add_a_second_index(run.data_dir, embedder, tmp_path)
    with store.write_lock(run.data_dir):
        assert_one_line_error(run("index", "rollback"), "another index write")


# --- doctor -----------------------------------------------------------------------------------


def test_doctor_on_a_healthy_data_dir(run):
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert run.folder.name in result.output and "49 paragraphs" in result.output
    report = json.loads(run("doctor", "--json").stdout)
    assert report["healthy"] is True
    assert {f["level"] for f in report["findings"]} <= {"ok", "warning"}


def test_doctor_reports_legacy_leftovers_permissions_and_older_indexes(run, embedder, tmp_path):
    older, newer = add_a_second_index(run.data_dir, embedder, tmp_path)
    make_legacy(newer)
    flip(older / "corpus.sqlite")
    (run.data_dir / "indexes" / "20260101T000000-000000.building").mkdir()
    os.chmod(run.data_dir, 0o755)
    result = run("doctor", "--json")
    report = json.loads(result.stdout)
    by_level = {}
    for finding in report["findings"]:
        by_level.setdefault(finding["level"], []).append(f"{finding['subject']}: {finding['message']} {finding['fix']}")
    warnings = "\n".join(by_level.pop("warning", []))
    assert "checksums" in warnings  # the legacy manifest
    assert ".building" in warnings
    assert "chmod" in warnings
    assert older.name in warnings and "corpus.sqlite" in warnings  # cannot be rolled back to
    # The index being served is sound: warnings, but nothing that stops serving.
    assert set(by_level) == {"ok"} and result.exit_code == 0 and report["healthy"] is True


def test_doctor_names_an_unreadable_state_database(run):
    BotState(run.data_dir / "state.sqlite").close()
    garble(run.data_dir / "state.sqlite")
    result = run("doctor")
    assert result.exit_code == 1 and "state.sqlite" in result.output


def test_doctor_names_an_unreadable_feeds_database(run):
    from index.subscriptions import SubscriptionStore

    SubscriptionStore(run.data_dir / "feeds.sqlite").close()
    assert "feeds.sqlite" in run("doctor").output  # sound: listed as ok
    garble(run.data_dir / "feeds.sqlite")
    result = run("doctor")
    assert result.exit_code == 1 and "feeds.sqlite" in result.output and "crisisbot feeds add" in result.output


# --- the CLI's edge ---------------------------------------------------------------------------


def test_ask_file_that_is_not_utf8_is_one_line(run, tmp_path):
    questions = tmp_path / "latin1.txt"
    questions.write_bytes("Qu'a dit Lavrov à Blinken ?\n".encode("latin-1"))
    result = run("ask", "--file", str(questions))
    assert result.exit_code == 2
    assert_one_line_error(result, "latin1.txt", "UTF-8")


def test_a_store_does_not_hash_again_the_index_it_just_wrote_but_any_other_process_does(service, embedder, monkeypatch):
    """The bot's first question after a moderator's add would wait for every file to be hashed a second time."""
    service.add_documents([Document(id="extra", title="Lviv depot", origin="test",
                                    paragraphs=["Two missiles struck a fuel depot on the edge of Lviv, the governor said."])])
    hashed = []
    real = integrity.file_digest
    monkeypatch.setattr(integrity, "file_digest", lambda path, *a, **k: hashed.append(path) or real(path, *a, **k))
    assert "extra" in {d.id for d in service.snapshot().documents()}
    assert hashed == []
    other = CrisisService(make_settings(service.data_dir), embedder=embedder)
    other.snapshot()
    assert hashed, "a process that did not write the index verifies it"
