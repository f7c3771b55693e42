"""The review queue's filters read from its address (pure: no app, no database)."""

from __future__ import annotations

from rsiwatch.review.queue_filters import read_queue_filters


def test_filters_that_cannot_be_applied_are_each_named_in_the_order_of_the_form() -> None:
    filters = read_queue_filters(
        {"status": "bogus", "week": "2026-W99", "category": "robots", "min": "2", "offset": "x", "sort": "zzz"}
    )
    assert [p.split()[0] for p in filters.problems] == ["status", "week", "category", "score", "offset"]
    assert (filters.status, filters.week, filters.since, filters.category) == ("new", "", None, "")
    assert (filters.min_score, filters.offset, filters.sort) == (None, 0, "score")


def test_filters_as_given_and_a_search_lists_every_status() -> None:
    filters = read_queue_filters(
        {"q": "  self-play ", "week": "2026-W05", "category": "hardware-design", "min": "0.5", "max": "0.9",
         "offset": "100", "sort": "discussion", "suggested": "1", "source": " arxiv-ml "}
    )
    assert filters.problems == ()
    assert (filters.since, filters.until) == ("2026-01-26T00:00:00Z", "2026-02-02T00:00:00Z")
    assert filters.form_values() == {
        "q": "self-play", "status": "all", "source": "arxiv-ml", "category": "hardware-design", "min": 0.5,
        "max": 0.9, "week": "2026-W05", "sort": "discussion", "suggested": True,
    }
    assert filters.offset == 100
