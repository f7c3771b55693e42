"""robots.txt, fetched once per host through the polite client and obeyed for HTML pages.

Follows RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be reached
(5xx, network failure) disallows everything for a while; only the first 500 KiB count.  A Crawl-delay
raises the host's spacing in the ``HostGate``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from crawler.errors import FetchError

if TYPE_CHECKING:
    from crawler.http import PoliteClient

ROBOTS_TTL_S = 24 * 3600.0
UNREACHABLE_TTL_S = 3600.0
ROBOTS_MAX_BYTES = 500 * 1024


class RobotsCache:
    """``allowed(url)`` per host's robots.txt, cached for a day."""

    def __init__(self, client: PoliteClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[float, Protego | bool]] = {}  # origin -> (expires, rules or allow-all)

    def allowed(self, url: str) -> bool:
        """May we fetch ``url``?  Fetches the host's robots.txt the first time."""
        if not self._client.politeness.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self._rules_for(origin, parts.hostname or "")
        if isinstance(rules, bool):
            return rules
        return bool(rules.can_fetch(url, self._client.user_agent))

    def _rules_for(self, origin: str, host: str) -> Protego | bool:
        with self._lock:
            cached = self._rules.get(origin)
        if cached and cached[0] > self._clock():
            return cached[1]
        rules: Protego | bool
        ttl = ROBOTS_TTL_S
        try:
            fetched = self._client.get(origin + "/robots.txt", accept="text/plain")
            rules = Protego.parse(fetched.body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace"))
            delay = rules.crawl_delay(self._client.user_agent)
            if delay:
                self._client.gate.set_crawl_delay(host, float(delay))
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                rules = True
            else:
                rules, ttl = False, UNREACHABLE_TTL_S
        with self._lock:
            self._rules[origin] = (self._clock() + ttl, rules)
        return rules
