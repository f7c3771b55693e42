"""The small value types that flow out of the crawler: what a source saw, and what it cost to see it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a source mentions: a paper, a post, a newsletter story.

    ``canonical_id`` names the *work* (``arxiv:2401.01234``, ``doi:10.1/x``, ``url:https://...``);
    ``key`` names this mention inside its source (a GUID, a link), so a sighting is recorded once.
    """

    canonical_id: str
    title: str
    summary: str
    url: str
    key: str
    published: str | None = None  # ISO 8601, UTC, when the source says
    authors: tuple[str, ...] = ()
    version: int | None = None  # arXiv version number seen in this mention
    announce_type: str | None = None  # arXiv RSS: new, cross, replace, replace-cross
    links: tuple[str, ...] = ()  # other URLs worth showing: PDF, code, papers it names
    via: str | None = None  # the newsletter issue or listing a story was cut from


def first_per_key(items: Iterable[Item], key: Callable[[Item], str] = attrgetter("key")) -> list[Item]:
    """Items in order, each ``key`` once (the first mention wins): a source lists a thing once.

    ``key`` may name something else to be unique by, e.g. the work (``attrgetter("canonical_id")``)."""
    first: dict[str, Item] = {}
    for item in items:
        first.setdefault(key(item), item)
    return list(first.values())


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional GET sends back next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class SourceResult:
    """Everything one pass over one source produced."""

    items: list[Item] = field(default_factory=list)
    not_modified: bool = False
    validators: Validators = field(default_factory=Validators)
    requests: int = 0
    bytes_read: int = 0
    warnings: list[str] = field(default_factory=list)
