"""OpenAlex, the open scholarly graph: works citing given works, and single works by DOI or id.

Since February 2026 OpenAlex wants a (free) API key: a lookup of one work (by id or DOI) costs nothing,
a list or filter call costs from a small daily budget.  So the citation watch asks for works citing many
catalog entries in one call (``cites:W1|W2|...``, ``BATCH`` ids a filter), dated from its last run,
paged by cursor, 100 results a page; and enrichment uses singletons only.  A 429 means the day's budget
is spent: ``BudgetExhausted`` says when it renews (``Retry-After``, OpenAlex's ``X-RateLimit-Reset``, or
the next midnight UTC) so the source waits instead of failing again and again.

The API key and ``mailto`` travel as query parameters, as OpenAlex documents; error messages never carry
them (``_redact``).  Parsing is pure: ``parse_work`` turns one work's JSON into an ``OpenAlexWork``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from crawler.errors import FetchError, ParseError
from crawler.ids import arxiv_id, canonical_id, normalize_doi
from crawler.items import Item
from crawler.settings import DEFAULT_OPENALEX_URL as DEFAULT_ENDPOINT
from crawler.text import SUMMARY_MAX, TITLE_MAX, clean_text

if TYPE_CHECKING:
    from crawler.http import PoliteClient

BATCH = 50  # catalog works per cites: filter (OpenAlex takes up to 100 OR-ed values)
PER_PAGE = 100  # the most a list call returns: fewer calls for the same works
MAX_PAGES = 20  # per batch and run: 2,000 citing works is a flood, not a week
JSON_ACCEPT = "application/json"
SELECT = ("id,doi,display_name,publication_date,abstract_inverted_index,authorships,primary_location,locations,"
          "referenced_works,ids,is_retracted,type")
_W_ID = re.compile(r"^(?:https?://openalex\.org/)?(W\d+)$", re.IGNORECASE)
_CODE = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[\w.\-]+/[\w.\-]+", re.IGNORECASE)


class BudgetExhausted(FetchError):
    """OpenAlex answered 429: the day's list budget is spent (or the rate was too high) until ``retry_after``."""


@dataclass(frozen=True)
class Access:
    """How to reach OpenAlex: its endpoint, the API key (never shown) and the contact address."""

    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = field(default=None, repr=False)
    mailto: str | None = None

    def params(self) -> dict[str, str]:
        out = {}
        if self.api_key:
            out["api_key"] = self.api_key
        if self.mailto:
            out["mailto"] = self.mailto
        return out


@dataclass(frozen=True)
class Authorship:
    name: str
    institutions: tuple[str, ...] = ()
    raw_affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenAlexWork:
    """What rsiwatch uses of one OpenAlex work."""

    openalex_id: str  # W123
    canonical_id: str | None  # arxiv:..., doi:..., or None when it names neither
    title: str
    summary: str
    published: str | None
    doi: str | None  # the published version's DOI (not arXiv's own), lower case
    venue: str | None  # the journal or conference of a published version
    landing_url: str | None
    authorships: tuple[Authorship, ...] = ()
    referenced_works: tuple[str, ...] = ()  # W ids
    code_url: str | None = None
    retracted: bool = False

    @property
    def affiliations(self) -> str | None:
        """The Author Affiliations column: institutions in byline order, each once; raw strings where an
        author has no institution."""
        seen: dict[str, None] = {}
        for a in self.authorships:
            for name in a.institutions or a.raw_affiliations:
                seen.setdefault(" ".join(name.split()), None)
        return "; ".join(seen) or None

    def to_item(self) -> Item | None:
        if self.canonical_id is None:
            return None
        url = self.landing_url or (f"https://doi.org/{self.doi}" if self.doi else f"https://openalex.org/{self.openalex_id}")
        return Item(
            canonical_id=self.canonical_id, title=self.title, summary=self.summary, url=url,
            key=f"openalex:{self.openalex_id}", published=self.published,
            authors=tuple(a.name for a in self.authorships), links=tuple(x for x in (self.code_url,) if x),
        )


