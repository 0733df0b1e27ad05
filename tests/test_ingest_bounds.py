"""Reading sources safely and bounded: no links followed out of a folder, no special files, no
unbounded reads, no recursion on deep folders, no giant paragraphs, no endless documents.

What could hang or eat the machine on a regression (a FIFO, /dev/zero) is loaded in a child
process with a memory limit and a timeout, so such a regression fails instead of hanging CI.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from index import ingest, reading
from index import text as textlib
from tests.helpers import ROOT, clean_env

PARAGRAPH = "Evacuation trains left Kharkiv on Friday morning with hundreds of families aboard."
CHILD_MEMORY_BYTES = 2 * 1024**3


def _article(title: str, body: str = PARAGRAPH) -> str:
    return f"{title}\n\n{body}\n"


def _reasons(report: ingest.LoadReport) -> dict[str, str]:
    return {Path(p.where).name: p.reason for p in report.skipped}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def _load_in_child(paths: list[Path], timeout: float = 30) -> dict:
    """``ingest.load(paths)`` in a child process that cannot hang this one or use much memory."""
    code = (
        "import json, sys\n"
        "from index import ingest\n"
        "r = ingest.load(sys.argv[1:])\n"
        "print(json.dumps({'skipped': {p.where: p.reason for p in r.skipped}, 'origins': [d.origin for d in r.documents]}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=clean_env(), preexec_fn=_limit_memory,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


# --- links, special files, deep folders ---------------------------------------------------


def test_a_link_to_a_file_outside_the_folder_is_not_followed(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = _article("Secret", "The launch codes are kept in the blue folder on the desk.")
    (outside / "secret.txt").write_text(secret, encoding="utf-8")
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(_article("Good"), encoding="utf-8")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    if Path("/etc/passwd").exists():
        (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "status.txt").symlink_to("/proc/self/status")

    report = ingest.load([folder])

    assert [Path(d.origin).name for d in report.documents] == ["good.txt"]
    assert not any("launch codes" in p or "root:" in p or "VmRSS" in p for d in report.documents for p in d.paragraphs)
    reasons = _reasons(report)
    assert reasons["secret.txt"] == "a symbolic link, not followed"
    assert reasons["status.txt"] == "a symbolic link, not followed"
    if Path("/etc/passwd").exists():
        assert reasons["passwd.txt"] == "a symbolic link, not followed"
    # `sources add` copies files with read_source_bytes: the same refusal.
    with pytest.raises(ingest.MalformedSource, match="a symbolic link, not followed"):
        ingest.read_source_bytes(folder / "secret.txt")


def test_a_linked_folder_is_not_walked(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text(_article("Private"), encoding="utf-8")
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(_article("Good"), encoding="utf-8")
    (folder / "more").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)

    report = ingest.load([folder])

    assert [Path(d.origin).name for d in report.documents] == ["good.txt"]
    assert _reasons(report) == {"more": "a symbolic link, not followed", "loop": "a symbolic link, not followed"}


def test_a_folder_given_directly_may_itself_be_a_link(tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "good.txt").write_text(_article("Good"), encoding="utf-8")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    report = ingest.load([tmp_path / "alias"])
    assert [Path(d.origin).name for d in report.documents] == ["good.txt"]
    assert not report.skipped


@pytest.mark.timeout(90)
def test_fifos_and_devices_are_refused_without_blocking(tmp_path: Path):
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text(_article("Good"), encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "direct-pipe.txt")
    (tmp_path / "direct-zero.txt").symlink_to("/dev/zero")
    (tmp_path / "direct-passwd.txt").symlink_to("/etc/passwd")

    result = _load_in_child([folder, tmp_path / "direct-pipe.txt", tmp_path / "direct-zero.txt", tmp_path / "direct-passwd.txt"])

    assert [Path(o).name for o in result["origins"]] == ["good.txt"]
    reasons = {Path(where).name: reason for where, reason in result["skipped"].items()}
    assert reasons == {
        "pipe.txt": "not a regular file",
        "zero.txt": "a symbolic link, not followed",
        "direct-pipe.txt": "not a regular file",
        # A file link is never followed, even when named directly: one rule for `sources add`.
        "direct-zero.txt": "a symbolic link, not followed",
        "direct-passwd.txt": "a symbolic link, not followed",
    }


@pytest.mark.timeout(10)
def test_read_source_bytes_refuses_a_fifo_at_once(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(ingest.MalformedSource, match="not a regular file"):
        ingest.read_source_bytes(tmp_path / "pipe.txt")


def _remove_nested(top: Path, depth: int) -> None:
    """Bottom-up removal: shutil.rmtree recurses, and would fail on 1,500 levels."""
    for level in range(depth, 0, -1):
        folder = top.joinpath(*["d"] * level)
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def _make_nested(top: Path, depth: int) -> Path:
    """Top-down creation: Path.mkdir(parents=True) recurses, and would fail on 1,500 levels."""
    folder = top
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir()
    return folder


def test_a_very_deep_folder_is_reported_not_a_crash(tmp_path: Path, request: pytest.FixtureRequest):
    deep = _make_nested(tmp_path, 1500)
    request.addfinalizer(lambda: _remove_nested(tmp_path, 1500))
    (deep / "bottom.txt").write_text(_article("Bottom"), encoding="utf-8")
    (tmp_path / "top.txt").write_text(_article("Top"), encoding="utf-8")

    report = ingest.load([tmp_path])

    assert [Path(d.origin).name for d in report.documents] == ["top.txt"]
    [problem] = report.skipped
    assert problem.reason == f"a folder nested more than {ingest.MAX_FOLDER_DEPTH} levels deep, not read"
    assert Path(problem.where) == tmp_path.joinpath(*["d"] * (ingest.MAX_FOLDER_DEPTH + 1))


def test_files_nested_within_the_depth_limit_are_read(tmp_path: Path):
    deep = tmp_path.joinpath(*["d"] * ingest.MAX_FOLDER_DEPTH)
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text(_article("Bottom"), encoding="utf-8")
    report = ingest.load([tmp_path])
    assert [d.title for d in report.documents] == ["Bottom"]
    assert not report.skipped


def test_folder_order_and_hidden_files_are_as_before(tmp_path: Path):
    for name in ["a/b.txt", "a-c.txt", "a.txt", "b/x/y.md", "b/.hidden.txt", ".top.txt", "B.txt", "a/z/q.jsonl", "c.pdf"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert list(ingest.iter_files([tmp_path])) == before


# --- the size limit on what is actually read ------------------------------------------------


def test_the_size_limit_is_on_bytes_read_not_on_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Files like those in /proc say they are empty; the limit must hold on what is read."""
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 1000)
    real_fstat = os.fstat

    def fstat_says_empty(fd: int) -> os.stat_result:
        st = list(real_fstat(fd))
        st[6] = 0  # st_size
        return os.stat_result(st)

    read = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(os, "fstat", fstat_says_empty)
    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(ingest.MalformedSource, match="over the 100-byte limit"):
        ingest.read_source_bytes(path)
    assert sum(read) <= 101


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=3, max_value=300), delta=st.integers(min_value=-2, max_value=2))
def test_a_file_is_read_if_and_only_if_it_fits_the_limit(limit: int, delta: int):
    size = limit + delta
    data = (b"Title line\n" + b"a" * size)[:size]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(reading, "MAX_FILE_BYTES", limit)
        path = Path(folder) / "file.txt"
        path.write_bytes(data)
        if size <= limit:
            assert ingest.read_source_bytes(path) == data
        else:
            with pytest.raises(ingest.MalformedSource, match=f"over the {limit}-byte limit"):
                ingest.read_source_bytes(path)
            report = ingest.load([folder])
            assert _reasons(report) == {"file.txt": f"over the {limit}-byte limit"}


