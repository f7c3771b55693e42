"""Newsletter issues cut into stories, each with its own work id and the issue as provenance."""

from __future__ import annotations

from pathlib import Path

import pytest
from local_server import LocalServer

from crawler.http import PoliteClient
from crawler.items import Item
from crawler.settings import HttpSettings, Politeness, SourceSpec
from crawler.sources import collect
from crawler.stories import parse_newsletter, split_stories

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
ISSUE = "https://importthings.example.org/p/import-things-412"


def stories() -> list[Item]:
    return parse_newsletter((FIXTURES / "newsletter.xml").read_bytes(), {}, "https://importthings.example.org/feed")


def test_bold_lead_stories_link_their_paper_and_keep_continuations() -> None:
    items = [i for i in stories() if i.via == ISSUE]
    assert [i.canonical_id for i in items] == [
        "arxiv:2611.04242",  # the story links the paper: its work is the paper
        "url:https://robots.example.com/sourdough-bot",  # no paper: its main link
        "doi:10.5555/splat.2026.17",  # DOIs are lower-cased
    ]
    kernels = items[0]
    assert kernels.title == "Language model agents now write the kernels that train them"
    assert "Why this matters" in kernels.summary, "a 'Why this matters' lead continues the story"
    assert "https://github.com/kernel-lab/evokernels" in kernels.links
    assert kernels.url == "https://arxiv.org/abs/2611.04242" and kernels.published == "2026-11-24T09:00:00Z"
    assert kernels.key == "import-things-412#arxiv:2611.04242"
    assert all("Share" not in i.summary and "Leave a comment" not in i.summary for i in items)


def test_heading_stories_and_an_issue_with_one_story_stays_whole() -> None:
    by_via: dict[str | None, list[Item]] = {}
    for item in stories():
        by_via.setdefault(item.via, []).append(item)
    digest = by_via["https://importthings.example.org/p/digest-88"]
    assert [(i.title, i.url) for i in digest] == [
        ("Museums photograph their tapestry collections", "https://news.example.com/museum-tapestries"),
        ("Weather models get a new benchmark", "https://weather.example.com/bench"),
    ]
    assert digest[1].links == ("https://github.com/wx/bench",)
    whole = by_via[None]
    assert [i.canonical_id for i in whole] == ["url:https://importthings.example.org/p/short-note"]


def test_plain_text_or_empty_content_is_not_split() -> None:
    issue = Item("url:https://n.org/1", "t", "", "https://n.org/1", "k")
    assert split_stories("", issue) == [] and split_stories("just text", issue) == []
    assert split_stories("<p><strong>Only one story here</strong> <a href='https://a.org'>a</a></p>", issue) == []


def test_feed_source_with_split_stories_on_a_local_server(local_server: LocalServer) -> None:
    url = local_server.add("/feed", body=(FIXTURES / "newsletter.xml").read_bytes(),
                           headers={"Content-Type": "application/rss+xml"})
    http = HttpSettings(connect_timeout_s=1, read_timeout_s=2, total_timeout_s=3, retries=0)
    politeness = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})
    with PoliteClient(http, politeness, "t@example.org") as client:
        split = collect(SourceSpec(name="n", kind="feed", url=url, split_stories=True), client)
        whole = collect(SourceSpec(name="n", kind="feed", url=url), client)
    assert len(split.items) == 6 and len(whole.items) == 3


@pytest.mark.shared
def test_a_real_substack_issue_splits_into_its_picks(shared_dir: Path) -> None:
    path = shared_dir / "feeds" / "substack" / "interconnects_ai_substack_2026-08-02.xml"
    if not path.exists():
        pytest.skip("the substack feed is not in ../shared")
    items = parse_newsletter(path.read_bytes(), {}, "https://www.interconnects.ai/feed")
    picks = [i for i in items if i.via and "latest-open-artifacts-23" in i.via]
    assert len(picks) >= 8
    assert all(i.url.startswith("https://") and i.title for i in picks)
    assert sum("huggingface.co" in i.url for i in picks) >= 5
    assert len({i.key for i in items}) == len(items)