def w_id(value: Any) -> str | None:
    """``W123`` from ``https://openalex.org/W123`` or ``W123``; None otherwise."""
    match = _W_ID.match(str(value or "").strip())
    return match.group(1).upper() if match else None


def abstract_text(inverted: Mapping[str, Sequence[int]] | None) -> str:
    """OpenAlex keeps abstracts as word -> positions; the words back in their order."""
    if not inverted:
        return ""
    positions = [(p, word) for word, places in inverted.items() for p in places if isinstance(p, int)]
    return " ".join(word for _, word in sorted(positions))


def _venue(location: Mapping[str, Any] | None) -> str | None:
    source = (location or {}).get("source") or {}
    name = source.get("display_name")
    if not name or source.get("type") == "repository" or "arxiv" in str(name).lower():
        return None  # arXiv (a repository) is where a preprint lives, not where it was published
    return clean_text(str(name), 300)


def _landing(work: Mapping[str, Any]) -> str | None:
    for location in [work.get("primary_location") or {}, *(work.get("locations") or [])]:
        url = (location or {}).get("landing_page_url")
        if url:
            return str(url)
    return None


def _arxiv_of(work: Mapping[str, Any]) -> str | None:
    for value in (work.get("doi"), (work.get("ids") or {}).get("doi")):
        found = arxiv_id(str(value)) if value else None
        if found:
            return found
    for location in work.get("locations") or []:
        url = (location or {}).get("landing_page_url") or ""
        found = arxiv_id(str(url)) if "arxiv.org" in str(url) else None
        if found:
            return found
    return None


def parse_work(work: Mapping[str, Any]) -> OpenAlexWork:
    """One work of OpenAlex's JSON; ``ParseError`` when it has no id."""
    oid = w_id(work.get("id"))
    if oid is None:
        raise ParseError(f"OpenAlex: a work without an id: {str(work)[:80]}")
    cid, published_doi = _identity(work)
    summary = clean_text(abstract_text(work.get("abstract_inverted_index")), SUMMARY_MAX)
    code = _CODE.search(summary)
    return OpenAlexWork(
        openalex_id=oid,
        canonical_id=cid,
        title=clean_text(str(work.get("display_name") or work.get("title") or ""), TITLE_MAX),
        summary=summary,
        published=str(work["publication_date"]) if work.get("publication_date") else None,
        doi=published_doi,
        venue=_venue(work.get("primary_location")),
        landing_url=_landing(work),
        authorships=_authorships(work.get("authorships") or []),
        referenced_works=tuple(x for x in (w_id(r) for r in work.get("referenced_works") or []) if x),
        code_url=code.group(0).rstrip(".") if code else None,
        retracted=bool(work.get("is_retracted")),
    )


