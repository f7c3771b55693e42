"""arXiv's API by ``id_list``: what arXiv says now of papers we already know (version, title, withdrawal,
journal reference, DOI), many ids a request.  The 3-second spacing across arXiv's hosts is the client's."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from crawler.arxiv_api import ATOM_ACCEPT
from crawler.errors import ParseError
from crawler.feed import is_html, parse_document
from crawler.ids import arxiv_id, arxiv_version, normalize_doi
from crawler.text import TITLE_MAX, clean_text

if TYPE_CHECKING:
    from crawler.http import PoliteClient

IDS_PER_REQUEST = 100
_WITHDRAWN = re.compile(r"\b(?:withdrawn|retracted)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ArxivRecord:
    arxiv_id: str
    version: int | None
    title: str
    withdrawn: bool
    journal_ref: str | None
    doi: str | None


def id_list_url(endpoint: str, ids: Sequence[str]) -> str:
    params = urlencode({"id_list": ",".join(ids), "max_results": str(len(ids))}, safe=",")
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{params}"


def parse_records(body: bytes, headers: Mapping[str, str], url: str) -> list[ArxivRecord]:
    result = parse_document(body, headers, url)
    records = []
    for entry in result.entries:
        entry_id = str(entry.get("id") or "")
        if "/api/errors" in entry_id:
            raise ParseError(f"{url}: arXiv API error: {clean_text(entry.get('summary'), 300, html=False)}")
        records.append(_record(entry, entry_id))
    return [r for r in records if r is not None]


def _record(entry: Any, entry_id: str) -> ArxivRecord | None:
    paper = arxiv_id(entry_id)
    if paper is None:
        return None
    comment = clean_text(entry.get("arxiv_comment"), 1000, html=False)
    summary = clean_text(entry.get("summary"), 400, html=False)
    journal = clean_text(entry.get("arxiv_journal_ref"), 500, html=False) or None
    doi = normalize_doi(str(entry.get("arxiv_doi"))) if entry.get("arxiv_doi") else None
    return ArxivRecord(
        arxiv_id=paper, version=arxiv_version(entry_id),
        title=clean_text(entry.get("title"), TITLE_MAX, html=is_html(entry.get("title_detail"))),
        withdrawn=bool(_WITHDRAWN.search(comment) or _WITHDRAWN.match(summary)), journal_ref=journal, doi=doi,
    )


def lookup_ids(client: PoliteClient, endpoint: str, ids: Sequence[str]) -> Iterator[tuple[list[ArxivRecord], int]]:
    """(records, requests) per request of up to ``IDS_PER_REQUEST`` ids."""
    for start in range(0, len(ids), IDS_PER_REQUEST):
        chunk = list(ids[start:start + IDS_PER_REQUEST])
        fetched = client.get(id_list_url(endpoint, chunk), accept=ATOM_ACCEPT)
        yield parse_records(fetched.body, fetched.headers, fetched.url), fetched.requests
