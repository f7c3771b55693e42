"""The two ways a source can fail, both phrased as the one line a user should see.

``CrawlError`` is the common base so the pipeline can record any crawler failure for its source and go
on with the others, without catching programming errors by accident.
"""

from __future__ import annotations


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (server messages may hold newlines) and cap the length."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CrawlError(Exception):
    """A source could not be crawled; ``str()`` is one line naming the URL and the cause."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message, 500))


class FetchError(CrawlError):
    """The network part failed: connection, timeout, size cap, redirects, an HTTP error status.

    ``retry_after`` is set (seconds) when the server asked us to come back later, so the scheduler can
    defer the source instead of hammering it; ``status`` and a capped ``body`` are kept for error pages
    that carry a message (arXiv's API answers 400 with an Atom error feed).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.body = body
        self.headers = headers or {}  # the error response's headers (lower-case names): budgets, resets


class ParseError(CrawlError):
    """The bytes arrived but are not what the source kind expects (HTML for a feed, an API error...)."""
