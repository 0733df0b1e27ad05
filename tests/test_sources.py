"""Adding sources by URL and file, removing them, refreshing URL sources."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from index import store
from index.fetch import FetchError, FetchPolicy, fetch_document
from index.refresh import refresh_url_sources
from index.service import CrisisService

from .webpages import PAGES, PageServer

LOOPBACK = FetchPolicy(timeout_seconds=2, max_bytes=512 * 1024, allow_private=True)
SANCTIONS_Q = "How many Duma members did the EU sanction?"


@pytest.fixture(scope="module")
def pages():
    server = PageServer().start()
    yield server
    server.stop()


def fetch(url: str, policy: FetchPolicy = LOOPBACK):
    return asyncio.run(fetch_document(url, policy))


def test_fetch_extracts_title_date_outlet_and_text(pages):
    doc = fetch(pages.url("/articles/eu-sanctions"))
    assert doc.title == "EU agrees first sanctions package against Russia"
    assert doc.date == "2022-02-23"
    assert doc.outlet == "Example Herald"
    assert len(doc.paragraphs) == 5
    assert not any("Copyright" in p or "Celebrity" in p for p in doc.paragraphs)
    assert doc.id.startswith("url-") and doc.meta["source_url"] == pages.url("/articles/eu-sanctions")


def test_redirects_are_followed_and_loops_cut(pages):
    assert fetch(pages.url("/moved")).title == "UN nuclear inspectors reach Zaporizhzhia plant"
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(pages.url("/redirect-loop"))


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "path, reason",
    [
        ("/hang", "did not answer within 2 s"),
        ("/huge", "over the 512 KiB limit"),
        ("/report.pdf", "not a web page"),
        ("/empty", "no article text"),
        ("/error", "HTTP 503"),
        ("/articles/nope", "HTTP 404"),
    ],
)
def test_bad_pages_fail_with_a_reason(pages, path, reason):
    with pytest.raises(FetchError, match=reason):
        fetch(pages.url(path))


@pytest.mark.parametrize(
    "url, reason",
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://example.org/x", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("http://user:pw@example.org/", "user name or password"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "private or local"),
        ("http://localhost/", "local address"),
    ],
)
def test_unsafe_urls_are_refused_before_any_request(url, reason):
    with pytest.raises(FetchError, match=reason):
        fetch(url, FetchPolicy())


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/"])
def test_link_local_metadata_addresses_are_refused_even_when_private_ones_are_allowed(url):
    with pytest.raises(FetchError, match="link-local"):
        fetch(url, FetchPolicy(timeout_seconds=2, allow_private=True))


def test_loopback_is_refused_unless_the_operator_allows_it(pages):
    with pytest.raises(FetchError, match="private or local"):
        fetch(pages.url("/articles/eu-sanctions"), FetchPolicy())
    before = len(pages.hits)
    with pytest.raises(FetchError):
        fetch(f"http://127.0.0.1:{pages.port}/articles/eu-sanctions", FetchPolicy())
    assert len(pages.hits) == before  # refused before connecting


def test_added_url_is_cited_survives_rebuild_and_can_be_removed(service: CrisisService, pages):
    assert not any(c.title.startswith("EU agrees") for c in service.ask(SANCTIONS_Q).citations)
    doc = fetch(pages.url("/articles/eu-sanctions"))
    result = service.add_fetched(doc)
    assert result.change.paragraphs_added == 5
    answer = service.ask(SANCTIONS_Q)
    assert answer.citations[0].title == "EU agrees first sanctions package against Russia"
    assert "351" in answer.answer

    service.build()  # a full rebuild reads the kept copy, no network
    assert service.ask(SANCTIONS_Q).citations[0].document_id == doc.id
    service.remove_sources([doc.id])
    assert not any(c.document_id == doc.id for c in service.ask(SANCTIONS_Q).citations)
    assert not (service.web_dir / f"{doc.id}.jsonl").exists()


def test_added_files_are_kept_and_bad_ones_reported(service: CrisisService, tmp_path: Path):
    good = tmp_path / "zaporizhzhia.html"
    good.write_text((PAGES / "zaporizhzhia-inspectors.html").read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    result = service.add_paths([good, bad])
    assert [Path(p.where).name for p in result.load.skipped] == ["bad.jsonl"]
    assert (service.sources_dir / "zaporizhzhia.html").exists()
    assert service.ask("Who inspected the Zaporizhzhia nuclear plant?").citations[0].title.startswith("UN nuclear inspectors")
    with pytest.raises(store.NothingToIndex, match="nothing to add"):
        service.add_paths([bad])


def test_refresh_reindexes_only_changed_pages(service: CrisisService, pages):
    service.add_fetched(fetch(pages.url("/mutable")))
    report = asyncio.run(refresh_url_sources(service, LOOPBACK))
    assert (report.checked, report.changed, report.failed) == (1, [], [])
    pages.mutable_html = pages.mutable_html.replace("351 members", "352 members")
    before = store.current_folder(service.data_dir)
    report = asyncio.run(refresh_url_sources(service, LOOPBACK))
    assert report.changed == ["EU agrees first sanctions package against Russia"]
    assert store.current_folder(service.data_dir) != before
    assert "352" in service.ask(SANCTIONS_Q).answer
    assert len([d for d in service.documents() if d.title.startswith("EU agrees")]) == 1  # replaced, not duplicated
    kept = json.loads((service.web_dir / f"{service.url_sources()[0]['id']}.jsonl").read_text())
    assert any("352" in p for p in kept["paragraphs"])


def test_failed_fetch_changes_nothing(service: CrisisService, pages):
    before = store.current_folder(service.data_dir)
    with pytest.raises(FetchError):
        fetch(pages.url("/empty"))
    assert store.current_folder(service.data_dir) == before
    assert not service.sources_dir.exists() or not list(service.sources_dir.iterdir())


def test_a_host_name_resolving_to_a_private_address_is_refused_at_connect_time():
    import socket

    host = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 80)}
    except OSError:
        pytest.skip("the machine's host name does not resolve")
    if not addresses or any(not a.startswith(("127.", "10.", "192.168.", "::1", "172.")) for a in addresses):
        pytest.skip("the machine's host name resolves to a public address")
    with pytest.raises(FetchError, match="resolves to a private or local address"):
        fetch(f"http://{host}:9/", FetchPolicy(timeout_seconds=2))


def test_cli_adds_refreshes_and_reports_a_failed_url(pages, monkeypatch, tmp_path, built_data_dir, embedder):
    import shutil

    from typer.testing import CliRunner

    from bot import cli, cli_support

    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CRISISBOT_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("CRISISBOT_FETCH_TIMEOUT_SECONDS", "2")
    monkeypatch.setattr(cli_support, "_embedder", lambda *args: embedder)
    runner = CliRunner()
    added = runner.invoke(cli.app, ["sources", "add", "--quiet", pages.url("/articles/eu-sanctions"), pages.url("/report.pdf")])
    assert added.exit_code == 1  # one of the two failed
    assert "'EU agrees first sanctions package against Russia': added 1" in added.stdout
    assert "report.pdf: not a web page" in added.output
    refreshed = runner.invoke(cli.app, ["sources", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "checked 1 URL sources, re-indexed 0" in refreshed.stdout
    # Operators' changes land in the same audit table as the moderators'.
    from bot.state import BotState

    state = BotState(data_dir / "state.sqlite")
    entries = [(e.action, e.ok, e.actor.startswith("cli:")) for e in reversed(state.recent_audit(10))]
    state.close()
    assert entries == [("sources add", True, True), ("sources add", False, True), ("refresh", True, True)]


def test_add_url_is_one_call_with_the_configured_limits(service: CrisisService, pages, embedder):
    """The CLI, the bot and the refresh loop all add a page through CrisisService.add_url."""
    with pytest.raises(FetchError, match="private or local"):
        asyncio.run(service.add_url(pages.url("/articles/eu-sanctions")))  # the default settings refuse loopback
    allowed = CrisisService(service.settings.model_copy(update={"allow_private_urls": True}), embedder=embedder)
    result = asyncio.run(allowed.add_url(pages.url("/articles/eu-sanctions")))
    assert result.load.documents[0].title == "EU agrees first sanctions package against Russia"
    assert result.change.paragraphs_added == 5
    assert [s["url"] for s in allowed.url_sources()] == [pages.url("/articles/eu-sanctions")]
    assert asyncio.run(allowed.refresh_urls()).checked == 1
