"""Two tabs of the review page in a real Chromium, served by a real server: a work rejected in one, then
accepted from the other (which still shows it as new), is not silently overridden."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip, serve
from review_fixtures import populate
from store_support import decisions

from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect


def test_a_stale_tab_shows_the_standing_decision_and_replaces_it_only_on_purpose(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 4)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for base in serve(tmp_path, db, curator="carol"):
                first, second = (browser.new_context().new_page() for _ in range(2))
                for page in (first, second):
                    page.set_default_timeout(10_000)
                    page.goto(base + "/")
                    expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[0])
                # Tab one rejects the first work.
                first.keyboard.press("r")
                expect(first.locator("#reason-dialog")).to_be_visible()
                first.keyboard.press("Enter")
                expect(first.locator(f'li.item[data-id="{ids[0]}"]')).to_have_attribute("data-status", "rejected")
                # Tab two, still showing it as new, accepts it: refused, with what stands and who decided it.
                second.keyboard.press("a")
                dialog = second.locator("#accept-dialog")
                expect(dialog).to_be_visible()
                expect(dialog.locator('input[name="title"]')).not_to_have_value("")
                dialog.locator('input[name="title"]').press("Enter")
                conflict = second.locator("#conflict-dialog")
                expect(conflict).to_be_visible()
                expect(conflict).to_contain_text("rejected now: reject by carol")
                with Store(db) as store:
                    assert store.works.work(ids[0])["status"] == "rejected" and store.catalog.entries() == []
                # Keeping it changes nothing and the tab now shows it rejected; accepting it again is on purpose.
                conflict.get_by_text("Keep it").click()
                expect(conflict).to_be_hidden()
                item = second.locator(f'li.item[data-id="{ids[0]}"]')
                expect(item).to_have_attribute("data-status", "rejected")
                with Store(db) as store:
                    assert [d["action"] for d in decisions(store, ids[0])] == ["reject"]
                item.locator('[data-action="accept"]').click()
                expect(dialog).to_be_visible()
                dialog.locator('input[name="title"]').press("Enter")
                expect(item).to_have_attribute("data-status", "accepted")
                with Store(db) as store:
                    assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "accept"]
                    assert [e["work_id"] for e in store.catalog.entries()] == [ids[0]]
                    assert store.catalog.catalog_disagreements() == []
                # Tab one's undo would now reverse tab two's accept: refused and shown first; replaced on purpose.
                first.keyboard.press("u")
                expect(first.locator("#conflict-dialog")).to_contain_text("accept by carol")
                with Store(db) as store:
                    assert store.works.work(ids[0])["status"] == "accepted"
                first.locator("#conflict-dialog").get_by_text("Replace it with mine").click()
                expect(first.locator(f'li.item[data-id="{ids[0]}"]')).to_have_attribute("data-status", "rejected")
                with Store(db) as store:
                    assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "accept", "undo"]
                    assert store.catalog.entries() == [] and store.catalog.catalog_disagreements() == []
        finally:
            browser.close()
