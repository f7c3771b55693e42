"""The review page in a real Chromium (Playwright, Debian's /usr/bin/chromium), served by a real server.

Opt-in by nature: skipped cleanly when Chromium or Playwright is not installed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import SCREENSHOTS, playwright_or_skip, serve
from review_fixtures import populate
from store_support import catalog_add, decisions

from rsiwatch.catalog.formats import to_csv
from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect
# Generous waits: a loaded machine makes a page slower, never a test failed (a real hang still trips them).
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


def item(page: Any, work_id: str) -> Any:
    return page.locator(f'li.item[data-id="{work_id}"]')


def test_review_twenty_by_keyboard(tmp_path: Path, page: Any) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 24)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[0])
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_queue.png"))

        # 1: accept with edits.
        page.keyboard.press("a")
        dialog = page.locator("#accept-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator('input[name="title"]')).to_have_value("Self-play reinforcement learning for theorem provers (0)")
        dialog.locator('textarea[name="description"]').fill("Self-play trains a theorem prover without human proofs.")
        dialog.locator('input[name="title"]').fill("Self-play theorem prover")
        dialog.locator('input[name="company_reported"]').check()
        dialog.locator('input[name="affiliations"]').fill("Example Lab")
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_accept.png"))
        dialog.locator('input[name="affiliations"]').press("Enter")
        expect(dialog).to_be_hidden()
        expect(item(page, ids[0])).to_have_attribute("data-status", "accepted")
        expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[1])

        # 2: reject with a reason.
        page.keyboard.press("r")
        reason = page.locator("#reason-dialog")
        expect(reason).to_be_visible()
        page.keyboard.type("a survey, not an example")
        page.keyboard.press("Enter")
        expect(item(page, ids[1])).to_have_attribute("data-status", "rejected")

        # 3..19: defer, out of scope (no reason), reject (no reason), in turn; j/k wander in between.
        expected = {ids[0]: "accepted", ids[1]: "rejected"}
        for n in range(2, 19):
            expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[n])
            if n == 5:
                page.keyboard.press("j")
                page.keyboard.press("k")
            kind = ("defer", "out_of_scope", "reject")[n % 3]
            if kind == "defer":
                page.keyboard.press("d")
                expected[ids[n]] = "deferred"
            else:
                page.keyboard.press("o" if kind == "out_of_scope" else "r")
                expect(page.locator("#reason-dialog")).to_be_visible()
                page.keyboard.press("Enter")
                expected[ids[n]] = "out_of_scope" if kind == "out_of_scope" else "rejected"
            expect(item(page, ids[n])).to_have_attribute("data-status", expected[ids[n]])

        # 20: accept as drafted, then undo it: its catalog entry goes away again.
        page.keyboard.press("a")
        expect(page.locator("#accept-dialog")).to_be_visible()
        page.keyboard.press("Enter")
        expect(item(page, ids[19])).to_have_attribute("data-status", "accepted")
        page.keyboard.press("u")
        expect(item(page, ids[19])).to_have_attribute("data-status", "new")
        expect(page.locator("#flash")).to_contain_text("undone")
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_after.png"))

        # Help, then search.
        page.keyboard.press("?")
        expect(page.locator("#help-dialog")).to_be_visible()
        page.keyboard.press("Escape")
        page.keyboard.press("/")
        expect(page.locator("#search")).to_be_focused()
        page.keyboard.type("floorplanning")
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=floorplanning")
        found = page.locator("li.item").evaluate_all("els => els.map(e => e.dataset.id)")
        with Store(db) as store:
            assert found and all("floorplanning" in store.works.work(i)["title"].lower() for i in found)
        assert ids[5] in found
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_search.png"))
        page.goto(base + "/catalog")
        expect(page.locator("table.catalog tbody tr")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_catalog.png"))
        page.goto(base + "/stats")
        expect(page.locator("#stats")).to_contain_text("import-ai")
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_stats.png"))

    with Store(db) as store:
        for work_id, status in expected.items():
            assert store.works.work(work_id)["status"] == status, work_id
        assert store.works.work(ids[19])["status"] == "new"
        assert [d["action"] for d in decisions(store, ids[19])] == ["accept", "undo"]
        assert decisions(store, ids[1])[0]["note"] == "a survey, not an example"
        assert all(d["origin"] == "web" for d in decisions(store))
        rows = list(csv.DictReader(io.StringIO(to_csv(store.catalog.entries()))))
    assert len(rows) == 1
    [row] = rows
    assert row["Title"] == "Self-play theorem prover"
    assert row["Description"] == "Self-play trains a theorem prover without human proofs."
    assert row["Source"] == f"https://arxiv.org/abs/{ids[0].removeprefix('arxiv:')}"
    assert row["Category"] == "training-data-self-play" and row["Flags"] == "company_reported"
    assert row["Author Affiliations"] == "Example Lab" and row["Date Published"] == "2025-01-01"


def test_hostile_feed_renders_inert(tmp_path: Path, page: Any) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 3, hostile=True)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        expect(page.locator("li.item")).to_have_count(5)
        for _ in range(5):  # walk every item (details and links open on the current one), open the forms
            page.keyboard.press("a")
            expect(page.locator("#accept-dialog")).to_be_visible()
            page.keyboard.press("Escape")
            page.keyboard.press("j")
        page.locator("li.item").first.hover()
        page.goto(base + "/?q=self")
        page.goto(base + "/stats")
        page.goto(base + "/")
        page.wait_for_timeout(300)
        injected = page.evaluate(
            """() => ({
                elements: document.querySelectorAll('img, svg, iframe, object, embed, b, form a[href^="javascript"]').length,
                scripts: Array.from(document.scripts).map(s => s.getAttribute('src')),
                handlers: Array.from(document.querySelectorAll('*')).flatMap(
                    el => Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name)),
                badLinks: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))
                    .filter(h => !/^(https?:\\/\\/|\\/(?!\\/)|\\?)/.test(h)),
            })"""
        )
        page.screenshot(path=str(SCREENSHOTS / "rsiwatch_review_hostile.png"), full_page=True)
    assert page.dialogs == []
    assert injected == {"elements": 0, "scripts": ["/static/review.js"], "handlers": [], "badLinks": []}


def test_edit_a_catalog_entry_in_the_browser_with_javascript_off(tmp_path: Path, browser: Any) -> None:
    """The edit form is a plain form: it works with JavaScript switched off, and the export follows."""
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        catalog_add(store, {"title": "MLGO", "description": "Learned inlining heuristics inside LLVM.",
                           "category": "compilers-kernels", "work_id": "arxiv:2101.04808"}, origin="seed")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for base in serve(tmp_path, db):
            page.goto(base + "/catalog")
            row = page.locator("tr#entry-1")
            row.locator("summary").click()
            row.locator('input[name="title"]').fill("MLGO: learned inlining in LLVM")
            row.locator('select[name="category"]').select_option("compilers-kernels")
            row.locator('input[name="deployed_in_production"]').check()
            row.locator("button[type=submit]").click()
            expect(page.locator("p.saved")).to_contain_text("Saved entry 1")
            expect(page.locator("tr#entry-1 .entry-title")).to_have_text("MLGO: learned inlining in LLVM")
            exported = page.request.get(base + "/export/catalog.csv").text()
            page.get_by_role("button", name="save csv to exports").click()  # the other plain form on the page
            expect(page.locator("p.saved")).to_contain_text("Saved catalog-")
    finally:
        context.close()
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["Title"] == "MLGO: learned inlining in LLVM" and row["Flags"] == "deployed_in_production"
    with Store(db) as store:
        assert [e["after"]["title"] for e in store.catalog.catalog_edits(1)] == ["MLGO: learned inlining in LLVM"]
