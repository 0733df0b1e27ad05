"""A URL cannot reach a private, loopback or link-local address however its host is spelled.

The host is judged as the HTTP client itself reads it (yarl: IDNA and NFKC turn ``127。0。0。1``,
``①②⑦.0.0.1`` or ``１０.０.０.１`` into plain addresses), and every address a connection is
opened to is checked again, IP literals and redirect hops included.
"""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import threading

import pytest
import yarl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from index import fetch as fetch_module
from index.fetch import FetchError, FetchPolicy, check_url, fetch_document, fetch_html

from .webpages import PageServer

STRICT = FetchPolicy(timeout_seconds=2)
LOOPBACK = FetchPolicy(timeout_seconds=2, max_bytes=512 * 1024, allow_private=True)
REFUSED = "private or local|link-local|local address|not a canonical|IP address"


@pytest.fixture(scope="module")
def pages():
    server = PageServer().start()
    yield server
    server.stop()


def disguised_loopback_urls(port: int) -> list[str]:
    return [
        f"http://127。0。0。1:{port}/articles/eu-sanctions",  # U+3002 ideographic full stop
        f"http://①②⑦.0.0.1:{port}/articles/eu-sanctions",  # circled digits
        f"http://127．0．0．1:{port}/articles/eu-sanctions",  # U+FF0E fullwidth full stop
        f"http://127｡0｡0｡1:{port}/articles/eu-sanctions",  # U+FF61 halfwidth ideographic full stop
        f"http://１２７.０.０.１:{port}/articles/eu-sanctions",  # fullwidth digits
        f"http://𝟏𝟐𝟕.0.0.1:{port}/articles/eu-sanctions",  # mathematical bold digits
        f"HTTP://127.0.0.1.:{port}/articles/eu-sanctions",  # trailing dot
        f"http://127.1:{port}/articles/eu-sanctions",  # legacy short form
        f"http://2130706433:{port}/articles/eu-sanctions",  # legacy integer form
        f"http://0x7f.0.0.1:{port}/articles/eu-sanctions",  # legacy hex form
        f"http://[::ffff:127.0.0.1]:{port}/articles/eu-sanctions",  # IPv4-mapped IPv6
        f"http://ｌｏｃａｌｈｏｓｔ:{port}/articles/eu-sanctions",  # fullwidth letters
        f"http://LOCALHOST.:{port}/articles/eu-sanctions",
        f"http://news.localhost:{port}/articles/eu-sanctions",
    ]


OTHER_PRIVATE_URLS = [
    "http://169。254。169。254/latest/meta-data/",
    "http://１０.０.０.１/",
    "http://192．168．1．1/",
    "http://⑩.0.0.1/",
    "http://172｡16｡0｡1/",
    "http://[fe80::1%25eth0]/",
]


def fetch(url: str, policy: FetchPolicy = STRICT):
    return asyncio.run(fetch_document(url, policy))


def test_disguised_loopback_hosts_are_refused_and_the_server_never_sees_a_request(pages):
    before = len(pages.hits)
    for url in disguised_loopback_urls(pages.port):
        with pytest.raises(FetchError, match=REFUSED):
            check_url(url, STRICT)
        with pytest.raises(FetchError, match=REFUSED):
            fetch(url)
    assert pages.hits[before:] == []


@pytest.mark.parametrize("url", OTHER_PRIVATE_URLS)
def test_disguised_private_and_metadata_hosts_are_refused_before_connecting(url):
    with pytest.raises(FetchError, match=REFUSED):
        check_url(url, STRICT)
    with pytest.raises(FetchError, match=REFUSED):
        fetch(url)


# --- property: whatever the spelling, the client's view of the host decides ----------------

TARGETS = [
    "127.0.0.1", "127.10.20.30", "10.0.0.1", "10.20.0.9", "192.168.1.1", "172.16.0.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
]
DOTS = [".", "\u3002", "\uff0e", "\uff61"]
DIGIT_FORMS = [
    lambda d: str(d),  # ASCII
    lambda d: chr(0xFF10 + d),  # fullwidth
    lambda d: "\u24ea" if d == 0 else chr(0x2460 + d - 1),  # circled ⓪ ①..⑨
    lambda d: chr(0x1D7CE + d),  # mathematical bold
    lambda d: chr(0x1D7D8 + d),  # mathematical double-struck
    lambda d: chr(0x1D7F6 + d),  # mathematical monospace
]


@st.composite
def disguised_private_urls(draw) -> str:
    octets = draw(st.sampled_from(TARGETS)).split(".")
    labels = []
    for octet in octets:
        if 1 <= int(octet) <= 20 and draw(st.booleans()):
            labels.append(chr(0x2460 + int(octet) - 1))  # ⑩ is "10", ⑳ is "20" under NFKC
        else:
            labels.append("".join(draw(st.sampled_from(DIGIT_FORMS))(int(d)) for d in octet))
    host = labels[0]
    for label in labels[1:]:
        host += draw(st.sampled_from(DOTS)) + label
    if draw(st.booleans()):
        host += draw(st.sampled_from(DOTS))
    scheme = draw(st.sampled_from(["http", "HTTP", "Http", "https", "hTTpS"]))
    port = draw(st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}")))
    path = draw(st.sampled_from(["/", "/latest/meta-data/", "/page.html?x=1", ""]))
    return f"{scheme}://{host}{port}{path}"


