"""PoliteClient against real hostile servers on 127.0.0.1: every failure bounded and one line."""

from __future__ import annotations

import gzip
import itertools
import socket
import time
import zlib
from collections.abc import Iterator
from email.utils import formatdate

import pytest
from local_server import LocalServer, Request, Response, drip, endless, redirect, reset_after, slow_headers

from crawler.errors import FetchError
from crawler.http import PoliteClient, parse_retry_after, user_agent
from crawler.items import Validators
from crawler.settings import HttpSettings, Politeness

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
NO_DELAY = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})


def make_client(politeness: Politeness = NO_DELAY, **http: object) -> PoliteClient:
    settings = {"connect_timeout_s": 1.0, "read_timeout_s": 1.0, "total_timeout_s": 2.0,
                "max_body_bytes": 1024 * 1024, "retries": 2, **http}
    return PoliteClient(HttpSettings(**settings), politeness, "curator@example.org", backoff_s=0.01)


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with make_client() as c:
        yield c


def assert_one_line(exc: FetchError, url: str, *words: str) -> None:
    text = str(exc)
    assert "\n" not in text and text.startswith(url), text
    for word in words:
        assert word in text, text


def test_user_agent_accept_and_validators(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/feed", FEED, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
                           headers={"Content-Type": "application/rss+xml"})
    first = client.get(url, accept="application/rss+xml")
    assert first.status == 200 and first.body == FEED and not first.not_modified
    assert first.headers["content-type"] == "application/rss+xml"
    assert first.validators == Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    second = client.get(url, first.validators)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.validators == first.validators
    sent = local_server.hits("/feed")
    assert sent[0].headers["user-agent"] == user_agent("curator@example.org")
    assert "curator@example.org" in sent[0].headers["user-agent"]
    assert sent[0].headers["accept"] == "application/rss+xml"
    assert "gzip" in sent[0].headers["accept-encoding"]
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"] == '"v1"'
    assert sent[1].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_last_modified_only(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/lm", FEED, last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    first = client.get(url)
    assert first.validators.etag is None
    assert client.get(url, first.validators).not_modified


@pytest.mark.parametrize(('encoding', 'compress'), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
])
def test_compressed_bodies(local_server: LocalServer, client: PoliteClient, encoding: str, compress) -> None:
    url = local_server.add("/z", compress(FEED * 100), headers={"Content-Encoding": encoding})
    assert client.get(url).body == FEED * 100


# The bounds below are far above what the deadline allows (1 s) and far below what a fetch without it
# would take (minutes): only a deadline that no longer cuts trips them, not a loaded machine.
CUT_SHORT_S = 15.0


def test_total_deadline_cuts_a_drip(local_server: LocalServer) -> None:
    url = local_server.add("/drip", handler=drip(FEED * 10, interval=0.2))  # the whole body would take minutes
    with make_client(total_timeout_s=1.0, read_timeout_s=5.0) as c:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            c.get(url)
        assert time.monotonic() - started < CUT_SHORT_S
    assert_one_line(info.value, url, "timed out after 1 s (total deadline)")
    assert len(local_server.hits("/drip")) == 1  # not retried


def test_total_deadline_cuts_dripped_headers(local_server: LocalServer) -> None:
    url = local_server.add("/slowhead", handler=slow_headers(600, 0.1))  # a minute of headers
    with make_client(total_timeout_s=1.0, read_timeout_s=5.0) as c:
        started = time.monotonic()
        with pytest.raises(FetchError, match="total deadline"):
            c.get(url)
        assert time.monotonic() - started < CUT_SHORT_S


def test_read_timeout(local_server: LocalServer) -> None:
    def stall(request: Request) -> Response:
        time.sleep(1.0)
        return Response(200, FEED)

    url = local_server.add("/stall", handler=stall)
    with make_client(read_timeout_s=0.3, total_timeout_s=5.0) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "read timed out after 0.3 s")


def test_endless_body_stops_at_cap(local_server: LocalServer) -> None:
    url = local_server.add("/endless", handler=endless())
    with make_client(max_body_bytes=256 * 1024, total_timeout_s=5.0) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "body larger than 262144 bytes cap")


def test_size_cap_with_content_length(local_server: LocalServer) -> None:
    url = local_server.add("/big", b"x" * (2 * 1024 * 1024 + 1))
    with make_client(max_body_bytes=2 * 1024 * 1024) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "body larger than 2 MiB cap")


def test_gzip_bomb_stops_at_cap(local_server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=6)  # ~64 KB on the wire, 64 MiB inflated
    url = local_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with make_client(max_body_bytes=1024 * 1024, total_timeout_s=5.0) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "body larger than 1 MiB cap")


def test_bad_gzip_is_a_fetch_error(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/badgz", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert_one_line(info.value, url, "cannot decode body")


def test_redirects_followed_relative_and_absolute(local_server: LocalServer, client: PoliteClient) -> None:
    local_server.add("/a", handler=redirect("/b", 301))
    local_server.add("/b", handler=redirect(local_server.url + "/c", 307))
    local_server.add("/c", FEED)
    fetched = client.get(local_server.url + "/a")
    assert fetched.body == FEED and fetched.url == local_server.url + "/c" and fetched.requests == 3


def test_redirect_loop(local_server: LocalServer, client: PoliteClient) -> None:
    local_server.add("/loop1", handler=redirect("/loop2"))
    local_server.add("/loop2", handler=redirect("/loop1"))
    url = local_server.url + "/loop1"
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert_one_line(info.value, url, "redirect loop")
    assert len(local_server.requests) == 2


def test_redirect_cap(local_server: LocalServer) -> None:
    for i in range(10):
        local_server.add(f"/r{i}", handler=redirect(f"/r{i + 1}"))
    url = local_server.url + "/r0"
    with make_client(max_redirects=3) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "more than 3 redirects")
    assert len(local_server.requests) == 4


