"""``crisisbot import``: archives of every format, bad records reported and skipped, no file size
limit on the operator's path (uploads keep theirs), resumed after an interruption, never duplicated."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.archive import Archive, CsvColumns, Position, bounded_lines
from index.errors import NothingToIndex
from index.importing import ImportOptions
from index.reading import MAX_FILE_BYTES
from index.service import CrisisService, document_id

from .helpers import make_settings
from .webpages import PAGES

WAR = Path(__file__).parent / "eval" / "war" / "corpus"


def war_records(n: int) -> list[dict]:
    """Real-shaped war reports (tests/eval/war/corpus), the first ``n``."""
    lines = (WAR / "part-a.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    assert len(lines) == n
    return [json.loads(line) for line in lines]


def write_jsonl(path: Path, records: list, bad: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    for at, text in sorted((bad or {}).items()):
        lines.insert(at, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def archive_documents(service: CrisisService, origin: Path) -> dict[str, object]:
    return {d.id: d for d in service.documents() if Path(d.origin) == origin or Path(d.origin).is_relative_to(origin)}


# --- the formats, through the command line ------------------------------------------------------


def test_jsonl_imports_and_a_malformed_line_is_reported_and_skipped(run, tmp_path):
    records = war_records(3)
    archive = write_jsonl(tmp_path / "news.jsonl", records, bad={1: '{"title": "cut off', 3: '{"title": "no text here"}'})
    result = run("import", str(archive), "--quiet")
    assert result.exit_code == 0, result.output
    assert "3 documents read: 3 added, 0 replaced, 2 skipped (1 invalid JSON; 1 missing \"text\")" in result.stdout
    assert "news.jsonl:2: invalid JSON" in result.stderr and "news.jsonl:4: missing \"text\"" in result.stderr
    service = CrisisService(make_settings(run.data_dir))
    found = archive_documents(service, archive)
    assert set(found) == {document_id("news.jsonl", r["id"]) for r in records}
    row = found[document_id("news.jsonl", records[0]["id"])]
    assert (row.title, row.date, row.outlet, row.url) == (records[0]["title"], records[0]["date"], records[0]["outlet"], records[0]["url"])
    assert row.paragraphs == len(records[0]["paragraphs"])
    from bot.state import BotState

    state = BotState(run.data_dir / "state.sqlite")
    audited = state.recent_audit(1)[0]
    state.close()
    assert (audited.action, audited.ok, audited.target) == ("import", True, str(archive))
    assert audited.result.startswith("3 documents read: 3 added")
    checkpoint = next((run.data_dir / "imports").iterdir())
    assert checkpoint.stat().st_mode & 0o777 == 0o600 and (run.data_dir / "imports").stat().st_mode & 0o777 == 0o700


def test_csv_columns_are_mapped_by_flags_and_long_fields_with_newlines_are_read(run, tmp_path):
    records = war_records(3)
    archive = tmp_path / "export.csv"
    with open(archive, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["headline", "published", "link", "body", "source", "section"])
        for r in records:  # a body of paragraphs separated by blank lines, quoted by the writer
            writer.writerow([r["title"], r["date"], r["url"], "\n\n".join(r["paragraphs"]) + "\n\n" + "x" * 200_000, r["outlet"], "war"])
    flags = ["--title-col", "headline", "--date-col", "published", "--url-col", "link", "--text-col", "body", "--outlet-col", "source"]
    result = run("import", str(archive), *flags, "--quiet")
    assert result.exit_code == 0, result.output
    assert "3 documents read: 3 added" in result.stdout
    found = archive_documents(CrisisService(make_settings(run.data_dir)), archive)
    by_title = {row.title: row for row in found.values()}
    for r in records:  # no id column: the URL is the record's id
        row = by_title[r["title"]]
        assert (row.id, row.date, row.url, row.outlet) == (document_id("export.csv", r["url"]), r["date"], r["url"], r["outlet"])
        assert row.paragraphs >= len(r["paragraphs"])

    # Without the mapping the text column is missing: one line, exit 2, nothing imported.
    again = run("import", str(archive), "--restart", "--quiet")
    assert again.exit_code == 2 and "no column 'text'" in again.stderr and "--text-col" in again.stderr
    assert "Traceback" not in again.output


def test_a_folder_of_html_files_is_walked_in_order(run, tmp_path):
    folder = tmp_path / "pages"
    (folder / "2022").mkdir(parents=True)
    shutil.copy(PAGES / "eu-sanctions.html", folder / "a.html")
    shutil.copy(PAGES / "zaporizhzhia-inspectors.html", folder / "2022" / "b.htm")
    (folder / "notes.txt").write_text("not a page", encoding="utf-8")
    (folder / "empty.html").write_text("<html><body></body></html>", encoding="utf-8")
    result = run("import", str(folder), "--quiet")
    assert result.exit_code == 0, result.output
    assert "3 documents read" not in result.stdout and "2 added" in result.stdout and "1 skipped" in result.stdout
    assert "pages/empty.html: no article text" in result.stderr
    found = archive_documents(CrisisService(make_settings(run.data_dir)), folder)
    assert set(found) == {document_id("pages", "a.html"), document_id("pages", "2022/b.htm")}


def test_bad_input_is_one_line_and_an_exit_code(run, tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    for args, words in (([str(tmp_path / "missing.jsonl")], "no such file"), ([str(tmp_path / "notes.txt")], "not an archive"),
                        ([str(tmp_path / "notes.txt"), "--format", "xml"], "unknown archive format"),
                        ([str(tmp_path), "--batch-size", "0"], "batch size")):
        result = run("import", *args)
        assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.output, args


# --- no file size limit on the operator's import; uploads keep theirs -----------------------------


def test_an_archive_over_20_mib_imports_from_the_cli_while_an_upload_of_it_is_refused(run, tmp_path):
    record = war_records(1)[0]
    line = json.dumps(record)[:-1] + " " * (MAX_FILE_BYTES + 1024) + "}"  # valid JSON, padded past the limit
    archive = tmp_path / "big.jsonl"
    archive.write_text(line + "\n" + json.dumps({**record, "id": "second"}) + "\n", encoding="utf-8")
    assert archive.stat().st_size > MAX_FILE_BYTES
    result = run("import", str(archive), "--quiet")
    assert result.exit_code == 0, result.output
    assert "2 documents read: 2 added" in result.stdout
    service = CrisisService(make_settings(run.data_dir))
    assert len(archive_documents(service, archive)) == 2
    # What moderators upload (Discord, `sources add`) is still read whole, and refused over the limit.
    with pytest.raises(NothingToIndex, match="over the 20 MiB limit"):
        service.add_paths([archive])


# --- resuming, and never a duplicate ---------------------------------------------------------------


class Interrupted(Exception):
    pass


def fail_after(service: CrisisService, writes: int) -> None:
    """The service's ``writes``+1-th write raises (the batches before it are published)."""
    original, count = service.add_documents, [0]

    def add_documents(documents, **kwargs):
        count[0] += 1
        if count[0] > writes:
            raise Interrupted
        return original(documents, **kwargs)

    service.add_documents = add_documents


