"""The public form's inbox, read after the fact: each submission's page is fetched here, by a crawl,
never inside the web request that received it.

A submission is never lost.  When its page cannot be read (offline, refused by the SSRF guard, an error
page), it joins the queue anyway as a placeholder work named by its URL, carrying the reason, the name
and the fetch error; the fetch is tried again by later crawls, and once the page is read the placeholder
gets the page's title and summary and is scored again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crawler.errors import CrawlError, one_line
from crawler.ids import canonical_id, canonical_url
from crawler.items import Item
from rsiwatch.config import Config
from rsiwatch.scoring import score_works
from rsiwatch.store import Store
from rsiwatch.submit import Submission, file_submission, read_page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeReport:
    read: int = 0  # pages read and filed (or filled in for a placeholder)
    unread: int = 0  # pages that could not be read this time (queued as placeholders, to be tried again)

    @property
    def handled(self) -> int:
        return self.read + self.unread


def placeholder_item(url: str) -> Item:
    """What the queue shows for a page not yet read: its URL as the title (the reason is shown beside it)."""
    return Item(canonical_id(url), url, "", url, key=f"submitted:{canonical_url(url)}")


def process_inbox(config: Config, store: Store, now: str | None = None) -> IntakeReport:
    """Read every submission that is due (at ``now``, default the present), oldest first."""
    read = unread = 0
    for row in store.submissions.inbox_due(now):
        _, error = process_submission(config, store, row)
        if error is None:
            read += 1
        else:
            unread += 1
    return IntakeReport(read, unread)


def take_submission(config: Config, store: Store, url: str, why: str | None,
                    submitter: str | None) -> tuple[Submission, str | None]:
    """A submission from the command line, kept the way the public form's are (one path): into the inbox,
    then read at once; when its page cannot be read it is queued anyway with the fetch error, and later
    crawls try again.  Returns what was filed and the fetch error (None when the page was read)."""
    inbox_id = store.submissions.inbox_add(url, why or "", submitter)
    [row] = [r for r in store.submissions.inbox_due() if r["id"] == inbox_id]
    filed, error = process_submission(config, store, row)
    assert filed is not None  # a first attempt always files the work (a placeholder when unread)
    return filed, error


def process_submission(config: Config, store: Store, row: dict[str, Any]) -> tuple[Submission | None, str | None]:
    """Read one inbox row's page and file it; on a fetch error, queue a placeholder (once) and schedule a
    retry.  Returns what was filed (None for a retry of a placeholder) and the fetch error, if any."""
    url = row["url"]
    why = row["why"] or None
    try:
        item = read_page(config, url, db_path=store.path)
    except CrawlError as exc:
        error = one_line(str(exc))
        work_id = row["work_id"]
        known = store.works.work(canonical_id(url))
        if work_id is None and known is not None and known["title"] != url:
            # A work already known by its own text: the suggestion is a sighting and a note; its page
            # has nothing to add, so there is no fetch to retry and no error to show.
            filed = file_submission(config, store, placeholder_item(url), url, why, submitter=row["submitter"])
            store.submissions.inbox_read(row["id"], filed.canonical_id)
            return filed, None
        placeholder = None
        if work_id is None:
            placeholder = file_submission(
                config, store, placeholder_item(url), url, why, submitter=row["submitter"], fetch_error=error,
            )
            work_id = placeholder.canonical_id
        store.submissions.inbox_failed(row["id"], error, work_id)
        log.warning("submission %s: %s (queued; the page will be read later)", url, error)
        return placeholder, error
    if row["work_id"] is None:
        filed = file_submission(config, store, item, url, why, submitter=row["submitter"])
        store.submissions.inbox_read(row["id"], filed.canonical_id)
        return filed, None
    fill_in(config, store, row["work_id"], url, item)
    store.submissions.inbox_read(row["id"], row["work_id"])
    return None, None


def fill_in(config: Config, store: Store, work_id: str, url: str, item: Item) -> None:
    """A placeholder queued under its URL gets the page's text; a work known by its own text keeps it."""
    work = store.works.work(work_id)
    if work is None or work["title"] != url:
        return
    store.submissions.fill_placeholder(
        work_id, title=item.title, summary=item.summary, url=item.url, published=item.published,
        authors=list(item.authors),
    )
    score_works(store, config, [work_id], queue=False, explain_all=True)
