"""``rsiwatch sources add`` as a library call: which kind a new source is, what a look at its URL tells,
and the config text with it added (one line at the end of ``sources:``, comments kept).

The command line only turns its options into ``SourceRequest`` and the errors into its own: a
``SourceOptionError`` names the option at fault, a ``SourceRefused`` is a one-line failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.errors import CrawlError, FetchError
from rsiwatch.config import Config
from rsiwatch.source_list import add_source_text
from rsiwatch.source_probe import PROBED_KINDS, guarded_client, probe


class SourceOptionError(ValueError):
    """An option that cannot stand (``option``: the one to fix)."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


class SourceRefused(Exception):
    """The source was looked at and cannot be added as asked."""


@dataclass(frozen=True)
class SourceRequest:
    name: str
    kind: str | None = None
    url: str | None = None
    every: str | None = None
    query: str | None = None
    threshold: float | None = None
    split_stories: bool | None = None
    follow_links: bool = False
    selectors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceAdded:
    text: str  # the config file's new text
    entry: dict[str, Any]  # the source as written
    notes: list[str]  # what the look at the URL found, for the user


def source_entry(request: SourceRequest) -> dict[str, Any]:
    """The config entry as given: selectors make it ``html``; without a kind it is a ``feed`` (to be looked at)."""
    kind = request.kind
    if kind is None and request.selectors:
        kind = "html"  # selectors say how to read a page
    if kind is None and not request.url:
        raise SourceOptionError("give --url (or --kind arxiv_api --query ...)", "--url")
    entry: dict[str, Any] = {"name": request.name, "kind": kind or "feed"}
    for key, value in (("url", request.url), ("every", request.every), ("query", request.query),
                       ("threshold", request.threshold)):
        if value is not None:
            entry[key] = value
    if request.split_stories:
        entry["split_stories"] = True
    if request.follow_links:
        entry["follow_links"] = True
    if request.selectors:
        entry["select"] = request.selectors
    return entry


def add_source(config: Config, config_text: str, path: Path, request: SourceRequest) -> SourceAdded:
    """Decide the new source's entry and, for a URL without a kind (or a feed), fetch it once through the
    guarded client to see what it is: a page that names its feed is read through that feed, a newsletter's
    feed is split into stories.  Nothing is written here."""
    entry = source_entry(request)
    if any(s.name == request.name for s in config.sources):
        raise SourceOptionError(f"a source named {request.name!r} exists already", "NAME")
    add_source_text(config_text, entry, path)  # a bad --every or a missing url fails before any fetch
    notes: list[str] = []
    kind = "html" if request.kind is None and request.selectors else request.kind
    if kind in PROBED_KINDS and request.url:
        try:
            with guarded_client(config) as client:
                found = probe(client, request.url, kind, request.split_stories)
        except CrawlError as exc:
            if kind is None:
                raise SourceRefused(
                    f"cannot tell how to read it: {exc} (give --kind to add it without looking)"
                ) from None
            if not isinstance(exc, FetchError):
                raise SourceRefused(str(exc)) from None  # it was read, and is not what --kind says
            notes.append(f"could not look at it ({exc}); added as given")
        else:
            entry.update(found.fields)
            notes += found.notes
    return SourceAdded(add_source_text(config_text, entry, path), entry, notes)
