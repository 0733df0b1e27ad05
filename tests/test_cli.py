"""The crisisbot command line, in-process (shared model) and as a real subprocess."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_env

ROOT = Path(__file__).resolve().parent.parent
CITATION_KEYS = {"n", "title", "url", "date", "source", "text", "score"}



def check_schema(obj: dict) -> None:
    assert set(obj) == {"question", "answer", "abstained", "citations", "language", "note", "since", "until", "took_ms"}
    assert isinstance(obj["answer"], str) and isinstance(obj["abstained"], bool)
    assert obj["language"] in ("en", "uk", "ru") and isinstance(obj["note"], str)
    assert all(obj[key] is None or len(obj[key]) == 10 for key in ("since", "until"))  # ISO dates
    assert isinstance(obj["took_ms"], float | int) and obj["took_ms"] >= 0
    for c in obj["citations"]:
        assert CITATION_KEYS <= set(c)


def test_ask_json_schema_and_blinken_citation(run):
    result = run("ask", "--json", "Who did Blinken write to proposing a meeting?")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    check_schema(obj)
    assert not obj["abstained"]
    assert "Lavrov" in obj["citations"][0]["text"]
    assert [c["n"] for c in obj["citations"]] == list(range(1, len(obj["citations"]) + 1))


def test_ask_json_says_what_a_time_in_the_question_searched(run):
    result = run("ask", "--json", "What did Blinken propose in February 2022?")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    check_schema(obj)
    assert (obj["since"], obj["until"], obj["note"]) == ("2022-02-01", "2022-03-02", "Searching 1–28 Feb 2022.")
    assert not obj["abstained"] and obj["answer"].startswith("10 Feb 2022 — ")


def test_ask_file_gives_one_json_line_per_question(run, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("What did Boris Johnson accuse Russia of?\n\nHow do I bake sourdough bread?\n", encoding="utf-8")
    result = run("ask", "--file", str(questions), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [obj["abstained"] for obj in lines] == [False, True]
    for obj in lines:
        check_schema(obj)


def test_ask_human_output_lists_sources(run):
    result = run("ask", "-k", "3", "What is Minsk II?")
    assert result.exit_code == 0, result.output
    assert "[1] The latest on the Ukraine Russia border crisis (CNN, 2022-02-10)" in result.stdout
    assert "https://edition.cnn.com/" in result.stdout


def test_errors_are_one_line_and_non_zero(run, tmp_path):
    empty = run("ask", "   ")
    assert empty.exit_code == 2 and "the question is empty" in empty.output
    both = run("ask")
    assert both.exit_code == 2 and "QUESTION or --file" in both.output
    missing = run("ask", "--file", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1 and "nope.txt" in missing.output
    bad_date = run("ask", "--since", "yesterday", "anything")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    for result in (empty, missing, bad_date):
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_sources_list_stats_add_remove(run, tmp_path):
    listed = json.loads(run("sources", "list", "--json").stdout)
    assert [d["outlet"] for d in listed] == ["CNN"]
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["paragraphs"] == 49 and stats["outlets"] == ["CNN"]
    assert stats["backend"] == "auto" and stats["runtime"] == "onnx"
    assert re.search(r"^runtime +onnx$", run("stats").stdout, re.M)

    article = tmp_path / "geneva.md"
    article.write_text("---\ntitle: Geneva talks end\ndate: 2022-01-10\nurl: https://www.reuters.com/geneva\n---\n\nThe Geneva talks ended without a breakthrough on security guarantees, the delegations said.\n", encoding="utf-8")
    added = run("sources", "add", str(article))
    assert added.exit_code == 0, added.output
    assert "1 new paragraphs" in added.stdout
    kept = run.data_dir / "sources" / "geneva.md"
    assert kept.exists()  # so a full rebuild still includes it
    ids = {d["title"]: d["id"] for d in json.loads(run("sources", "list", "--json").stdout)}
    removed = run("sources", "remove", ids["Geneva talks end"])
    assert removed.exit_code == 0 and "removed 1 sources" in removed.stdout
    assert not kept.exists()
    unknown = run("sources", "remove", "nope")
    assert unknown.exit_code == 1 and "no source with id nope" in unknown.output


def test_index_build_reports_skipped_files(run, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next((ROOT / "index" / "corpus").glob("*.txt")), corpus)
    (corpus / "broken.txt").write_text("Title\n2022-99\nhttps://example.org\ntext\n", encoding="utf-8")
    result = run("index", "build", "--source", str(corpus), "--quiet")
    assert result.exit_code == 0, result.output
    assert "broken.txt" in result.output and "skipped" in result.output
    assert "49 paragraphs indexed" in result.stdout


def test_run_without_token_answers_the_sample_question(run):
    result = run("run", "--question", "What did Boris Johnson accuse Russia of?")
    assert result.exit_code == 0, result.output
    assert "DISCORD_TOKEN is not set" in result.stdout
    assert "[1]" in result.stdout


@pytest.mark.timeout(180)
def test_real_process_json_and_clean_failure(tmp_path, built_data_dir):
    """The installed console script, as an operator runs it."""
    exe = shutil.which("crisisbot", path=str(Path(sys.executable).parent))
    assert exe, "crisisbot console script not installed"
    env = clean_env()
    env["CRISISBOT_DATA_DIR"] = str(tmp_path / "none")
    failed = subprocess.run([exe, "ask", "hello"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"error: no index in {tmp_path / 'none'} yet; build one with `crisisbot index build`"
    env["CRISISBOT_DATA_DIR"] = str(built_data_dir)
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "Who did Blinken write to proposing a meeting?"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    check_schema(json.loads(ok.stdout))
