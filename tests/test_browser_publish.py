"""The published site in a real Chromium (Playwright, Debian's /usr/bin/chromium), served as a static host
would serve it: a plain file server on 127.0.0.1.  Skipped cleanly without Chromium or Playwright."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from browser_support import playwright_or_skip
from cli_support import run_cli
from test_publish import hostile_catalog

from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict]]]:
    folder = tmp_path_factory.mktemp("site")
    run_cli("init", cwd=folder)
    hostile_catalog(folder)
    run_cli("publish", "--out", "site", cwd=folder)
    with Store(folder / "candidates.db") as store:
        entries = store.catalog.entries()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder / "site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", entries
    finally:
        server.shutdown()
        thread.join(5)


def open_page(browser: Any, javascript: bool = True) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return context, page, dialogs


def visible_ids(page: Any) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all("#catalog tbody tr:not([hidden])", "rows => rows.map(r => r.id.slice(1))")
    ]


def test_category_year_and_text_filters_work_with_javascript(browser: Any, published: tuple[str, list[dict]]) -> None:
    base, entries = published
    context, page, dialogs = open_page(browser)
    page.goto(base + "/index.html")
    expect(page.locator("#filters")).to_be_visible()
    expect(page.locator("#filter-count")).to_have_text(f"{len(entries)} of {len(entries)} entries")
    category, count = Counter(e["category"] for e in entries if e["category"]).most_common(1)[0]
    page.select_option("#filter-category", category)
    expect(page.locator("#filter-count")).to_have_text(f"{count} of {len(entries)} entries")
    assert visible_ids(page) == [e["id"] for e in entries if e["category"] == category]
    year = 2019
    page.select_option("#filter-year", str(year))
    expect(page.locator("#filter-count")).to_have_text(
        f"{sum(e['category'] == category and e['year'] == year for e in entries)} of {len(entries)} entries"
    )
    assert visible_ids(page) == [e["id"] for e in entries if e["category"] == category and e["year"] == year]
    page.select_option("#filter-category", "")
    page.select_option("#filter-year", "")
    page.fill("#filter-text", "self-play")
    wanted = [e["id"] for e in entries if "self-play" in f"{e['title']} {e['description']} {e['category']}".lower()]
    expect(page.locator("#catalog tbody tr:not([hidden])")).to_have_count(len(wanted))
    assert visible_ids(page) == wanted
    page.fill("#filter-text", "")
    expect(page.locator("#catalog tbody tr:not([hidden])")).to_have_count(len(entries))
    # an entry's own page, from its row
    page.click(f"#e{entries[4]['id']} a.title")
    expect(page.locator("h1")).to_have_text(entries[4]["title"])
    assert page.url.endswith(f"/entries/{entries[4]['id']}.html")
    assert dialogs == []  # the script payloads of the hostile entries never ran
    context.close()


def test_the_full_table_is_there_without_javascript(browser: Any, published: tuple[str, list[dict]]) -> None:
    base, entries = published
    context, page, _dialogs = open_page(browser, javascript=False)
    page.goto(base + "/index.html")
    expect(page.locator("#catalog tbody tr")).to_have_count(len(entries))
    for e in entries[:3]:
        expect(page.locator(f"#e{e['id']}")).to_be_visible()
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.locator("svg.chart").first).to_be_visible()
    page.locator("#trend details summary").click()
    expect(page.locator("#year-table")).to_be_visible()
    context.close()


def test_hostile_entries_are_inert_on_every_page(browser: Any, published: tuple[str, list[dict]]) -> None:
    base, entries = published
    context, page, dialogs = open_page(browser)
    for e in entries:
        if e["id"] >= 900:
            page.goto(f"{base}/entries/{e['id']}.html")
            expect(page.locator("h1")).to_contain_text("<script>alert('title')</script>")
            assert page.locator("img").count() == 0
    page.goto(base + "/index.html")
    expect(page.locator("#e900")).to_contain_text("<script>alert('description')</script>")
    assert dialogs == []
    context.close()