def paragraph_texts(service: CrisisService) -> list[str]:
    view = service.snapshot()
    return sorted(p.text for p in view.paragraphs(range(1, 20_000)).values())  # every id these small indexes give


def test_an_interrupted_import_continues_where_it_stopped_and_equals_an_uninterrupted_one(tmp_path, built_data_dir, embedder):
    archive = write_jsonl(tmp_path / "reports.jsonl", war_records(12), bad={5: "oops"})
    options = ImportOptions(batch_size=3)

    def fresh(name: str) -> CrisisService:
        shutil.copytree(built_data_dir, tmp_path / name, symlinks=True)
        return CrisisService(make_settings(tmp_path / name), embedder=embedder)

    clean = fresh("clean")
    whole = clean.import_archives([archive], options)
    assert (whole.read, whole.added, whole.batches, sum(whole.skipped.values())) == (12, 12, 4, 1)

    service = fresh("interrupted")
    fail_after(service, 2)
    with pytest.raises(Interrupted):
        service.import_archives([archive], options)
    assert len(archive_documents(service, archive)) == 6  # two batches published, the third never was
    del service.add_documents
    resumed = service.import_archives([archive], options)
    assert resumed.notes == ["reports.jsonl: continuing after record 7 (of an earlier run)"]  # 6 records and the bad line
    assert (resumed.read, resumed.added, resumed.replaced) == (6, 6, 0)
    assert set(archive_documents(service, archive)) == set(archive_documents(clean, archive))
    assert paragraph_texts(service) == paragraph_texts(clean)

    # Done: running it again reads nothing; --restart reads it all again and replaces, never duplicates.
    again = service.import_archives([archive], options)
    assert again.read == 0 and again.notes == ["reports.jsonl: already imported; --restart imports it again"]
    restarted = service.import_archives([archive], ImportOptions(batch_size=3, restart=True))
    assert (restarted.read, restarted.added, restarted.replaced) == (12, 0, 12)  # each replaced by itself
    assert paragraph_texts(service) == paragraph_texts(clean)
    assert service.snapshot().manifest["documents"] == clean.snapshot().manifest["documents"]