def test_the_file_limit_message_is_in_mib(tmp_path: Path):
    (tmp_path / "huge.txt").write_bytes(b"a" * (ingest.MAX_FILE_BYTES + 1))
    assert _reasons(ingest.load([tmp_path])) == {"huge.txt": "over the 20 MiB limit"}


# --- long paragraphs are split, endless documents are cut -----------------------------------

SENTENCES = [
    "Evacuation trains left Kharkiv on Friday morning with hundreds of families aboard.",
    "Officials said the shelling had stopped overnight.",
    "Aid groups asked for more buses, blankets and drinking water for the people waiting at the station in the cold.",
    "Is the corridor safe?",
    "Nobody could say for certain!",
]


@pytest.mark.timeout(120)
def test_a_ten_megabyte_line_becomes_bounded_paragraphs(tmp_path: Path):
    sentences = [SENTENCES[i % len(SENTENCES)] for i in range(170_000)]
    sentences[5_000] = " ".join(["without a full stop"] * 400)  # 7,999 chars, one sentence
    run = "Q7" * 1_500  # 3,000 characters without a space (and nothing clean() would split)
    sentences[9_000] = run
    body = " ".join(sentences)
    assert len(body) > 10_000_000
    (tmp_path / "big.jsonl").write_text(json.dumps({"title": "Big", "text": body}) + "\n", encoding="utf-8")

    report = ingest.load([tmp_path], max_chars=2000, max_paragraphs=100_000)

    [doc] = report.documents
    assert max(len(p) for p in doc.paragraphs) <= 2000
    assert len(doc.paragraphs) >= len(body) // 2000
    # Split at sentence ends: only the pieces of the two odd sentences end elsewhere.
    not_at_sentence_end = [p for p in doc.paragraphs if not re.search(r"[.!?]$", p)]
    assert len(not_at_sentence_end) <= 6, not_at_sentence_end[:3]
    in_run = [p for p in doc.paragraphs if "Q7Q7" in p]  # cut hard at 2,000
    assert in_run[0] == run[:2000] and in_run[1].startswith(run[2000:] + " ") and len(in_run) == 2
    # Nothing lost but spaces.
    assert "".join("".join(p.split()) for p in doc.paragraphs) == "".join(body.split())
    assert report.paragraphs_split == 1
    assert not report.warnings


