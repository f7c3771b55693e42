"""An httpx transport whose every socket operation respects a per-request total deadline.

httpx's timeouts bound each connect, read and write separately, so a server that drips one byte a
second (in the headers or the body) never trips them.  Here the network backend clamps each of those
timeouts to what is left of the current request's deadline, so the request is cut when the deadline
passes, wherever it is.  The deadline is thread-local: one client can serve several threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

_TINY = 0.001  # a timeout of 0 means "block forever" to some socket calls; use a tiny one instead


class Deadline(threading.local):
    """The monotonic time by which the current thread's request must be done (None: no deadline)."""

    at: float | None = None

    def clamp(self, timeout: float | None) -> float | None:
        if self.at is None:
            return timeout
        remaining = max(_TINY, self.at - time.monotonic())
        return remaining if timeout is None else min(timeout, remaining)

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at - 0.01


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's synchronous backend with every timeout clamped to ``deadline``."""

    def __init__(self, deadline: Deadline, guard: Any = None) -> None:
        """``guard`` (a ``crawler.netguard.AddressGuard``) vets every host before connecting to it."""
        self._inner = httpcore2.SyncBackend()
        self.deadline = deadline
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        if self.guard is not None:
            host = self.guard.check(host, port)[0]  # connect to the address that was checked, not a new lookup
        stream = self._inner.connect_tcp(host, port, self.deadline.clamp(timeout), local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self.deadline.clamp(timeout), socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx2.HTTPTransport):
    """``httpx2.HTTPTransport`` over a ``DeadlineBackend`` (no proxy support: we connect directly)."""

    def __init__(self, deadline: Deadline, *, limits: httpx2.Limits | None = None, guard: Any = None) -> None:
        limits = limits or httpx2.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0)
        super().__init__(limits=limits, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; rebuild it with ours.
        self._pool.close()
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(deadline, guard),
        )
