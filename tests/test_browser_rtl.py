"""Right-to-left text is shown from the right (found by a user walk after issue 23).

An Arabic entry's title, description and authors, beside a Latin one, in a real Chromium: on the review
page's Catalog tab, the published index and entry page, and the weekly digest, at a phone's and a desk's
width.  Each Arabic text must end at the right edge of the block that holds it, and each Latin text
start at the left edge (a wrapped text judged by its shortest line): ``dir="auto"`` inside a cell that
says ``text-align: left`` sets the reading order but still lays Arabic out from the left, which is what
the walk saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip, serve
from page_checks import SIZES
from review_fixtures import populate

from crawler.items import Item
from rsiwatch.review.digest import build_digest, to_html
from rsiwatch.site.build import build_site
from rsiwatch.store import Store, iso_ago

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()

ARABIC_TITLE = "نموذج لغوي يحسن نفسه بكتابة نوى وحدة معالجة الرسوميات"
ARABIC_DESCRIPTION = "يكتب النموذج نوى التدريب بنفسه."
ARABIC_AUTHORS = "فاطمة الزهراء"
LATIN_TITLE = "Learned optimizers that train the next optimizer"
LATIN_DESCRIPTION = "An optimizer meta-trained on its own updates."

# Where each text node's line box sits against the nearest block that holds it (its content box).
EDGES = """(needle) => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.includes(needle)) continue;
    let block = node.parentElement;
    while (getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    const style = getComputedStyle(block);
    const box = block.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(node);
    // The shortest line shows the alignment (a wrapped text's other lines fill the box).
    const lines = [...range.getClientRects()].filter(r => r.width > 1).sort((a, b) => a.width - b.width);
    if (!lines.length || box.width === 0) continue;
    found.push({
      block: block.tagName.toLowerCase() + (block.className ? '.' + block.className : ''),
      direction: getComputedStyle(node.parentElement).direction,
      left: lines[0].left - (box.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth)),
      right: (box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth)) - lines[0].right,
    });
  }
  return found;
}"""


def _world(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Both works seen by a feed and accepted this week (so the digest lists them), the site built."""
    db = tmp_path / "candidates.db"
    populate(db, 2)
    works = [
        ("url:https://example.org/ar", ARABIC_TITLE, ARABIC_DESCRIPTION, ARABIC_AUTHORS),
        ("url:https://example.org/en", LATIN_TITLE, LATIN_DESCRIPTION, "Ada Lovelace"),
    ]
    with Store(db) as store:
        store.sources.ensure_sources([("blog", "feed", None)])
        store.works.ingest("blog", [Item(w, t, d, "https://" + w[10:], key=w, authors=(a,)) for w, t, d, a in works])
        for work_id, title, description, authors in works:
            entry = {"title": title, "description": description, "url": "https://" + work_id[10:], "year": 2026,
                     "authors": authors, "submitter": authors}
            store.decisions.accept(work_id, entry, by="ada")
        entries = store.catalog.entries()
        digest = to_html(build_digest(store, iso_ago(7 * 86400)))
    site = tmp_path / "site"
    for name, body in build_site(entries).items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(body)
    (tmp_path / "digest.html").write_text(digest, encoding="utf-8")
    return db, site, tmp_path / "digest.html"


def _edges(page: Any, needle: str) -> list[dict[str, Any]]:
    found = page.evaluate(EDGES, needle)
    assert found, f"{needle!r} is not on {page.url}"
    return found


def _assert_rtl_from_the_right(page: Any, where: str) -> None:
    for needle in (ARABIC_TITLE[:12], ARABIC_DESCRIPTION[:12], ARABIC_AUTHORS):
        for box in _edges(page, needle):
            assert abs(box["right"]) <= 2 and box["left"] > 2, f"{where}: {needle!r} not from the right: {box}"
    for needle in (LATIN_TITLE[:12], LATIN_DESCRIPTION[:12]):
        for box in _edges(page, needle):
            assert abs(box["left"]) <= 2, f"{where}: {needle!r} not from the left: {box}"


@pytest.mark.parametrize("size", SIZES)
def test_arabic_text_is_shown_from_the_right_and_latin_from_the_left(tmp_path: Path, size: str) -> None:
    db, site, digest = _world(tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(**SIZES[size]).new_page()
            page.set_default_timeout(30_000)
            for base in serve(tmp_path, db):
                page.goto(base + "/catalog")
                _assert_rtl_from_the_right(page, f"review Catalog tab at {size}")
            page.goto(site.joinpath("index.html").as_uri())
            _assert_rtl_from_the_right(page, f"published index at {size}")
            with Store(db) as store:
                arabic = next(e for e in store.catalog.entries() if e["title"] == ARABIC_TITLE)
            page.goto(site.joinpath("entries", f"{arabic['id']}.html").as_uri())
            for needle in (ARABIC_TITLE[:12], ARABIC_DESCRIPTION[:12], ARABIC_AUTHORS):
                assert all(abs(b["right"]) <= 2 for b in _edges(page, needle)), f"entry page at {size}"
            # The digest (mail): the summary and a title alone on its line from the right; a title after its
            # score on one line in its own direction (the score stays first).
            page.goto(digest.as_uri())
            summary = _edges(page, ARABIC_DESCRIPTION[:12])
            titles = _edges(page, ARABIC_TITLE[:12])
            assert all(abs(b["right"]) <= 2 for b in summary), f"digest at {size}: {summary}"
            assert any(abs(b["right"]) <= 2 and b["block"] == "div" for b in titles), f"digest at {size}: {titles}"
            assert all(b["direction"] == "rtl" for b in titles), f"digest at {size}: {titles}"
        finally:
            browser.close()