def test_forty_thousand_paragraphs_are_capped_with_a_warning(tmp_path: Path):
    paragraphs = [f"Report number {i} from the eastern front says the line held." for i in range(40_000)]
    (tmp_path / "long.txt").write_text("Long\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")

    report = ingest.load([tmp_path])  # the default cap, 3,000

    [doc] = report.documents
    assert doc.paragraphs == paragraphs[:3000]
    [warning] = report.warnings
    assert warning.reason == "kept the first 3000 paragraphs of 40000"
    assert "long.txt" in warning.where
    assert report.paragraphs_cut == 37_000


def test_finish_takes_the_caps_as_arguments():
    doc = ingest.Document(id="x", title="T", paragraphs=[PARAGRAPH + f" Number {i}." for i in range(10)], origin="here")
    report = ingest.LoadReport()
    ingest.finish(doc, report, 25, max_chars=200, max_paragraphs=4)
    assert len(doc.paragraphs) == 4
    assert report.warnings[0].reason == "kept the first 4 paragraphs of 10"
    long_doc = ingest.Document(id="y", title="T", paragraphs=[" ".join([PARAGRAPH] * 10)], origin="here")
    ingest.finish(long_doc, report, 25, max_chars=200)
    assert long_doc.paragraphs == [PARAGRAPH + " " + PARAGRAPH] * 5


def test_a_paragraph_long_only_in_spaces_is_checked_as_one():
    doc = ingest.Document(id="x", title="T", paragraphs=["Too" + " " * 200_000 + "short."], origin="here")
    report = ingest.LoadReport()
    ingest.finish(doc, report, 25)
    assert doc.paragraphs == []
    assert report.short_dropped == 1


NEWS_ALPHABET = st.sampled_from(
    list("abcdefgh ABCDEFGH 0123 .,!?;:'\"()-\n\n   ")
    + ["é", "e\u0301", "…", "“", "”", "’", "\u200b", "Mr.", "U.S.", "Sept.", "\t"]
)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.lists(NEWS_ALPHABET, max_size=600).map("".join),
    max_chars=st.integers(min_value=1, max_value=120),
    chunk=st.integers(min_value=1, max_value=200),
)
def test_finish_bounds_paragraphs_and_loses_no_text(raw: str, max_chars: int, chunk: int):
    cleaned = textlib.clean(raw)
    title = "Zz Title"
    assume(textlib.dedup_key(cleaned) != textlib.dedup_key(title) and not textlib.is_boilerplate(cleaned))
    doc = ingest.Document(id="x", title=title, paragraphs=[raw], origin="here")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "CLEAN_CHUNK_CHARS", chunk)  # also cut the raw text before cleaning
        ingest.finish(doc, ingest.LoadReport(), 1, max_chars=max_chars, max_paragraphs=10**6)
    assert all(0 < len(p) <= max_chars for p in doc.paragraphs)
    assert all(p == p.strip() for p in doc.paragraphs)
    assert "".join("".join(p.split()) for p in doc.paragraphs) == "".join(cleaned.split())


_OLD_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*\s+")


def _reference_sentence_spans(text: str) -> list[tuple[int, int]]:
    """text.sentence_spans as it was before it was made linear: the slow, obvious version."""
    spans, start = [], 0

    def keep(a: int, b: int) -> None:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if a < b:
            spans.append((a, b))

    for match in _OLD_SENTENCE_END.finditer(text):
        end = match.end()
        nxt = text[end : end + 1]
        abbreviation = textlib._ABBREV.search(text[start : match.start() + 1])
        if abbreviation or (nxt and not (nxt.isupper() or nxt.isdigit() or nxt in "\"“'‘(")):
            continue
        keep(start, end)
        start = end
    keep(start, len(text))
    return spans


ABBREVIATIONS = st.sampled_from(["Dr. ", "e.g. ", "No. 5", "xMr. A", "vs. B", ". A", "! ("])


@settings(max_examples=300, deadline=None)
@given(st.lists(NEWS_ALPHABET | ABBREVIATIONS, max_size=200).map("".join))
def test_sentence_spans_are_unchanged_by_the_linear_version(raw: str):
    for candidate in (raw, textlib.clean(raw)):
        assert textlib.sentence_spans(candidate) == _reference_sentence_spans(candidate)


@pytest.mark.timeout(60)
def test_sentence_spans_are_linear_on_many_unsplit_stops():
    text = "word. " * 400_000  # 2.4 MB of full stops that end no sentence: quadratic before
    assert textlib.sentence_spans(text) == [(0, len(text) - 1)]
    stops = "Stop" + "." * 2_000_000 + " Next one."  # one run of stops: scanned once, not once per stop
    assert textlib.split_sentences(stops) == [stops[:-10], "Next one."]


def test_a_very_long_lowercase_word_is_neither_split_nor_cached():
    """Glue repair is for words of prose: a 60,000-letter 'word' would take seconds per
    character run and stay in the split cache for the life of the process."""
    from index import text

    word = "kyivkharkivodesa" * 3750
    cached = text._split_glued.cache_info().currsize
    assert text.clean(word) == word
    assert text.lexical_tokens(word)
    assert text._split_glued.cache_info().currsize == cached
