"""The trend's inputs read from the store: the stream per quarter and the review history in it.

The edge where ``rsiwatch.tuning.trend``'s pure estimate meets the database; the history and its audit
weights are the ones ``tune`` reads (``rsiwatch.tuning.report.load_history``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict

from rsiwatch.store import Store
from rsiwatch.tuning.report import load_history
from rsiwatch.tuning.threshold import Reviewed
from rsiwatch.tuning.trend import ShareEstimate, quarter, share_estimate


def quarterly_shares(store: Store) -> list[ShareEstimate]:
    """Per quarter of the watched arXiv stream, oldest first: its works and the estimated share in
    scope (``share`` None where the audit has not seen enough of that quarter)."""
    works: dict[str, int] = defaultdict(int)
    above: dict[str, int] = defaultdict(int)
    days: dict[str, int] = defaultdict(int)
    for month, n, queued in store.history.stream_months():
        q = quarter(month)
        if q is None:
            continue
        works[q] += n
        above[q] += queued
        days[q] += calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
    history, _ = load_history(store)
    stream = [r for r in history if r.work_id.startswith("arxiv:")]
    dates = store.history.published_dates([r.work_id for r in stream])
    by_quarter: dict[str, list[Reviewed]] = defaultdict(list)
    for r in stream:
        q = quarter(dates.get(r.work_id))
        if q is not None:
            by_quarter[q].append(r)
    return [
        share_estimate(q, by_quarter.get(q, []), works=works[q], above=above[q], weeks=days[q] / 7)
        for q in sorted(works)
    ]
