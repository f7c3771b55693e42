"""How often we may knock on each host's door.

``HostGate`` gives each host (or each *group* of hosts that share one budget: arXiv's API, RSS and
OAI-PMH count as one site) one request at a time, spaced by the configured delay measured from the end
of the previous request.  ``defer`` pushes the next slot later (Retry-After, backoff, robots.txt
Crawl-delay).  The clock and sleep are injectable so tests need not wait.

Spacing inside one process is not enough: two crawls run back to back, or a backfill resumed after a
kill, would knock again at once.  A ``LastRequestStore`` (the application keeps it in its database)
carries each host's (group's) last request time from one process to the next: the gate reads it before
each request and writes it when a request starts and when it ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from crawler.settings import Politeness

# A robots.txt Crawl-delay above this is taken as this: a typo must not stall a source for a day.
MAX_CRAWL_DELAY_S = 60.0


class LastRequestStore(Protocol):
    """Where each host's (or group's) last request time outlives the process that made it.

    Times are wall-clock seconds (``time.time()``): another process's monotonic clock means nothing here.
    A store that cannot write right now (its database busy) may keep the time and write it later, but
    must never raise: politeness is no reason to fail a fetch.
    """

    def last_request(self, key: str) -> float | None:
        """When the latest request to ``key`` started or ended (whichever is later); None if never."""
        ...

    def note_request(self, key: str, at: float) -> None:
        """Remember that a request to ``key`` was under way at ``at``."""
        ...


class GateClosed(Exception):
    """The crawler is shutting down: no more waiting for a host."""


@dataclass
class _Slot:
    busy: bool = False
    next_at: float = 0.0  # clock time before which no request may start
    extra_delay: float = 0.0  # raised by robots.txt Crawl-delay


class HostGate:
    """Thread-safe minimum spacing per host or host group."""

    def __init__(
        self,
        politeness: Politeness,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
        memory: LastRequestStore | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._politeness = politeness
        self._clock = clock
        # Other processes' requests (``memory``), read on the wall clock and turned into our clock's time.
        self._memory = memory
        self._wall = wall
        # With a stop event, waits end as soon as it is set (daemon shutdown) and acquire raises GateClosed.
        self._stop = stop
        self._sleep = sleep if stop is None or sleep is not time.sleep else stop.wait
        self._cond = threading.Condition()
        self._slots: dict[str, _Slot] = {}
        self._group_of: dict[str, str] = {}
        for group, hosts in politeness.host_groups.items():
            for host in hosts:
                self._group_of[host.lower()] = f"group:{group}"

    def key(self, host: str) -> str:
        """The budget a host draws on: its group's, else its own."""
        host = host.lower().rstrip(".")
        return self._group_of.get(host, host)

    def delay(self, host: str) -> float:
        """Seconds between two requests to ``host`` (for a group: the largest delay among its members)."""
        host = host.lower().rstrip(".")
        per_host = {h.lower(): d for h, d in self._politeness.per_host_delay_s.items()}
        key = self.key(host)
        if key.startswith("group:"):
            members = [h for h, k in self._group_of.items() if k == key]
            configured = [per_host[h] for h in members if h in per_host]
            base = max(configured) if configured else self._politeness.default_delay_s
        else:
            base = per_host.get(host, self._politeness.default_delay_s)
        with self._cond:
            slot = self._slots.get(key)
            return max(base, slot.extra_delay) if slot else base

    @contextmanager
    def slot(self, host: str) -> Iterator[float]:
        """Hold ``host``'s budget for one request; yields the seconds spent waiting for it."""
        waited = self.acquire(host)
        try:
            yield waited
        finally:
            self.release(host)

    def acquire(self, host: str) -> float:
        """Wait until ``host`` is free and its delay has passed, then mark it busy."""
        key = self.key(host)
        waited = 0.0
        while True:
            if self._stop is not None and self._stop.is_set():
                raise GateClosed(f"stopping: no more requests to {host}")
            elsewhere = self._wait_for_elsewhere(host, key)
            with self._cond:
                slot = self._slots.setdefault(key, _Slot())
                if slot.busy:
                    started = time.monotonic()
                    self._cond.wait(timeout=1.0)
                    waited += time.monotonic() - started
                    continue
                wait = max(slot.next_at - self._clock(), elsewhere)
                if wait <= 0:
                    slot.busy = True
                    break
            self._sleep(wait)
            waited += wait
        self._remember(key)
        return waited

    def _wait_for_elsewhere(self, host: str, key: str) -> float:
        """Seconds before ``key`` may be asked again, by the last request any process made (<= 0: now)."""
        if self._memory is None:
            return 0.0
        last = self._memory.last_request(key)
        if last is None:
            return 0.0
        return last + self.delay(host) - self._wall()

    def _remember(self, key: str) -> None:
        if self._memory is not None:
            self._memory.note_request(key, self._wall())

    def release(self, host: str) -> None:
        """Free ``host`` and start its delay from now."""
        delay = self.delay(host)
        key = self.key(host)
        self._remember(key)  # the spacing runs from the end of the request, for the next process too
        with self._cond:
            slot = self._slots.setdefault(key, _Slot())
            slot.busy = False
            slot.next_at = max(slot.next_at, self._clock() + delay)
            self._cond.notify_all()

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` (or its group) before ``seconds`` from now: Retry-After, backoff."""
        key = self.key(host)
        with self._cond:
            slot = self._slots.setdefault(key, _Slot())
            slot.next_at = max(slot.next_at, self._clock() + max(0.0, seconds))

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        """Raise ``host``'s spacing to a robots.txt Crawl-delay (never lowers the configured delay)."""
        key = self.key(host)
        with self._cond:
            slot = self._slots.setdefault(key, _Slot())
            slot.extra_delay = max(slot.extra_delay, min(max(0.0, seconds), MAX_CRAWL_DELAY_S))

    def ready_in(self, host: str) -> float:
        """Seconds until ``host`` could be asked again (0 when free now)."""
        with self._cond:
            slot = self._slots.get(self.key(host))
            return max(0.0, slot.next_at - self._clock()) if slot else 0.0