def client_view(url: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address aiohttp would connect to for this URL, or None if its host is not an IP literal."""
    host = (yarl.URL(url).raw_host or "").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=disguised_private_urls(), allow_private=st.booleans())
def test_any_spelling_the_client_reads_as_a_non_public_address_is_refused(url, allow_private):
    try:
        address = client_view(url)
    except ValueError:  # the client cannot parse it: it must not be accepted either
        with pytest.raises(FetchError):
            check_url(url, FetchPolicy(allow_private=allow_private))
        return
    if address is not None and not address.is_global and not allow_private:
        with pytest.raises(FetchError):
            check_url(url, STRICT)
    if address is not None and address.is_link_local:
        with pytest.raises(FetchError, match="link-local"):
            check_url(url, FetchPolicy(allow_private=True))


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8/", "https://1.1.1.1/dns-query", "http://9.9.9.9:8080/x", "https://[2606:4700:4700::1111]/"]
)
def test_public_literal_addresses_spelled_plainly_are_accepted(url):
    assert check_url(url, STRICT) == url


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(v=4).filter(lambda ip: ip.is_global and not ip.is_multicast), st.sampled_from(["http", "https"]))
def test_any_public_ipv4_literal_is_accepted(address, scheme):
    url = f"{scheme}://{address}/news"
    assert check_url(url, STRICT) == url


def test_public_host_names_are_accepted():
    for url in ["https://www.reuters.com/world/", "http://bücher.de/x", "https://example.org:8443/a?b=c#d"]:
        assert check_url(url, STRICT) == url


# --- connect time: the last line, for anything that gets past check_url ----------------------


def test_an_ip_literal_that_passes_check_url_is_refused_at_connect_time(pages, monkeypatch):
    monkeypatch.setattr(fetch_module, "check_url", lambda url, policy: url.strip())
    before = len(pages.hits)
    with pytest.raises(FetchError, match="private or local"):
        asyncio.run(fetch_html(pages.url("/articles/eu-sanctions"), STRICT))
    with pytest.raises(FetchError, match="private or local"):
        asyncio.run(fetch_html(f"http://[::ffff:127.0.0.1]:{pages.port}/articles/eu-sanctions", STRICT))
    assert pages.hits[before:] == []


def test_link_local_is_refused_at_connect_time_even_when_private_addresses_are_allowed(monkeypatch):
    monkeypatch.setattr(fetch_module, "check_url", lambda url, policy: url.strip())
    with pytest.raises(FetchError, match="link-local"):
        asyncio.run(fetch_html("http://169.254.169.254/latest/meta-data/", LOOPBACK))


class _Recorder(http.server.ThreadingHTTPServer):
    """A stdlib web server on any loopback address: records requests, redirects /go?to=URL."""

    def __init__(self, host: str):
        self.hits: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.hits.append(self.path)
                if self.path.startswith("/go?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path[len("/go?to=") :])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"<html><body><p>" + b"An internal page that must never be fetched. " * 5 + b"</p></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__((host, 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def test_a_redirect_hop_to_an_ip_literal_is_refused_at_connect_time(monkeypatch):
    """127.0.0.1 stands in for a public site (the judge is told so), 127.0.0.2 for an intranet host."""
    real_is_public = fetch_module._is_public
    monkeypatch.setattr(fetch_module, "_is_public", lambda address: address == "127.0.0.1" or real_is_public(address))
    monkeypatch.setattr(fetch_module, "check_url", lambda url, policy: url.strip())
    with _Recorder("127.0.0.1") as public, _Recorder("127.0.0.2") as intranet:
        target = f"http://127.0.0.2:{intranet.server_address[1]}/secret"
        with pytest.raises(FetchError, match="private or local"):
            asyncio.run(fetch_html(f"http://127.0.0.1:{public.server_address[1]}/go?to={target}", STRICT))
        assert public.hits == [f"/go?to={target}"]  # the "public" hop was made
        assert intranet.hits == []


# --- URLs the parsers reject: one clear line, never a traceback ------------------------------


UNPARSEABLE_URLS = [
    "http://[::1",
    "http://[::1]x/",
    "http://example.org:80:80/",
    "http://ex\\@127.0.0.1/",
    "http://:80/",
    "http://%31%32%37.0.0.1/",
]


@pytest.mark.parametrize("url", UNPARSEABLE_URLS)
def test_unparseable_urls_are_a_fetch_error_with_one_line(url):
    with pytest.raises(FetchError) as refused:
        check_url(url, STRICT)
    message = str(refused.value)
    assert message and "\n" not in message
    with pytest.raises(FetchError):
        fetch(url)


def test_cli_reports_an_unparseable_or_disguised_url_in_one_line(pages, monkeypatch, tmp_path):
    from bot import cli

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CRISISBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRISISBOT_ALLOW_PRIVATE_URLS", "false")
    monkeypatch.setenv("CRISISBOT_FETCH_TIMEOUT_SECONDS", "2")
    before = len(pages.hits)
    disguised = f"http://127。0。0。1:{pages.port}/articles/eu-sanctions"
    for url, reason in [("http://[::1", "not a valid URL"), (disguised, "private or local")]:
        result = CliRunner().invoke(cli.app, ["sources", "add", "--quiet", url])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and reason in lines[0], result.output
    assert pages.hits[before:] == []


# --- kept: the operator's switch still works, link-local stays closed ------------------------


def test_with_private_addresses_allowed_the_loopback_server_is_fetched(pages):
    before = len(pages.hits)
    doc = fetch(pages.url("/articles/eu-sanctions"), LOOPBACK)
    assert doc.title == "EU agrees first sanctions package against Russia"
    assert pages.hits[before:] == ["/articles/eu-sanctions"]


METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169。254。169。254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
]


@pytest.mark.parametrize("url", METADATA_URLS)
def test_link_local_is_refused_even_when_private_addresses_are_allowed(url):
    with pytest.raises(FetchError, match="link-local"):
        check_url(url, LOOPBACK)
    with pytest.raises(FetchError, match="link-local"):
        fetch(url, LOOPBACK)