def _identity(work: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the canonical id: its arXiv id, else its DOI; the DOI of a published version: not arXiv's own)."""
    arxiv = _arxiv_of(work)
    doi = normalize_doi(str(work["doi"])) if work.get("doi") else None
    published_doi = doi if doi and not doi.startswith("10.48550/") else None
    if arxiv:
        return canonical_id(arxiv=arxiv), published_doi
    return (canonical_id(doi=doi) if doi else None), published_doi


def _authorships(given: Sequence[Any]) -> tuple[Authorship, ...]:
    """The named authors, each with its institutions and the affiliation strings as written."""
    out = (_authorship(a) for a in given if isinstance(a, Mapping))
    return tuple(a for a in out if a.name)


def _authorship(given: Mapping[str, Any]) -> Authorship:
    author = given.get("author") or {}
    return Authorship(
        name=clean_text(str(author.get("display_name") or given.get("raw_author_name") or ""), 300),
        institutions=tuple(
            clean_text(str(i.get("display_name")), 300) for i in given.get("institutions") or []
            if i and i.get("display_name")
        ),
        raw_affiliations=tuple(clean_text(str(s), 300) for s in given.get("raw_affiliation_strings") or [] if s),
    )


def _redact(text: str, access: Access) -> str:
    return text.replace(access.api_key, "[api key]") if access.api_key else text


def renewal(error: FetchError, now: datetime | None = None) -> float:
    """Seconds until the budget renews: Retry-After, X-RateLimit-Reset (seconds), else next midnight UTC."""
    if error.retry_after:
        return float(error.retry_after)
    reset = (getattr(error, "headers", None) or {}).get("x-ratelimit-reset")
    try:
        if reset is not None and 0 < float(reset) < 86_400 * 2:
            return float(reset)
    except ValueError:
        pass
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def _get_json(client: PoliteClient, url: str, access: Access) -> tuple[dict[str, Any], int]:
    try:
        fetched = client.get(url, accept=JSON_ACCEPT)
    except FetchError as exc:
        if exc.status == 429:
            wait = renewal(exc)
            when = (datetime.now(UTC) + timedelta(seconds=wait)).strftime("%Y-%m-%d %H:%M UTC")
            raise BudgetExhausted(
                f"OpenAlex: the day's budget is spent (HTTP 429); waiting until {when}", retry_after=wait, status=429
            ) from None
        raise FetchError(_redact(str(exc), access), retry_after=exc.retry_after, status=exc.status) from None
    try:
        data = json.loads(fetched.body)
    except ValueError:
        raise ParseError(f"OpenAlex: not JSON from {_redact(fetched.url, access)}") from None
    if not isinstance(data, dict):
        raise ParseError("OpenAlex: expected a JSON object")
    return data, fetched.requests


def lookup(client: PoliteClient, access: Access, ref: str) -> tuple[OpenAlexWork | None, int]:
    """One work by ``doi:10...``, an arXiv id (through arXiv's DOI) or ``W123`` (free); None when unknown.
    A merged work answers with a redirect to the surviving one, which the client follows."""
    arxiv = arxiv_id(ref) if not ref.startswith("doi:") else None
    key = f"doi:10.48550/arXiv.{arxiv}" if arxiv else ref
    url = f"{access.endpoint.rstrip('/')}/works/{quote(key, safe=':/.')}?{urlencode(access.params())}".rstrip("?")
    try:
        data, requests = _get_json(client, url, access)
    except FetchError as exc:
        if exc.status == 404:
            return None, 1
        raise
    return parse_work(data), requests


@dataclass
class CitingPage:
    works: list[OpenAlexWork]
    next_cursor: str | None
    requests: int


def citing_url(access: Access, cited: Sequence[str], since: str | None, cursor: str) -> str:
    filters = ["cites:" + "|".join(cited)]
    if since:
        filters.append(f"from_publication_date:{since[:10]}")
    params = {
        "filter": ",".join(filters),
        "per_page": str(PER_PAGE),
        "cursor": cursor,
        "select": SELECT,
        **access.params(),
    }
    return f"{access.endpoint.rstrip('/')}/works?{urlencode(params, safe=':|,*')}"


def citing_pages(client: PoliteClient, access: Access, cited: Sequence[str], since: str | None) -> Iterator[CitingPage]:
    """Works citing any of ``cited`` (W ids), published since ``since``, page by page (cursor paging)."""
    cursor: str | None = "*"
    pages = 0
    while cursor and pages < MAX_PAGES:
        data, requests = _get_json(client, citing_url(access, cited, since, cursor), access)
        results = data.get("results") or []
        works = [parse_work(w) for w in results if isinstance(w, Mapping)]
        pages += 1
        cursor = (data.get("meta") or {}).get("next_cursor") if results else None
        yield CitingPage(works, cursor, requests)


def batches(values: Sequence[str], size: int = BATCH) -> list[list[str]]:
    return [list(values[i : i + size]) for i in range(0, len(values), size)]
