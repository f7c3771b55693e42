"""Two tabs of the review page in a real Chromium, served by a real server: a work rejected in one, then
accepted from the other (which still shows it as new), is not silently overridden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import playwright_or_skip, serve
from review_fixtures import populate
from store_support import decisions

from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect


def test_a_stale_tab_shows_the_standing_decision_and_replaces_it_only_on_purpose(browser: Any, tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 4)
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
        conflict.get_by_text("Keep theirs").click()
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


def _two_pages(browser, base: str, *, javascript: bool = True):
    pages = []
    for _ in range(2):
        page = browser.new_context(java_script_enabled=javascript).new_page()
        page.set_default_timeout(10_000)
        page.goto(base + "/?status=all")
        pages.append(page)
    return pages


def test_the_cards_undo_button_on_an_older_page_does_not_reverse_a_colleagues_accept(
        browser: Any, tmp_path: Path) -> None:
    """Tab one rejects, tab two (showing the reject) accepts; tab one's card button "undo this decision" would
    reverse the accept: it gets the conflict dialog, on the safe choice (keep theirs), saying what it was."""
    db = tmp_path / "candidates.db"
    ids = populate(db, 3)
    for base in serve(tmp_path, db, curator="carol"):
        first, second = _two_pages(browser, base)
        first.keyboard.press("r")
        first.keyboard.press("Enter")
        card = first.locator(f'li.item[data-id="{ids[0]}"]')
        expect(card).to_have_attribute("data-status", "rejected")
        second.reload()
        other = second.locator(f'li.item[data-id="{ids[0]}"]')
        other.locator(".wid").click()
        other.locator('[data-action="accept"]').click()
        expect(second.locator('#accept-dialog input[name="title"]')).not_to_have_value("")  # drafted
        second.locator('#accept-dialog input[name="title"]').press("Enter")
        expect(other).to_have_attribute("data-status", "accepted")
        card.locator(".wid").click()  # the current card shows its buttons
        card.locator('[data-action="undo-card"]').click()
        conflict = first.locator("#conflict-dialog")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("accept by carol")
        expect(conflict).to_contain_text("Yours was: undo")
        expect(conflict.get_by_text("Keep theirs")).to_be_focused()
        first.keyboard.press("Enter")  # the focused, safe choice
        expect(conflict).to_be_hidden()
        with Store(db) as store:
            assert store.works.work(ids[0])["status"] == "accepted" and len(store.catalog.entries()) == 1
            assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "accept"]
        # The footer's undo (after a decision of tab one's) goes the same way.
        first.locator(f'li.item[data-id="{ids[1]}"] .wid').click()
        first.locator(f'li.item[data-id="{ids[1]}"]').locator('[data-action="defer"]').click()
        expect(first.locator(f'li.item[data-id="{ids[1]}"]')).to_have_attribute("data-status", "deferred")
        second.reload()
        second.locator(f'li.item[data-id="{ids[1]}"] .wid').click()
        second.locator(f'li.item[data-id="{ids[1]}"]').locator('[data-action="accept"]').click()
        expect(second.locator('#accept-dialog input[name="title"]')).not_to_have_value("")  # drafted
        second.locator('#accept-dialog input[name="title"]').press("Enter")
        expect(second.locator(f'li.item[data-id="{ids[1]}"]')).to_have_attribute("data-status", "accepted")
        first.locator("#flash button").click()
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("Yours was: undo")
        conflict.get_by_text("Keep theirs").click()
        with Store(db) as store:
            assert store.works.work(ids[1])["status"] == "accepted"


def test_without_javascript_a_stale_undo_and_a_stale_accept_get_the_standing_decision(
        browser: Any, tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 3)
    for base in serve(tmp_path, db, curator="carol"):
        first, second = _two_pages(browser, base, javascript=False)
        # Tab one rejects; tab two, on a page loaded before, opens the accept page and saves it.
        second.locator(f'li.item[data-id="{ids[0]}"] [data-action="accept"]').click()
        expect(second.locator("h1")).to_have_text("Accept into the catalog")
        first.locator(f'li.item[data-id="{ids[0]}"] button[value="reject"]').click()
        expect(first.locator("#flash")).to_contain_text(f"rejected: {ids[0]}")
        second.get_by_role("button", name="Save entry").click()
        expect(second.locator("[data-standing]")).to_contain_text("reject by carol")
        expect(second.locator("[data-yours]")).to_contain_text("Yours was: accept")
        with Store(db) as store:
            assert store.works.work(ids[0])["status"] == "rejected" and store.catalog.entries() == []
        # Replace it, on purpose.
        second.get_by_role("button", name="Replace it with mine (accept)").click()
        with Store(db) as store:
            assert store.works.work(ids[0])["status"] == "accepted" and len(store.catalog.entries()) == 1
        # Tab one's footer undo (it still shows its reject) would take the entry off the catalog.
        first.locator("#flash button", has_text="undo").click()
        expect(first.locator("[data-standing]")).to_contain_text("accept by carol")
        expect(first.locator("[data-yours]")).to_contain_text("Yours was: undo")
        first.get_by_role("link", name="Keep theirs").click()
        with Store(db) as store:
            assert store.works.work(ids[0])["status"] == "accepted" and len(store.catalog.entries()) == 1
            assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "accept"]
        # The card's own undo button on tab one's older page: the same page, nothing changed.
        first.goto(base + "/?status=all")
        second.goto(base + "/?status=all")
        second.locator(f'li.item[data-id="{ids[0]}"] button[data-action="undo-card"]').click()
        first.locator(f'li.item[data-id="{ids[0]}"] button[data-action="undo-card"]').click()
        expect(first.locator("[data-standing]")).to_contain_text(f"{ids[0]} is rejected now")
        with Store(db) as store:
            assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "accept", "undo"]
