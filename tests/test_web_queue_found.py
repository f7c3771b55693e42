"""The queue finds what a curator looks for (issue 22): the public's suggestions first, with their own
filter and count; the submitter's reason searchable; "C++" found as written; a filter in the address
that cannot be applied, or an offset past the end, said on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from review_fixtures import make_config, populate

from classifier import Scored
from crawler.items import Item
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
CPP = "url:https://example.org/cpp"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.db"
    populate(path, 30)  # their summaries hold "code", "compiler"-free text, and many words starting with c
    with Store(path) as store:
        store.sources.ensure_sources([("newsletter", "feed", None)])
        store.works.ingest("newsletter", [
            Item(CPP, "A language model rewrites C++ templates", "Compile times halve when C++ is rewritten.",
                 "https://example.org/cpp", key="cpp"),
            Item("url:https://example.org/low", "A low-scoring post", "Barely in scope.", "https://example.org/low",
                 key="low"),
        ])
        store.scores.record_scores(1, [Scored(id=i, score=s, category=None, category_confidence=0.1,
                                                category_fits=False, why=[], nearest=[])
                                for i, s in ((CPP, 0.5), ("url:https://example.org/low", 0.03))],
                            {CPP: 0.35, "url:https://example.org/low": 0.35})
        store.submissions.record_submission("url:https://example.org/low", "https://example.org/low",
                                note="The agent tuned its own curriculum, see figure 3", submitter="Grace")
    return path


def ids(html: str) -> list[str]:
    return re.findall(r'<li class="item" data-id="([^"]+)"', html)


def test_suggestions_come_first_have_a_filter_and_are_counted(tmp_path: Path, db: Path) -> None:
    client = create_app(make_config(tmp_path), db).test_client()
    html = client.get("/", base_url=BASE).get_data(as_text=True)
    assert ids(html)[0] == "url:https://example.org/low"  # score 0.03, yet first
    assert "1 suggested by readers</a>, shown first" in html
    only = client.get("/?suggested=1", base_url=BASE).get_data(as_text=True)
    assert ids(only) == ["url:https://example.org/low"] and "suggested by readers only" in only
    # paging stays whole: the second page starts where the first ended, nothing twice, nothing lost
    with Store(db) as store:
        first, total = store.queue.review_queue(limit=10)
        second, _ = store.queue.review_queue(limit=10, offset=10)
        everything, _ = store.queue.review_queue(limit=100)
    assert [w["id"] for w in first + second] == [w["id"] for w in everything[:20]]
    assert len({w["id"] for w in everything}) == total.count == len(everything)


def test_the_reason_is_searchable_and_cpp_is_found_as_written(tmp_path: Path, db: Path) -> None:
    client = create_app(make_config(tmp_path), db).test_client()
    found = client.get("/?q=curriculum", base_url=BASE).get_data(as_text=True)
    assert ids(found) == ["url:https://example.org/low"]
    cpp = client.get("/?q=C%2B%2B", base_url=BASE).get_data(as_text=True)
    assert ids(cpp) == [CPP]  # "C"* once matched nearly every work


def test_filters_that_cannot_apply_are_said(tmp_path: Path, db: Path) -> None:
    client = create_app(make_config(tmp_path), db).test_client()
    for query, said in [
        ("week=2026-W99", "week &#39;2026-W99&#39; is not a week"),
        ("status=maybe", "Status &#39;maybe&#39; is not one of"),
        ("category=robots", "category &#39;robots&#39; is not one of the categories"),
        ("offset=500", "nothing at offset 500: this list holds"),
    ]:
        html = client.get(f"/?{query}", base_url=BASE).get_data(as_text=True)
        assert said.lower() in html.lower(), query
        assert 'class="filter-problem" role="alert"' in html, query
    past = client.get("/?offset=500", base_url=BASE).get_data(as_text=True)
    assert "Nothing to show" in past and ids(past) == []


def test_an_offset_beyond_what_sqlite_counts_is_said_not_a_server_error(tmp_path: Path, db: Path) -> None:
    """A user walk found `/?offset=99999999999999999999` answered with HTTP 500 (OverflowError: Python int
    too large to convert to SQLite INTEGER)."""
    client = create_app(make_config(tmp_path), db).test_client()
    response = client.get("/?offset=99999999999999999999", base_url=BASE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "nothing at offset" in html.lower() and ids(html) == []


def test_sources_removed_from_the_config_leave_the_filters_and_stats_but_stay_reachable(
    tmp_path: Path, db: Path
) -> None:
    from rsiwatch.config import parse_config

    config = parse_config(
        f"review: {{export_dir: {tmp_path / 'exports'}}}\nsources:\n"
        "  - {name: arxiv-ml, kind: arxiv_rss, url: 'https://rss.arxiv.org/rss/cs.LG'}\n"
    )
    client = create_app(config, db).test_client()
    queue = client.get("/", base_url=BASE).get_data(as_text=True)
    menu = queue[
        queue.index('<select name="source">') : queue.index("</select>", queue.index('<select name="source">'))
    ]
    assert 'value="arxiv-ml"' in menu and 'value="import-ai"' not in menu and 'value="newsletter"' not in menu
    kept = client.get("/?source=import-ai&status=all", base_url=BASE).get_data(as_text=True)
    assert ids(kept) and "import-ai (removed from the config)" in kept  # its history is still a filter away
    stats = client.get("/stats", base_url=BASE).get_data(as_text=True)
    table = stats[stats.index("<h2>Per source</h2>") : stats.index("</table>", stats.index("<h2>Per source</h2>"))]
    assert '<td dir="auto">arxiv-ml' in table and "import-ai" not in table
    assert "Removed from the config (2)" in stats and "/?source=import-ai&amp;status=all" in stats


JAPANESE = "url:https://example.org/ja"


def test_a_japanese_word_inside_a_title_is_found(db: Path) -> None:
    """Found by a user walk: the review page's search found 自己改善 (the run's start) but not 研究 or
    エージェント in the same title (works_fts keeps a run of Japanese as one token; works_cjk finds them)."""
    with Store(db) as store:
        store.works.ingest("newsletter", [Item(JAPANESE, "自己改善するAI研究エージェント",
                                               "大規模言語モデルが自ら機械学習研究を行う。", "https://example.org/ja",
                                               key="ja")])
        found = {q: [w["id"] for w in store.queue.review_queue(status="all", query=q, limit=10)[0]]
                 for q in ("自己改善", "研究", "エージェント", "機械学習")}
    assert found == {q: [JAPANESE] for q in found}, found
