"""The trend the catalog exists to track: entries per year by category, and the estimated share of the
watched arXiv stream that is AI improving AI, by quarter.

Pure functions over small values; ``rsiwatch.tuning.trend_report`` reads the inputs from the store.

**The share estimate.** The stream of a period splits the way the review sampled it
(``rsiwatch.tuning.threshold.strata``): works queued for their score (above the threshold) are reviewed as
a census, so their decided part is counted and the undecided rest is corrected by the reviewed
precision; works below it that a curator saw anyway count for themselves; every other work below it
is estimated from the weekly random audit (its weighted relevant share, as ``tune``'s recall estimate
uses it).  Each of the two rates has a Wilson interval; the interval of their weighted sum combines
them by the MOVER method (Zou & Donner 2008: the distances to each rate's interval ends added in
quadrature), which keeps the asymmetry the Wilson intervals have near zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rsiwatch.tuning.threshold import Reviewed, strata, wilson

UNCATEGORISED = "uncategorised"
MIN_AUDITED = 5  # fewer audit decisions in a period: no estimate is shown for it


@dataclass(frozen=True)
class YearCounts:
    """Catalog entries per year and category: ``counts[year][category]``; years and categories sorted."""

    years: tuple[int, ...]
    categories: tuple[str, ...]
    counts: Mapping[int, Mapping[str, int]]

    def total(self, year: int) -> int:
        return sum(self.counts[year].values())


def year_counts(entries: Iterable[Mapping[str, Any]], categories: Sequence[str] = ()) -> YearCounts:
    """Count entries per year by category (entries without a year are left out: they have no place on
    the axis).  ``categories`` gives the order; unknown or missing categories follow it."""
    counts: dict[int, dict[str, int]] = {}
    seen: set[str] = set()
    for e in entries:
        year = e.get("year")
        if not isinstance(year, int):
            continue
        category = e.get("category") or UNCATEGORISED
        seen.add(category)
        row = counts.setdefault(year, {})
        row[category] = row.get(category, 0) + 1
    order = [c for c in categories if c in seen] + sorted(seen - set(categories) - {UNCATEGORISED})
    if UNCATEGORISED in seen:
        order.append(UNCATEGORISED)
    years = tuple(range(min(counts), max(counts) + 1)) if counts else ()
    full = {y: {c: counts.get(y, {}).get(c, 0) for c in order} for y in years}
    return YearCounts(years, tuple(order), full)


@dataclass(frozen=True)
class ShareEstimate:
    """One period's estimated share of in-scope works in the stream, with its 95% interval."""

    period: str
    works: int  # stream works of the period
    weeks: float  # the period's length in weeks, for the per-week figures
    above: int  # of which queued for their score
    share: float | None  # None: not enough audit to say
    low: float | None
    high: float | None
    relevant: float  # estimated in-scope works
    reviewed_above: int
    audited: int
    audit_positives: int

    @property
    def per_week(self) -> float:
        return self.works / self.weeks if self.weeks > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_week": self.per_week}


def share_estimate(
    period: str, history: Sequence[Reviewed], *, works: int, above: int, weeks: float,
    min_audited: int = MIN_AUDITED,
) -> ShareEstimate:
    """The share of ``works`` stream works that are in scope, from the period's decisions ``history``.

    relevant = K + a * p_above + b * p_audit, where K counts accepted decided works (above and below),
    a the undecided works above the threshold, p_above the accepted share of decided ones (the
    reviewed precision), b the works below it that nobody chose to review (the audit's population,
    audited works included) and p_audit the audit's weighted relevant share.  The share is
    relevant / works; its interval is MOVER over the two rates' Wilson intervals.  With fewer than
    ``min_audited`` audit decisions, or undecided works above with no decided one, it is unknown.
    """
    split = strata(history)
    undecided_above = max(above - split.caught_decided, 0)
    rest_below = max(works - above - split.below_decided, 0)
    counted = split.caught + split.found_below
    audit = split.audit_rate
    unknown = (
        works <= 0 or audit is None or len(split.audit_weights) < min_audited
        or (undecided_above > 0 and split.caught_decided == 0)
    )
    base: dict[str, Any] = dict(
        period=period, works=works, weeks=weeks, above=above, reviewed_above=split.caught_decided,
        audited=len(split.audit_weights), audit_positives=int(sum(split.audit_labels)),
    )
    if unknown:
        return ShareEstimate(**base, share=None, low=None, high=None, relevant=float(counted))
    p_b, low_b, high_b = audit  # type: ignore[misc]
    if split.caught_decided:
        p_a = split.caught / split.caught_decided
        low_a, high_a = wilson(p_a, split.caught_decided)
    else:
        p_a = low_a = high_a = 0.0
    relevant = counted + undecided_above * p_a + rest_below * p_b
    down = math.hypot(undecided_above * (p_a - low_a), rest_below * (p_b - low_b))
    up = math.hypot(undecided_above * (high_a - p_a), rest_below * (high_b - p_b))
    return ShareEstimate(
        **base, share=relevant / works, low=max(relevant - down, 0.0) / works,
        high=min(relevant + up, works) / works, relevant=relevant,
    )


def quarter(date_text: str | None) -> str | None:
    """``2025-08-14...`` -> ``2025Q3`` (None for text that does not start with a year and month)."""
    text = (date_text or "")[:7]
    if len(text) < 7 or not (text[:4].isdigit() and text[5:7].isdigit()) or not 1 <= int(text[5:7]) <= 12:
        return None
    return f"{text[:4]}Q{(int(text[5:7]) - 1) // 3 + 1}"