def test_a_changed_archive_or_a_rebuilt_index_starts_over(service, tmp_path):
    records = war_records(4)
    archive = write_jsonl(tmp_path / "feed.jsonl", records[:3])
    service.import_archives([archive])
    write_jsonl(archive, records)  # one more record: another size
    changed = service.import_archives([archive])
    assert changed.notes == ["feed.jsonl: changed since the last import; reading it from the start"]
    assert (changed.read, changed.added, changed.replaced) == (4, 1, 3)
    service.build()  # the bundled corpus only: the imported documents are gone
    assert archive_documents(service, archive) == {}
    rebuilt = service.import_archives([archive])
    assert "no longer holds" in rebuilt.notes[0] and rebuilt.added == 4


def test_progress_is_bytes_read_of_the_archive_size(service, tmp_path):
    archive = write_jsonl(tmp_path / "p.jsonl", war_records(5))
    seen: list[tuple[str, int, int]] = []
    service.import_archives([archive], ImportOptions(batch_size=2), progress=lambda *report: seen.append(report))
    size = archive.stat().st_size
    assert {name for name, _, _ in seen} == {"p.jsonl"} and {total for _, _, total in seen} == {size}
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == size and 0 < done[0] < size


def test_a_record_repeated_within_the_archive_is_kept_once(service, tmp_path):
    first, second = war_records(2)
    archive = write_jsonl(tmp_path / "twice.jsonl", [first, second, {**first, "title": "Corrected headline"}])
    result = service.import_archives([archive], ImportOptions(batch_size=2))  # the repeat lands in a later batch
    assert (result.read, result.added, result.replaced) == (3, 2, 1)
    titles = {row.title for row in archive_documents(service, archive).values()}
    assert titles == {second["title"], "Corrected headline"}


# --- boundaries, as properties ------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.binary(max_size=24).map(lambda b: b.replace(b"\n", b"")), max_size=12), last_newline=st.booleans(),
       limit=st.integers(1, 16))
def test_bounded_lines_hold_no_line_over_the_limit_and_resume_at_any_offset(lines, last_newline, limit):
    data = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    raw = re.findall(rb"[^\n]*\n|[^\n]+$", data)  # each line as it is in the file, its newline included
    read = list(bounded_lines(io.BytesIO(data), limit))
    assert [got for got, _ in read] == [None if len(x.rstrip(b"\n")) > limit else x for x in raw]
    assert [offset for _, offset in read] == list(itertools.accumulate(map(len, raw)))
    for i, (_, offset) in enumerate(read):  # starting from any position gives exactly the lines after it
        handle = io.BytesIO(data)
        handle.seek(offset)
        assert list(bounded_lines(handle, limit)) == read[i + 1 :]


FIELD = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.lists(FIELD, min_size=1, max_size=8))
def test_csv_rows_survive_any_field_content_and_resume_at_every_position(notes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "note"])
            for n, note in enumerate(notes):
                writer.writerow([f"Report number {n} on the shelling of the city overnight.", note])
        archive = Archive.open(path, columns=CsvColumns())
        entries = list(archive.entries())
        assert [e.problem for e in entries] == [None] * len(notes)
        assert [e.document.meta.get("note", "") for e in entries] == notes  # quotes, commas, newlines: as written
        assert entries[-1].position.offset == path.stat().st_size
        for i, entry in enumerate(entries):
            rest = list(archive.entries(entry.position))
            assert [e.document.meta["id_in_source"] for e in rest] == [e.document.meta["id_in_source"] for e in entries[i + 1 :]]
            assert [e.position for e in rest] == [e.position for e in entries[i + 1 :]]
        assert list(archive.entries(Position(0, 0, 0)))[0].document.meta["id_in_source"] == "line 2"
