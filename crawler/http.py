"""Polite, bounded HTTP GET: the only place the crawler touches the network.

Every fetch is bounded in time (connect, read and a total deadline enforced on every socket operation),
in memory (the *decoded* body is capped, so a gzip bomb stops at the cap), and in hops (redirects are
followed by hand, each hop through the ``HostGate``).  It identifies itself, sends conditional requests,
honours Retry-After, and retries only what is worth retrying.  Every failure is a ``FetchError`` whose
text is one line naming the URL and the cause.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx2

from crawler.errors import FetchError
from crawler.items import Validators
from crawler.netguard import AddressGuard, is_private_host
from crawler.politeness import GateClosed, HostGate, LastRequestStore
from crawler.settings import HttpSettings, Politeness, package_version
from crawler.transport import Deadline, DeadlineTransport

if TYPE_CHECKING:
    from crawler.robots import RobotsCache

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
# Retry-After waits up to this long happen inside the request; longer ones fail fast with .retry_after.
DEFAULT_MAX_INLINE_WAIT_S = 30.0
DEFAULT_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
ERROR_BODY_BYTES = 64 * 1024  # what we keep of an error response (for messages like arXiv's)
_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


def user_agent(contact: str) -> str:
    """``rsiwatch/0.1.0 (+mailto:you@example.org)``: arXiv and most sites ask bots to say who they are."""
    return f"rsiwatch/{package_version()} (+mailto:{contact})"


@dataclass
class Fetched:
    """One successful (2xx or 304) response, body fully read and decoded."""

    status: int
    body: bytes
    headers: dict[str, str]  # lower-case names
    url: str  # after redirects
    validators: Validators = field(default_factory=Validators)
    elapsed: float = 0.0  # seconds, waits for the host included
    not_modified: bool = False
    requests: int = 1  # HTTP exchanges it took (redirects and retries included)


class _Fetch:
    """One ``PoliteClient.get``: where it is, how far it went, and the error it raises (naming both URLs)."""

    def __init__(self, url: str, validators: Validators, accept: str | None) -> None:
        self.url = self.current = url
        self.validators = validators
        self.started = time.monotonic()
        self.headers = {"Accept": accept or "*/*"}
        if validators.etag:
            self.headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            self.headers["If-Modified-Since"] = validators.last_modified
        self.seen = {url}
        self.hops = self.attempts = self.requests = 0
        self.origin_private = is_private_host(_host(url) or "")

    def fail(self, cause: str, **kw: object) -> FetchError:
        where = f" (at {_shown(self.current)})" if self.current != self.url else ""
        return FetchError(f"{_shown(self.url)}: {cause}{where}", **kw)  # type: ignore[arg-type]

    def fetched(self, status: int, headers: dict[str, str], body: bytes) -> Fetched:
        """A 2xx or 304 answer, with the validators to send next time (a 304 keeps the ones it confirmed)."""
        not_modified = status == 304
        return Fetched(
            status=status,
            body=b"" if not_modified else body,
            headers=headers,
            url=self.current,
            validators=Validators(
                etag=headers.get("etag") or (self.validators.etag if not_modified else None),
                last_modified=headers.get("last-modified") or (self.validators.last_modified if not_modified else None),
            ),
            elapsed=time.monotonic() - self.started,
            not_modified=not_modified,
            requests=self.requests,
        )
def _shown(url: str, limit: int = 160) -> str:
    """A URL as an error names it: a long query (arXiv's id_list of a hundred ids) would push the cause out
    of the one line an error has."""
    return url if len(url) <= limit else url[: limit - 3] + "..."


class _Retryable(Exception):
    """A failure worth another try (connection refused or reset, 5xx)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: ``120`` or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _name_did_not_resolve(exc: BaseException) -> bool:
    """A DNS failure somewhere under the transport's exception (``socket.gaierror``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, socket.gaierror):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "Name or service not known" in str(exc) or "nodename nor servname" in str(exc)


def _host(url: str) -> str | None:
    """The host of an http(s) URL; None for other schemes and for URLs that do not parse."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return host if parts.scheme in ("http", "https") and host else None


def _mib(n: int) -> str:
    return f"{n / 1048576:g} MiB" if n >= 1048576 else f"{n} bytes"


class _Decoder:
    """Content-Encoding decoding with a hard output bound per call (zlib ``max_length``)."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        self._z: zlib._Decompress | None = None
        if self.coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> bytes:
        """Decode ``data``, producing at most ``room`` bytes (more input left means the cap is hit)."""
        if self.coding is None:
            return data[:room]
        if self._z is None:  # deflate: zlib-wrapped per the RFC, raw from some servers
            zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        out = bytearray()
        buf = data
        while buf and len(out) < room and not self._z.eof:
            out += self._z.decompress(buf, room - len(out))
            buf = self._z.unconsumed_tail
        return bytes(out)

    def flush(self) -> bytes:
        return self._z.flush() if self._z is not None and not self._z.eof else b""


class PoliteClient:
    """GET bounded in time, size and hops (see above).  One instance per crawl; safe to share between threads."""

    def __init__(
        self,
        http: HttpSettings,
        politeness: Politeness,
        contact: str,
        *,
        gate: HostGate | None = None,
        max_inline_wait_s: float = DEFAULT_MAX_INLINE_WAIT_S,
        backoff_s: float = DEFAULT_BACKOFF_S,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
        guard: AddressGuard | None = None,
        memory: LastRequestStore | None = None,
    ) -> None:
        """``stop`` (the daemon's shutdown event) cuts short every wait for a host and fails the fetch;
        ``guard`` vets every address connected to, redirects included (URLs from strangers); ``memory``
        keeps each host's last request time for the next process (spacing across restarts)."""
        self.http = http
        self.politeness = politeness
        self.gate = gate or HostGate(politeness, sleep=sleep, stop=stop, memory=memory)
        self._stop = stop
        self.max_inline_wait_s = max_inline_wait_s
        self.backoff_s = backoff_s
        self.user_agent = user_agent(contact)
        self._deadline = Deadline()
        self._client = httpx2.Client(
            transport=DeadlineTransport(self._deadline, guard=guard),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._timeout = httpx2.Timeout(
            connect=http.connect_timeout_s,
            read=http.read_timeout_s,
            write=http.read_timeout_s,
            pool=http.connect_timeout_s,
        )
        self._robots: RobotsCache | None = None
        self.guard = guard

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @property
    def stopping(self) -> bool:
        """The owner is shutting down: a fetch failing now was cut short, not let down by its source."""
        return self._stop is not None and self._stop.is_set()

    @property
    def robots(self) -> RobotsCache:
        """robots.txt rules per host, fetched through this client (used by ``html`` sources)."""
        if self._robots is None:
            from crawler.robots import RobotsCache

            self._robots = RobotsCache(self)
        return self._robots

    def get(self, url: str, validators: Validators | None = None, accept: str | None = None) -> Fetched:
        """Fetch ``url``; 2xx or 304 come back as ``Fetched``, everything else raises ``FetchError``.

        One loop of exchanges; what happens after each is decided by a policy of its own (as Scrapy's
        middlewares are): the host's readiness, retries of broken exchanges and 5xx/429, Retry-After, and
        redirects with their per-hop checks (the address guard itself runs in the transport, every hop).
        """
        fetch = _Fetch(url, validators or Validators(), accept)
        while True:
            host = _host(fetch.current)
            if host is None:
                raise fetch.fail("not an http(s) URL")
            self._refuse_long_wait(fetch, host)
            try:
                with self.gate.slot(host):
                    fetch.requests += 1
                    status, resp_headers, body = self._exchange(fetch.current, fetch.headers, fetch.fail)
            except GateClosed:
                raise fetch.fail("stopped: the crawler is shutting down") from None
            except _Retryable as exc:
                self._retry_or_fail(fetch, host, str(exc))
                continue
            if status in _REDIRECTS and "location" in resp_headers:
                self._follow_redirect(fetch, resp_headers["location"])
                continue
            if status == 304 or 200 <= status < 300:
                return fetch.fetched(status, resp_headers, body)
            if self._honour_retry_after(fetch, host, status, resp_headers, body):
                continue
            if status >= 500 or status == 429:
                self._retry_or_fail(fetch, host, f"HTTP {status}", status=status, body=body, headers=resp_headers)
                continue
            raise fetch.fail(f"HTTP {status}", status=status, body=body, headers=resp_headers)

    def _refuse_long_wait(self, fetch: _Fetch, host: str) -> None:
        """A host that said Retry-After: 3600 (to this source or another on the same host) is not waited for
        here: that would stall the whole crawl.  The source is deferred instead."""
        ahead = self.gate.ready_in(host)
        if ahead > max(self.max_inline_wait_s, self.gate.delay(host)) + 1.0:
            raise fetch.fail(
                f"{host} asked us to retry after {ahead:.0f} s; not waiting in this crawl", retry_after=ahead
            )

    def _retry_or_fail(
        self, fetch: _Fetch, host: str, cause: str, *, status: int | None = None, body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The retry policy: up to ``retries`` more attempts, the host deferred by a growing back-off."""
        fetch.attempts += 1
        if fetch.attempts > self.http.retries:
            if status is None:
                raise fetch.fail(f"{cause} (after {fetch.attempts} attempts)")
            raise fetch.fail(f"{cause} (after {fetch.attempts} attempts)", status=status, body=body, headers=headers)
        self.gate.defer(host, min(MAX_BACKOFF_S, self.backoff_s * 2 ** (fetch.attempts - 1)))

    def _honour_retry_after(
        self, fetch: _Fetch, host: str, status: int, resp_headers: dict[str, str], body: bytes
    ) -> bool:
        """The Retry-After policy (429 and 503): a short wait is waited and retried (True); a long one defers
        the host and fails the fetch, saying how long; no header leaves the answer to the retry policy."""
        retry_after = parse_retry_after(resp_headers.get("retry-after")) if status in (429, 503) else None
        if retry_after is None:
            return False
        if retry_after <= self.max_inline_wait_s and fetch.attempts < self.http.retries:
            fetch.attempts += 1
            self.gate.defer(host, retry_after)
            return True
        wait = min(retry_after, self.politeness.max_retry_after_s)
        self.gate.defer(host, wait)
        raise fetch.fail(
            f"HTTP {status}, server asks to retry after {wait:.0f} s", retry_after=wait, status=status, body=body,
            headers=resp_headers,
        )

    def _follow_redirect(self, fetch: _Fetch, location: str) -> None:
        """The redirect policy: at most ``max_redirects`` hops, no loop, and no hop from a public address to a
        private one (unless the config allows private addresses)."""
        fetch.hops += 1
        if fetch.hops > self.http.max_redirects:
            raise fetch.fail(f"more than {self.http.max_redirects} redirects")
        target = urljoin(fetch.current, location.strip())
        if target in fetch.seen:
            raise fetch.fail(f"redirect loop back to {target}")
        target_host = _host(target) or ""
        if not self.http.allow_private_addresses and not fetch.origin_private and is_private_host(target_host):
            raise fetch.fail(f"redirect to private address {target_host} refused")
        fetch.seen.add(target)
        fetch.current = target

    def _exchange(
        self, url: str, headers: dict[str, str], fail: Callable[..., FetchError]
    ) -> tuple[int, dict[str, str], bytes]:
        """One request/response under the total deadline; the body is read (capped) unless it is a redirect."""
        total = self.http.total_timeout_s
        self._deadline.at = time.monotonic() + total
        try:
            with self._client.stream("GET", url, headers=headers, timeout=self._timeout) as response:
                resp_headers = {k.lower(): v for k, v in response.headers.items()}
                status = response.status_code
                if status in _REDIRECTS or status == 304:
                    return status, resp_headers, b""
                ok = 200 <= status < 300
                cap = self.http.max_body_bytes if ok else ERROR_BODY_BYTES
                try:
                    body = self._read_body(response, resp_headers.get("content-encoding", ""), cap, strict=ok)
                except _CapExceeded:
                    raise fail(f"body larger than {_mib(cap)} cap") from None
                except (ValueError, zlib.error) as exc:
                    if ok:
                        raise fail(f"cannot decode body: {exc}") from None
                    body = b""
                return status, resp_headers, body
        except FetchError:
            raise
        except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
            raise self._exchange_error(exc, fail) from None
        finally:
            self._deadline.at = None

    def _exchange_error(self, exc: httpx2.HTTPError | httpx2.InvalidURL, fail: Callable[..., FetchError]) -> Exception:
        """What a transport error means: ``_Retryable`` (a connect timeout, a refused or broken connection)
        or the fetch's ``FetchError`` (the deadline, a read timeout, TLS, a name that does not resolve...)."""
        if isinstance(exc, httpx2.TimeoutException):
            if self._deadline.passed():
                return fail(f"timed out after {self.http.total_timeout_s:g} s (total deadline)")
            if isinstance(exc, httpx2.ConnectTimeout):
                return _Retryable(f"connect timed out after {self.http.connect_timeout_s:g} s")
            return fail(f"read timed out after {self.http.read_timeout_s:g} s")
        if isinstance(exc, httpx2.ConnectError):
            message = str(exc) or type(exc).__name__
            if "SSL" in message or "TLS" in message or "certificate" in message.lower():
                return fail(f"TLS handshake failed: {message}")
            if _name_did_not_resolve(exc):
                # The name does not resolve (no network, or a typo): retrying now only delays the crawl;
                # the source's back-off tries again later.
                return fail(f"cannot resolve host: {message}")
            return _Retryable(f"cannot connect: {message}")
        if isinstance(exc, httpx2.ReadError | httpx2.RemoteProtocolError | httpx2.WriteError):
            return _Retryable(f"connection broken: {exc or type(exc).__name__}")
        if isinstance(exc, httpx2.InvalidURL):
            return fail(f"invalid URL: {exc}")
        return fail(f"{type(exc).__name__}: {exc}")

    def _read_body(self, response: httpx2.Response, encoding: str, cap: int, *, strict: bool) -> bytes:
        decoder = _Decoder(encoding)
        out = bytearray()
        for raw in response.iter_raw(_CHUNK):
            out += decoder.decode(raw, cap + 1 - len(out))
            if len(out) > cap:
                if strict:
                    raise _CapExceeded
                return bytes(out[:cap])
            if self._deadline.passed():
                raise httpx2.ReadTimeout("total deadline")
        out += decoder.flush()[: cap + 1 - len(out)]
        if len(out) > cap and strict:
            raise _CapExceeded
        return bytes(out[:cap])


class _CapExceeded(Exception):
    pass
