"""Background rebuilds: one at a time, answering all along, failing safely."""

from __future__ import annotations

import pytest

from index import store
from index.embed import Embedder
from index.jobs import AlreadyRunning, Rebuilder
from index.service import CrisisService

from .helpers import BLINKEN, bigger_corpus, make_settings


@pytest.mark.timeout(240)
def test_rebuild_runs_in_background_refuses_a_second_and_keeps_answering(service: CrisisService):
    bigger_corpus(service.sources_dir)
    before = store.current_folder(service.data_dir)
    rebuilder = Rebuilder(service)
    job = rebuilder.start("mod#1")
    with pytest.raises(AlreadyRunning, match=r"started by mod#1, \d+% done"):
        rebuilder.start("mod#2")
    answered_during = 0
    while job.running:
        answer = service.ask(BLINKEN)
        assert "Lavrov" in answer.citations[0].text
        if job.running and store.current_folder(service.data_dir) == before:
            answered_during += 1
    assert answered_during > 0  # questions were answered from the old index while it ran
    assert job.error is None, job.error
    assert job.result.manifest["documents"] == 7
    assert store.current_folder(service.data_dir) != before
    assert job.percent == 100.0
    rebuilder.start("mod#2")  # free again once finished
    assert rebuilder.wait(120)


def test_failed_rebuild_reports_why_and_leaves_the_old_index(service: CrisisService, tmp_path):
    before = store.current_folder(service.data_dir)
    broken = CrisisService(
        make_settings(service.data_dir, model=str(tmp_path / "no-such-model")),
        embedder=Embedder(str(tmp_path / "no-such-model")),
    )
    rebuilder = Rebuilder(broken)
    job = rebuilder.start("mod#1")
    assert rebuilder.wait(60)
    assert job.error and "no-such-model" in job.error
    assert store.current_folder(service.data_dir) == before
    assert service.ask(BLINKEN).citations
