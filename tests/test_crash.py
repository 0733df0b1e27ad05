"""SIGKILL at random points of a build, an add, a remove and a merge: the index always loads and answers,
and holds either the state before the operation or the state after it.  The start state is a delta over
the bundled base (index/store/delta.py), so adds and removes write deltas and the merge folds one."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import store
from index.service import CrisisService, document_id

from .helpers import ROOT, bigger_corpus, clean_env, make_settings
from .webpages import PAGES

RUNS_PER_OPERATION = int(os.environ.get("CRISISBOT_CRASH_RUNS", "7"))
BLINKEN = "Who did Blinken write to proposing a meeting?"


@pytest.fixture(scope="module")
def start_state(tmp_path_factory, built_data_dir, embedder):
    """The bundled index plus 240 recombined paragraphs, so each write takes a moment."""
    data_dir = tmp_path_factory.mktemp("crash") / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    service = CrisisService(make_settings(data_dir), embedder=embedder)
    staging = data_dir.parent / "staging"
    bigger_corpus(staging)
    service.add_paths([staging / "recombined.jsonl"])
    extra = data_dir.parent / "extra"
    bigger_corpus(extra, n_docs=4)
    (extra / "recombined.jsonl").rename(extra / "more.jsonl")
    shutil.copy(PAGES / "zaporizhzhia-inspectors.html", extra)
    return data_dir, extra


def documents(data_dir: Path, embedder) -> frozenset[str]:
    service = CrisisService(make_settings(data_dir), embedder=embedder)
    snap = service.snapshot()
    assert snap.size == snap.manifest["paragraphs"]
    parts = [snap.base, snap.delta] if isinstance(snap, store.CompositeView) else [snap]  # a delta serves with its base
    assert all(part.size == len(part.lexical_ids) for part in parts)
    assert "Lavrov" in service.ask(BLINKEN).citations[0].text
    return frozenset(d.id for d in snap.documents())


def run_and_kill(data_dir: Path, args: list[str], delay: float | None) -> tuple[bool, float]:
    """Run the worker; SIGKILL it ``delay`` seconds after READY.

    Returns whether it finished, and the seconds from READY to its end.
    """
    env = clean_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_worker", str(data_dir), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "READY"
        ready = time.monotonic()
        if delay is None:  # time the write itself, not the interpreter's exit
            assert proc.stdout.readline().strip() == "DONE"
            took = time.monotonic() - ready
            return proc.wait(120) == 0, took
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        return proc.returncode == 0, time.monotonic() - ready
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("operation", ["build", "add", "remove", "merge"])
def test_sigkill_mid_write_leaves_before_or_after(operation, start_state, tmp_path, embedder):
    source, extra = start_state
    args = {
        "build": ["build"],
        "add": ["add", str(extra / "more.jsonl"), str(extra / "zaporizhzhia-inspectors.html")],
        "remove": ["remove", *[document_id("recombined.jsonl", f"mix-{i}") for i in range(6)]],  # ids as kept
        "merge": ["merge"],
    }[operation]
    before = documents(source, embedder)
    assert store.read_manifest(store.current_folder(source)).get("delta"), "the start state should be a delta"

    # One uninterrupted run tells the "after" state and how long the write takes.
    clean = tmp_path / "clean"
    shutil.copytree(source, clean, symlinks=True)
    finished, duration = run_and_kill(clean, args, None)
    assert finished
    after = documents(clean, embedder)
    same_content = operation in ("build", "merge")  # a new version of the same documents
    if not same_content:
        assert after != before

    rng = random.Random(operation)
    outcomes = []
    for run in range(RUNS_PER_OPERATION):
        data_dir = tmp_path / f"run{run}"
        shutil.copytree(source, data_dir, symlinks=True)
        # Kill anywhere in the write, a little past its end included.
        finished, _ = run_and_kill(data_dir, args, rng.uniform(0, duration * 1.15))
        state = documents(data_dir, embedder)
        assert state in (before, after), f"run {run}: a state that is neither before nor after"
        if same_content:  # same documents either way: tell by the published folder
            outcomes.append("after" if store.current_folder(data_dir).name != store.current_folder(source).name else "before")
        else:
            outcomes.append("after" if state == after else "before")
        # The next write cleans up whatever the killed one left behind.
        CrisisService(make_settings(data_dir), embedder=embedder).build()
        assert not [p for p in (data_dir / "indexes").iterdir() if p.name.endswith(store.BUILDING_SUFFIX)]
    print(f"{operation}: {outcomes.count('before')} before, {outcomes.count('after')} after, write took {duration:.1f} s")


@pytest.mark.timeout(900)
def test_sigkill_mid_import_then_the_same_import_finishes_it_without_duplicates(start_state, tmp_path, embedder):
    """An import killed anywhere leaves the last published batch serving; running it again gives
    exactly what an uninterrupted import gives."""
    import json

    from index.importing import ImportOptions

    source, _ = start_state
    lines = (ROOT / "tests" / "eval" / "war" / "corpus" / "part-b.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = {document_id("archive.jsonl", json.loads(line)["id"]) for line in lines}
    args = ["import", str(archive), "8"]
    before = documents(source, embedder)

    clean = tmp_path / "clean"
    shutil.copytree(source, clean, symlinks=True)
    finished, duration = run_and_kill(clean, args, None)
    assert finished
    after = documents(clean, embedder)
    assert after == before | ids

    rng = random.Random("import")
    outcomes = []
    for run in range(RUNS_PER_OPERATION):
        data_dir = tmp_path / f"run{run}"
        shutil.copytree(source, data_dir, symlinks=True)
        run_and_kill(data_dir, args, rng.uniform(0, duration * 1.15))
        state = documents(data_dir, embedder)  # still loads and answers
        assert before <= state <= after, f"run {run}: documents neither from before nor from the archive"
        outcomes.append(len(state - before))
        service = CrisisService(make_settings(data_dir), embedder=embedder)
        service.import_archives([archive], ImportOptions(batch_size=8))  # the same import, run again
        assert documents(data_dir, embedder) == after
        snap, whole = service.snapshot(), CrisisService(make_settings(clean), embedder=embedder).snapshot()
        assert snap.manifest["paragraphs"] == whole.manifest["paragraphs"]
        assert snap.manifest["documents"] == whole.manifest["documents"]
    print(f"import: archive documents indexed when killed: {outcomes} of {len(ids)}; import took {duration:.1f} s")


def test_sigkill_during_a_feed_poll_leaves_the_previous_index_serving_and_the_next_poll_completes_it(start_state, tmp_path, embedder):
    """One subscription (3 items: one from the feed's text, two fetched pages) polled in a child killed at random."""
    from tests.feedserver import FeedServer

    source, _ = start_state
    server = FeedServer().start()
    try:
        subscribed = tmp_path / "subscribed"
        shutil.copytree(source, subscribed, symlinks=True)
        CrisisService(make_settings(subscribed, allow_private_urls=True), embedder=embedder).feeds_add(server.url("/feeds/rss2.xml"))
        before = documents(subscribed, embedder)
        clean = tmp_path / "clean"
        shutil.copytree(subscribed, clean, symlinks=True)
        finished, duration = run_and_kill(clean, ["poll"], None)
        assert finished
        after = documents(clean, embedder)
        assert len(after - before) == 3
        rng = random.Random("poll")
        outcomes = []
        for run in range(RUNS_PER_OPERATION):
            data_dir = tmp_path / f"run{run}"
            shutil.copytree(subscribed, data_dir, symlinks=True)
            run_and_kill(data_dir, ["poll"], rng.uniform(0, duration * 1.15))
            state = documents(data_dir, embedder)
            assert state in (before, after), f"run {run}: a state that is neither before nor after"
            outcomes.append("after" if state == after else "before")
            # The next poll (another process, as after a restart) completes it: nothing lost, nothing doubled.
            service = CrisisService(make_settings(data_dir, allow_private_urls=True), embedder=embedder)
            asyncio.run(service.poll_feeds(force=True))
            assert documents(data_dir, embedder) == after
            [subscription] = service.feeds_list()
            # Killed after its write published but before the poll was recorded, the items are known again by
            # their kept records (index/feeds.py): indexed once, not counted as added a second time.
            counted = (3, 6) if state == before else (0, 3, 6)
            assert subscription.failures == 0 and subscription.added_items in counted and subscription.etag
        print(f"poll: {outcomes.count('before')} before, {outcomes.count('after')} after, poll took {duration:.1f} s")
    finally:
        server.stop()


def test_sigkill_never_loses_an_acknowledged_audit_or_feedback_row(tmp_path):
    """The bot's own state (WAL SQLite, one transaction per row): what was stored stays stored."""
    import sqlite3

    rng = random.Random(11)
    data_dir = tmp_path / "state"
    data_dir.mkdir()
    acknowledged = -1
    for _ in range(5):
        env = clean_env()
        proc = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(data_dir), "state"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        lines = [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
        proc.stdout.close()
        acknowledged = max([acknowledged, *map(int, lines)]) if lines else acknowledged
        with sqlite3.connect(data_dir / "state.sqlite") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            audited = {row[0] for row in db.execute("SELECT target FROM audit")}
            voted = {row[0] for row in db.execute("SELECT question FROM feedback")}
        # Every run restarts numbering at 0, so "row n" must be there for every n the last run acknowledged.
        last = max(map(int, lines)) if lines else -1
        assert all(f"row {n}" in audited for n in range(last + 1))
        assert all(f"question {n}" in voted for n in range(last + 1))
    assert acknowledged > 0
