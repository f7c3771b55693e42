"""The crawler's settings as plain values, with every default in one place.

The crawler takes its limits as values, the way httpx takes a ``Timeout``: ``PoliteClient(HttpSettings(),
Politeness(), contact)`` works without the application.  rsiwatch's typed config validates the user's
``config.yaml`` and maps onto these at its edge (``rsiwatch.config``); its defaults are the ones here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from types import MappingProxyType
from typing import Literal, get_args

DISTRIBUTION = "rsiwatch"

# HTTP: every fetch is bounded in time, size and hops.
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_TOTAL_TIMEOUT_S = 90.0
DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_RETRIES = 2

# Politeness: one request at a time per host, spaced by a delay.
DEFAULT_DELAY_S = 1.0
# arXiv asks for one request every 3 s across its API, RSS and OAI-PMH together.
ARXIV_HOSTS = ("export.arxiv.org", "rss.arxiv.org", "arxiv.org", "oaipmh.arxiv.org")
ARXIV_DELAY_S = 3.0
DEFAULT_PER_HOST_DELAY_S: Mapping[str, float] = MappingProxyType({host: ARXIV_DELAY_S for host in ARXIV_HOSTS})
# Hosts that share one request budget: arXiv's API, RSS and OAI-PMH count as one site.
DEFAULT_HOST_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType({"arxiv": ARXIV_HOSTS})
DEFAULT_MAX_RETRY_AFTER_S = 3600.0

# Sources.
SourceKind = Literal["feed", "arxiv_rss", "arxiv_api", "html", "oai_pmh", "openalex"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_OPENALEX_URL = "https://api.openalex.org"
DEFAULT_MAX_RESULTS = 200
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    total_timeout_s: float = DEFAULT_TOTAL_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    retries: int = DEFAULT_RETRIES
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class Politeness:
    default_delay_s: float = DEFAULT_DELAY_S
    per_host_delay_s: Mapping[str, float] = field(default_factory=lambda: DEFAULT_PER_HOST_DELAY_S)
    host_groups: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_HOST_GROUPS)
    obey_robots: bool = True
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for an ``html`` source; ``a@href`` reads an attribute."""

    item: str
    title: str | None = None
    link: str | None = None
    summary: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    """What the crawler needs to know of one source to fetch and parse it (not when: that is the app's)."""

    name: str
    kind: SourceKind
    url: str | None = None
    query: str | None = None
    max_results: int = DEFAULT_MAX_RESULTS
    page_size: int = DEFAULT_PAGE_SIZE
    include_replacements: bool = False
    split_stories: bool = False
    follow_links: bool = False
    select: Selectors | None = None

    @property
    def endpoint(self) -> str:
        """The URL this source fetches (``arxiv_api`` defaults to arXiv's own API, ``openalex`` to OpenAlex's)."""
        return self.url or (DEFAULT_OPENALEX_URL if self.kind == "openalex" else DEFAULT_ARXIV_API_URL)


@cache
def package_version() -> str:
    """The installed distribution's version (pyproject.toml is its one home)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