def test_redirect_to_other_scheme_refused(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/ftp", handler=redirect("file:///etc/passwd"))
    with pytest.raises(FetchError, match="not an http"):
        client.get(url)


def test_short_retry_after_waits_then_succeeds(local_server: LocalServer, client: PoliteClient) -> None:
    calls = []

    def busy_once(request: Request) -> Response:
        calls.append(request.time)
        if len(calls) == 1:
            return Response(429, b"slow down", {"Retry-After": "1"})
        return Response(200, FEED)

    url = local_server.add("/busy", handler=busy_once)
    assert client.get(url).body == FEED
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


@pytest.mark.slow
def test_retry_after_as_http_date(local_server: LocalServer, client: PoliteClient) -> None:
    calls = []

    def busy_once(request: Request) -> Response:
        calls.append(request.time)
        if len(calls) == 1:
            # HTTP dates have whole seconds: "now + 2 s" names a moment 1 to 2 s ahead.
            return Response(503, b"", {"Retry-After": formatdate(time.time() + 2, usegmt=True)})
        return Response(200, FEED)

    url = local_server.add("/busy", handler=busy_once)
    assert client.get(url).body == FEED
    assert calls[1] - calls[0] >= 0.95


def test_long_retry_after_fails_fast(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/later", b"", status=429, headers={"Retry-After": "7200"})
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert time.monotonic() - started < CUT_SHORT_S  # not the hour asked for
    assert info.value.retry_after == 3600  # capped at politeness.max_retry_after_s
    assert_one_line(info.value, url, "HTTP 429", "retry after 3600 s")
    assert client.gate.ready_in("127.0.0.1") > 3000  # the host is left alone meanwhile


def test_500_retried_then_fails(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/err", b"oops", status=500)
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert_one_line(info.value, url, "HTTP 500", "after 3 attempts")
    assert info.value.status == 500 and info.value.body == b"oops"
    assert len(local_server.hits("/err")) == 3


def test_500_then_success(local_server: LocalServer, client: PoliteClient) -> None:
    calls = []

    def flaky(request: Request) -> Response:
        calls.append(1)
        return Response(502 if len(calls) < 3 else 200, FEED)

    url = local_server.add("/flaky", handler=flaky)
    assert client.get(url).requests == 3


def test_404_is_not_retried(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.url + "/missing"
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert_one_line(info.value, url, "HTTP 404")
    assert len(local_server.requests) == 1


def test_connection_reset_mid_body(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/reset", handler=reset_after(FEED[:20]))
    with pytest.raises(FetchError) as info:
        client.get(url)
    assert_one_line(info.value, url, "connection broken", "after 3 attempts")
    assert len(local_server.hits("/reset")) == 3


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with make_client(retries=1) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url, "cannot connect")


def test_https_url_on_plain_http_server(local_server: LocalServer) -> None:
    local_server.add("/feed", FEED)
    url = local_server.url.replace("http://", "https://") + "/feed"
    with make_client(retries=0) as c, pytest.raises(FetchError) as info:
        c.get(url)
    assert_one_line(info.value, url)


def test_empty_200(local_server: LocalServer, client: PoliteClient) -> None:
    url = local_server.add("/empty", b"")
    assert client.get(url).body == b""


def test_per_host_spacing_from_server_log(local_server: LocalServer) -> None:
    local_server.add("/a", FEED)
    politeness = Politeness(default_delay_s=0, per_host_delay_s={"127.0.0.1": 0.2}, host_groups={})
    with make_client(politeness) as c:
        for _ in range(4):
            c.get(local_server.url + "/a")
    times = [r.time for r in local_server.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3 and min(gaps) >= 0.19, gaps


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert 50 < parse_retry_after(formatdate(time.time() + 60, usegmt=True)) <= 61


def test_unparseable_urls_fail_cleanly(client: PoliteClient) -> None:
    for url in ("http://[::1", "ftp://example.com/feed", "not a url"):
        with pytest.raises(FetchError) as info:
            client.get(url)
        assert str(info.value).startswith(url)


def test_private_address_detection() -> None:
    from crawler.netguard import is_private_host

    for host in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "localhost",
        "a.localhost",
        "0.0.0.0",
        "224.0.0.1",
        "[ff02::1]",
        "[::ffff:127.0.0.1]",
        "::ffff:10.0.0.1",
        "[::ffff:169.254.169.254]",
    ):
        assert is_private_host(host), host
    for host in ("8.8.8.8", "export.arxiv.org", "2001:4860:4860::8888", "[::ffff:8.8.8.8]"):
        assert not is_private_host(host), host


def test_a_name_that_does_not_resolve_fails_at_once(client: PoliteClient, monkeypatch) -> None:
    import socket

    real = socket.getaddrinfo
    calls = []

    def no_such_name(host, *args, **kwargs):  # no resolver is asked: the lookup fails here
        if host == "feeds.invalid":
            calls.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(FetchError, match="cannot resolve host") as info:
        client.get("http://feeds.invalid/feed.xml")
    assert "attempts" not in str(info.value)
    assert len(calls) == 1
