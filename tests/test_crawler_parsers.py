"""Parsers on fixture files that carry their own expectation (feedparser style), and on ../shared/feeds.

A fixture holds an ``<!-- expect {...json...} -->`` comment: ``kind`` (feed, arxiv_rss, arxiv_api),
then ``count``/``max_count``, ``items`` (a list of field subsets, in order), ``error`` (a ParseError
fragment), ``forbidden_text``, ``headers`` (response headers to parse with) and, for arXiv RSS,
``include_replacements`` (what the same file gives with replacements kept).  Adding a regression is
adding a file.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.arxiv_api import parse_api_page
from crawler.arxiv_rss import parse_arxiv_rss, split_abstract
from crawler.errors import ParseError
from crawler.feed import parse_feed
from crawler.items import Item

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
SHARED_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "feeds"
_EXPECT = re.compile(rb"<!--\s*expect\s*(\{.*?\})\s*-->", re.DOTALL)


def expectation(path: Path) -> dict[str, Any]:
    match = _EXPECT.search(path.read_bytes())
    assert match, f"{path.name} has no <!-- expect {{...}} --> comment"
    return json.loads(match.group(1).decode("utf-8"))


def parse(kind: str, body: bytes, headers: dict[str, str], url: str, **kw: Any) -> list[Item]:
    if kind == "feed":
        return parse_feed(body, headers, url, [])
    if kind == "arxiv_rss":
        return parse_arxiv_rss(body, headers, url, warnings=[], **kw)
    if kind == "arxiv_api":
        return parse_api_page(body, headers, url).items
    raise AssertionError(kind)


def check_item(item: Item, expected: dict[str, Any], where: str) -> None:
    for name, value in expected.items():
        if name == "canonical_id_prefix":
            assert item.canonical_id.startswith(value), where
            continue
        actual = getattr(item, name)
        if isinstance(actual, tuple):
            actual = list(actual)
        assert actual == value, f"{where}: {name} is {actual!r}, expected {value!r}"


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.iterdir() if p.is_file()), ids=lambda p: p.name)
def test_fixture(path: Path) -> None:
    expect = expectation(path)
    body = path.read_bytes()
    url = "https://example.com/feed.xml"
    headers = expect.get("headers", {})
    if "error" in expect:
        with pytest.raises(ParseError) as info:
            parse(expect["kind"], body, headers, url)
        assert expect["error"] in str(info.value) and "\n" not in str(info.value)
        return
    items = parse(expect["kind"], body, headers, url)
    if "count" in expect:
        assert len(items) == expect["count"], [i.title for i in items]
    if "max_count" in expect:
        assert len(items) <= expect["max_count"]
    for n, wanted in enumerate(expect.get("items", [])):
        check_item(items[n], wanted, f"{path.name} item {n}")
    for item in items:
        assert len(item.title) <= expect.get("max_title_len", 1000)
        if "summary_contains" in expect:
            assert expect["summary_contains"] in item.summary
        if "forbidden_text" in expect:
            assert expect["forbidden_text"] not in item.title + item.summary + item.url
    if "include_replacements" in expect:
        more = parse_arxiv_rss(body, headers, url, include_replacements=True)
        wanted = expect["include_replacements"]
        assert len(more) == wanted["count"]
        assert [i.announce_type for i in more] == wanted["types"]
        assert [i.canonical_id for i in more] == wanted["ids"]
        assert [i.version for i in more] == wanted["versions"]


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_not_feeds_raise_one_line_parse_error() -> None:
    cases = {
        b"": "empty body",
        b"   \n": "empty body",
        b'{"items": []}': "JSON",
        b"\x89PNG\r\n\x1a\n....": "PNG image",
        b"%PDF-1.4": "PDF",
        b"<html><body>hi</body></html>": "HTML page",
        b"plain words, nothing else": "not an RSS or Atom feed",
        b"/etc/passwd": "not an RSS or Atom feed",  # feedparser would open a *path* given as bytes
    }
    for body, fragment in cases.items():
        with pytest.raises(ParseError) as info:
            parse_feed(body, {"Content-Type": "text/plain"}, "https://example.com/f")
        text = str(info.value)
        assert fragment in text and text.startswith("https://example.com/f: ") and "\n" not in text, text


def test_huge_titles_are_capped() -> None:
    title = "word " * 20_000  # 100 kB
    items = parse_feed(_rss(f"<item><title>{title}</title><link>https://e.com/1</link>"
                            f"<description>{'x' * 200_000}</description></item>"), {}, "https://e.com/f")
    assert len(items[0].title) <= 1000 and len(items[0].summary) <= 20_000


@pytest.mark.slow
def test_ten_thousand_items_parse_quickly() -> None:
    body = _rss("".join(f"<item><title>Item {n}</title><link>https://e.com/{n}</link>"
                        f"<description>&lt;p&gt;Summary {n}&lt;/p&gt;</description></item>" for n in range(10_000)))
    started = time.monotonic()
    items = parse_feed(body, {}, "https://e.com/f")
    assert len(items) == 10_000 and items[-1].summary == "Summary 9999"
    assert time.monotonic() - started < 120  # a second or two; only quadratic work reaches minutes (speed: bench/)


def test_bozo_feed_with_entries_is_a_warning() -> None:
    warnings: list[str] = []
    body = b'<rss version="2.0"><channel><item><title>ok & broken</title><link>https://e.com/1</link></item>'
    items = parse_feed(body, {"Content-Type": "application/rss+xml"}, "https://e.com/f", warnings)
    assert [i.title for i in items] == ["ok & broken"]
    assert warnings and "ill-formed" in warnings[0] and "\n" not in warnings[0]


def test_wrong_charset_header_still_parses() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>Zürich</title><link>https://e.com/z</link></item></channel></rss>'.encode()
    items = parse_feed(body, {"Content-Type": "application/rss+xml; charset=iso-8859-1"}, "https://e.com/f", [])
    assert len(items) == 1 and items[0].title in ("Zürich", "ZÃ¼rich")


@pytest.mark.parametrize(("text", "expected"), [
    ("arXiv:2401.01234v2 Announce Type: new Abstract: We do it.", ("2401.01234v2", "new", "We do it.")),
    ("arXiv:cs/0112017v1 Announce Type: replace-cross Abstract: Old.", ("cs/0112017v1", "replace-cross", "Old.")),
    ("No prefix here.", (None, None, "No prefix here.")),
])
def test_split_abstract(text: str, expected: tuple[str | None, str | None, str]) -> None:
    assert split_abstract(text) == expected


# ../shared/feeds: every file parses or raises a one-line ParseError, never anything else.

def _shared_files() -> list[Path]:
    if not SHARED_FEEDS.is_dir():
        return []
    return sorted(p for p in SHARED_FEEDS.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("path", _shared_files() or [None], ids=lambda p: p.name if p else "absent")
def test_shared_file(path: Path | None) -> None:
    if path is None:
        pytest.skip("../shared/feeds is not present")
    body = path.read_bytes()
    url = f"https://example.com/{path.name}"
    for parser in (lambda: parse_feed(body, {}, url, []), lambda: parse_arxiv_rss(body, {}, url, warnings=[]),
                   lambda: parse_api_page(body, {}, url).items):
        try:
            items = parser()
        except ParseError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(url)  # noqa: PT017 - refusing is allowed, in one line
            continue
        for item in items:
            assert item.canonical_id.split(":", 1)[0] in ("arxiv", "doi", "url")
            assert item.title or item.url
            assert len(item.title) <= 1000 and len(item.summary) <= 20_000


@pytest.mark.shared
def test_shared_arxiv_api_files() -> None:
    folder = SHARED_FEEDS / "arxiv_api_atom"
    if not folder.is_dir():
        pytest.skip("../shared/feeds is not present")
    page = parse_api_page((folder / "q_testing_s0_m10_bc5a6c384fe9.xml").read_bytes(), {}, "https://x/api")
    assert len(page.items) == 10 and page.total_results == 214881 and page.start_index == 0
    first = page.items[0]
    assert first.canonical_id == "arxiv:2202.12139" and first.version == 1
    assert first.title.startswith("Testing Deep Learning Models") and first.authors[0] == "Mohit Kumar Ahuja"
    assert first.links[0] == "https://arxiv.org/pdf/2202.12139v1"
    old = parse_api_page((folder / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes(), {}, "u").items
    assert old[0].canonical_id == "arxiv:astro-ph/0601001"
    assert parse_api_page((folder / "id_0000.0000_s0_m100_8b51d9633a68.xml").read_bytes(), {}, "u").items == []
    for name in ("id_abc_s0_m100_b79c8dcf6bc3.xml",):
        with pytest.raises(ParseError, match="arXiv API error: incorrect id format for abc"):
            parse_api_page((folder / name).read_bytes(), {}, "https://x/api")
    legacy = SHARED_FEEDS / "arxiv_api_atom_legacy" / "aioarxiv_error_response.xml"
    with pytest.raises(ParseError, match=r"incorrect id format for 1234\.12345"):
        parse_api_page(legacy.read_bytes(), {}, "https://x/api")


def test_a_feed_that_repeats_an_entry_keeps_the_first_and_says_so() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>g1</guid><title>First</title><link>https://example.com/1</link></item>
<item><guid>g2</guid><title>Second</title><link>https://example.com/2</link></item>
<item><guid>g1</guid><title>First again</title><link>https://example.com/1</link></item>
</channel></rss>"""
    warnings: list[str] = []
    items = parse_feed(rss, {"content-type": "application/rss+xml"}, "https://example.com/feed", warnings)
    assert [i.title for i in items] == ["First", "Second"]
    assert warnings == ["https://example.com/feed: duplicate entry id 'https://example.com/g1' skipped"]


def test_first_per_key_may_be_unique_by_the_work() -> None:
    from operator import attrgetter

    from crawler.items import first_per_key

    v1 = Item("arxiv:2401.00001", "A", "", "https://arxiv.org/abs/2401.00001v1", key="v1")
    v2 = Item("arxiv:2401.00001", "A", "", "https://arxiv.org/abs/2401.00001v2", key="v2")
    other = Item("arxiv:2401.00002", "B", "", "https://arxiv.org/abs/2401.00002v1", key="v1")
    assert first_per_key([v1, v2, other]) == [v1, v2]
    assert first_per_key([v1, v2, other], attrgetter("canonical_id")) == [v1, other]
