"""A page someone sends in: read it, score it, and queue it as submitted whatever its score.

The URL comes from a person, not from the operator's config, so every address it leads to is vetted
(``crawler.netguard``): private, loopback and link-local networks are refused unless the config says
``http.allow_private_addresses: true``, redirects included.  A person asked for this one page, so
robots.txt (a rule for crawlers) is not consulted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crawler.errors import ParseError
from crawler.html import HTML_ACCEPT, page_item
from crawler.http import PoliteClient
from crawler.ids import arxiv_id, canonical_id, canonical_url
from crawler.items import Item
from crawler.link import link_items
from crawler.netguard import AddressGuard
from rsiwatch.config import Config
from rsiwatch.scoring import score_works
from rsiwatch.store import Store
from rsiwatch.store.host_requests import HostRequestLog

SOURCE_NAME = "submitted"
_NOT_HTML = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04")


@dataclass(frozen=True)
class Submission:
    canonical_id: str
    title: str
    url: str
    score: float | None
    status: str
    queued: bool


def fetch_url_for(url: str) -> str:
    """arXiv PDF links are read from the abstract page, which carries the metadata."""
    paper = arxiv_id(url)
    if paper and "/pdf/" in url:
        return f"https://arxiv.org/abs/{paper}"
    return url


def read_page(config: Config, url: str, guard: AddressGuard | None = None, db_path: Path | None = None) -> Item:
    """Fetch and parse the page a person sent, through the SSRF guard; the item names the work.

    With ``db_path``, the host's spacing counts the requests other processes made (an arxiv.org page
    read while the daemon crawls arXiv, or several suggestions of arXiv papers in a row)."""
    guard = guard or AddressGuard(allow_private=config.http.allow_private_addresses)
    target = fetch_url_for(url.strip())
    guard.check_url(target)  # a clear refusal before any connection
    memory = HostRequestLog(db_path) if db_path is not None else None
    try:
        with PoliteClient(config.http.settings, config.politeness.settings, config.contact, guard=guard,
                          memory=memory) as client:
            fetched = client.get(target, accept=HTML_ACCEPT)
    finally:
        if memory is not None:
            memory.close()
    if fetched.body.lstrip()[:8].startswith(_NOT_HTML):
        raise ParseError(f"{url}: not a web page (send the page that describes the work)")
    item = page_item(fetched.body, fetched.url, fetched.headers.get("content-type"))
    own = canonical_id(url)  # the submitted URL's arXiv id or DOI names the work, wherever it redirected
    if not own.startswith("url:") and item.canonical_id.startswith("url:"):
        item = replace(item, canonical_id=own)
    return replace(item, key=f"submitted:{canonical_url(url)}")


def file_submission(
    config: Config, store: Store, item: Item, url: str, note: str | None, *, submitter: str | None = None,
    fetch_error: str | None = None,
) -> Submission:
    """Store the work (linked to what is known), score it, and queue it as submitted unless decided."""
    item = link_items([item], store.linking)[0]
    store.works.ingest(SOURCE_NAME, [item])
    if store.linking.unscored_among([item.canonical_id]):
        score_works(store, config, [item.canonical_id], queue=False, explain_all=True)
    outcome = store.submissions.record_submission(
        item.canonical_id, url, note, submitter=submitter, fetch_error=fetch_error
    )
    work: Mapping[str, Any] = store.works.work(item.canonical_id) or {}
    return Submission(
        canonical_id=item.canonical_id,
        title=work.get("title", item.title),
        url=work.get("url", item.url),
        score=work.get("score"),
        status=outcome["status"],
        queued=outcome["queued"],
    )


def submit(
    config: Config,
    store: Store,
    url: str,
    note: str | None = None,
    guard: AddressGuard | None = None,
    *,
    submitter: str | None = None,
) -> Submission:
    """Read one page now and queue it as submitted (``rsiwatch submit``)."""
    return file_submission(
        config, store, read_page(config, url, guard, db_path=store.path), url, note, submitter=submitter
    )
