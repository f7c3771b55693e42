"""arXiv's RSS is empty on weekends and holidays: not an error, but a weekday with nothing is worth a warning."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.arxiv_rss import parse_arxiv_rss

EMPTY_ARXIV_RSS = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" version="2.0"><channel>
<title>cs.LG updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.LG</link>
<description>cs.LG updates on the arXiv.org e-print archive.</description>
</channel></rss>"""


def test_an_empty_listing_warns_on_an_announcement_day_only() -> None:
    wednesday = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    warnings: list[str] = []
    assert parse_arxiv_rss(EMPTY_ARXIV_RSS, {}, "http://127.0.0.1/rss", warnings=warnings, now=wednesday) == []
    assert len(warnings) == 1 and "announcement day" in warnings[0]
    weekend: list[str] = []
    assert parse_arxiv_rss(EMPTY_ARXIV_RSS, {}, "http://127.0.0.1/rss", warnings=weekend, now=saturday) == []
    assert weekend == []
    # Saturday 02:00 UTC is still Friday evening in New York: an announcement day there.
    friday_night: list[str] = []
    parse_arxiv_rss(EMPTY_ARXIV_RSS, {}, "http://127.0.0.1/rss", warnings=friday_night,
                    now=datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    assert len(friday_night) == 1
