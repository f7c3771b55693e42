"""A real HTTP server on 127.0.0.1 for tests, with room for hostile behaviour.

Use the ``local_server`` fixture::

    def test_feed(local_server):
        local_server.add("/feed.xml", body=b"<rss>...</rss>", etag='"v1"',
                         headers={"Content-Type": "application/rss+xml"})
        url = local_server.url + "/feed.xml"
        ...
        assert local_server.requests[-1].headers["if-none-match"] == '"v1"'

``add(path, body=...)`` serves static bytes (with an automatic 304 when ``etag`` / ``last_modified`` match
the request's If-None-Match / If-Modified-Since).  ``add(path, handler=fn)`` calls ``fn(request)`` for
every hit; it returns a ``Response`` (whose body may be bytes, or an iterable of chunks written as they
come, with no Content-Length and the connection closed at the end: drips and endless bodies), or
``None`` after writing to ``request.wfile`` / ``request.connection`` itself (resets, broken HTTP).
Helpers below build the usual hostile handlers: ``drip``, ``endless``, ``redirect``, ``reset_after``,
``slow_headers``, ``raw``.

Every request is logged in ``.requests`` (method, path, query, headers with lower-case names,
``time.monotonic()`` at arrival), so tests can check conditional GETs and the spacing between requests.
Unknown paths answer 404.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

import pytest


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float
    raw_query: str = ""
    wfile: BinaryIO | None = field(default=None, repr=False)
    connection: socket.socket | None = field(default=None, repr=False)


@dataclass
class Response:
    """What a handler answers. ``body`` bytes get a Content-Length; an iterable is streamed then closed."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], "Response | None"]


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1, on a free port, for one test."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.prefixes: dict[str, Handler] = {}  # path prefix -> handler, for APIs with ids in the path
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler_class(self))
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(
        self,
        path: str,
        body: bytes | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        handler: Handler | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """Serve ``path`` (no query part); returns its full URL."""
        if handler is None:
            handler = _static(body or b"", status, dict(headers or {}), etag, last_modified)
        self.routes[path] = handler
        return self.url + path

    def add_prefix(self, prefix: str, handler: Handler) -> str:
        """Serve every path under ``prefix`` not served by ``add`` (the longest prefix wins)."""
        self.prefixes[prefix] = handler
        return self.url + prefix

    def route(self, path: str) -> Handler | None:
        if path in self.routes:
            return self.routes[path]
        matching = [p for p in self.prefixes if path.startswith(p)]
        return self.prefixes[max(matching, key=len)] if matching else None

    def hits(self, path: str) -> list[Request]:
        """The logged requests for one path."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def _static(body: bytes, status: int, headers: dict[str, str], etag: str | None, last_modified: str | None) -> Handler:
    def handle(request: Request) -> Response:
        validators = {}
        if etag:
            validators["ETag"] = etag
        if last_modified:
            validators["Last-Modified"] = last_modified
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (etag and inm and etag in [t.strip() for t in inm.split(",")]) or (
            not inm and last_modified and ims == last_modified
        ):
            return Response(304, b"", validators)
        return Response(status, body, {**validators, **headers})

    return handle


def _make_handler_class(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._dispatch()

        def do_HEAD(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                time=time.monotonic(),
                raw_query=parts.query,
                wfile=self.wfile,
                connection=self.connection,
            )
            server._log(request)
            handler = server.route(parts.path)
            response = handler(request) if handler else Response(404, b"not found", {"Content-Type": "text/plain"})
            if response is None:  # the handler wrote (or broke) the connection itself
                self.close_connection = True
                return
            try:
                self._send(response)
            except (BrokenPipeError, ConnectionResetError, OSError):
                self.close_connection = True

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            names = {k.lower() for k in response.headers}
            for name, value in response.headers.items():
                self.send_header(name, value)
            if isinstance(response.body, (bytes, bytearray)):
                if "content-length" not in names:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD" and response.status not in (204, 304):
                    self.wfile.write(response.body)
                self.wfile.flush()
                return
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            for chunk in response.body:
                if server.stopping.is_set():
                    break
                self.wfile.write(chunk)
                self.wfile.flush()

    return _Handler


# Hostile handlers -------------------------------------------------------------------------------


def drip(data: bytes, interval: float = 1.0, headers: dict[str, str] | None = None) -> Handler:
    """Send ``data`` one byte every ``interval`` seconds (no Content-Length)."""

    def chunks() -> Iterator[bytes]:
        for i in range(len(data)):
            yield data[i : i + 1]
            time.sleep(interval)

    return lambda request: Response(200, chunks(), dict(headers or {"Content-Type": "application/rss+xml"}))


def endless(chunk: bytes = b"x" * 65536, headers: dict[str, str] | None = None) -> Handler:
    """A body with no length that never ends (until the client hangs up or the server stops)."""

    def chunks() -> Iterator[bytes]:
        while True:
            yield chunk

    return lambda request: Response(200, chunks(), dict(headers or {"Content-Type": "application/rss+xml"}))


def redirect(location: str, status: int = 302) -> Handler:
    """Answer with a redirect to ``location`` (absolute or relative)."""
    return lambda request: Response(status, b"", {"Location": location})


def reset_after(prefix: bytes, content_length: int = 100_000) -> Handler:
    """Promise ``content_length`` bytes, send ``prefix``, then reset the connection (RST, not FIN)."""

    def handle(request: Request) -> None:
        assert request.wfile is not None and request.connection is not None
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {content_length}\r\n\r\n"
        ).encode()
        request.wfile.write(head + prefix)
        request.wfile.flush()
        time.sleep(0.05)
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
        return None

    return handle


def slow_headers(header_bytes: int, interval: float) -> Handler:
    """A status line and one endless-looking header written a byte per ``interval``: headers that never end."""

    def handle(request: Request) -> None:
        assert request.wfile is not None
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * header_bytes:
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(interval)
        return None

    return handle


def raw(data: bytes) -> Handler:
    """Write ``data`` verbatim to the socket (broken status lines, bad headers) and close."""

    def handle(request: Request) -> None:
        assert request.wfile is not None
        request.wfile.write(data)
        request.wfile.flush()
        return None

    return handle


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A fresh ``LocalServer`` on 127.0.0.1 for one test, stopped afterwards."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()
