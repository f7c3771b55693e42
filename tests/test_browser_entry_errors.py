"""The second user walk of issue 23: an accept form with several broken fields at once, on a 375x667
phone, with and without JavaScript.  Every error stands by its field and is the field's description for a
screen reader (aria-describedby); the focus goes to the first broken field of the form (top to bottom,
not the order the rules ran in); fixing them one by one ends in a saved entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import playwright_or_skip, serve
from review_fixtures import populate
from store_support import catalog_add

from rsiwatch.present.text import CATEGORIES
from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect
expect.set_options(timeout=15_000)  # generous: the machine may be busy
SMALL_PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def page_for(browser: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def make(javascript: bool) -> Any:
        context = browser.new_context(java_script_enabled=javascript, **SMALL_PHONE)
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in opened:
        context.close()


def field(form: Any, name: str) -> Any:
    return form.locator(f'[name="{name}"]')


def save(form: Any) -> None:
    form.get_by_role("button", name="Save entry").click()


def expect_errors(form: Any, first: str, messages: dict[str, str]) -> None:
    """Each broken field: marked invalid, its error beside it and its accessible description; ``first`` focused."""
    for name, text in messages.items():
        expect(field(form, name)).to_have_attribute("aria-invalid", "true")
        expect(field(form, name)).to_have_accessible_description(text)
    expect(form.locator(".field-error")).to_have_count(len(messages))
    expect(field(form, first)).to_be_focused()


@pytest.mark.parametrize("javascript", [False, True], ids=["page-without-js", "dialog"])
def test_several_broken_fields_are_each_told_beside_their_field_and_fixed_one_by_one(
    tmp_path: Path, page_for: Any, javascript: bool
) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 3)
    page = page_for(javascript)
    for base in serve(tmp_path, db):
        if javascript:
            page.goto(base + "/")
            page.keyboard.press("a")  # the first card is current
            form = page.locator("#accept-dialog form")
        else:
            page.goto(f"{base}/accept?id={ids[0]}&next=/&seen=0")
            form = page.locator("form.entry-form")
        expect(field(form, "year")).to_have_value("2025")
        # Four broken fields; a year that is no year comes first in the rules' order, last of them in the form.
        field(form, "description").fill("")
        field(form, "year").fill("20x5")
        field(form, "date_published").fill("2025-02-30")
        field(form, "authors").fill("Ada Lovelace")
        save(form)
        if not javascript:
            form = page.locator("form.entry-form")
        expect_errors(form, "description", {
            "description": "description: required (one sentence saying what the example is)",
            "year": "year: expected a year such as 2025",
            "date_published": "date_published: '2025-02-30': no such day (2025-02 has no day 30)",
        })
        # One by one: the description, then the year (which now disagrees with a real date), then the date.
        field(form, "description").fill("Self-play trains a prover without human proofs.")
        field(form, "year").fill("2023")
        field(form, "date_published").fill("2025-02-28")
        save(form)
        if not javascript:
            form = page.locator("form.entry-form")
        expect_errors(form, "year", {"year": "year: 2023 disagrees with the date published '2025-02-28' (2025)"})
        expect(field(form, "description")).to_have_accessible_description("")
        expect(field(form, "authors")).to_have_value("Ada Lovelace")
        field(form, "year").fill("2025")
        save(form)
        expect(page.locator("#flash")).to_contain_text("into the catalog as entry 1")
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert entry["description"] == "Self-play trains a prover without human proofs."
        assert entry["year"] == 2025 and entry["date_published"] == "2025-02-28"
        assert entry["authors"] == "Ada Lovelace"


def test_an_unknown_category_is_told_beside_the_category(tmp_path: Path, page_for: Any) -> None:
    """An entry with an unknown category, a broken date and no description, edited on the Catalog tab
    without JavaScript: each error is its field's description, the select's too; then fixed and saved."""
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        catalog_add(store, {"title": "MLGO", "description": "Learned inlining in LLVM.", "year": 2021,
                            "category": "compilers"}, origin="seed")
    page = page_for(False)
    for base in serve(tmp_path, db):
        page.goto(base + "/catalog")
        row = page.locator("tr#entry-1")
        row.locator("summary").click()
        form = row.locator("form")
        field(form, "description").fill("")
        field(form, "date_published").fill("2021-13-01")
        form.get_by_role("button", name="Save entry 1").click()
        form = page.locator("tr#entry-1 form")
        expect_errors(form, "description", {
            "description": "description: required (one sentence saying what the example is)",
            "category": f"category: 'compilers' is not one of {', '.join(CATEGORIES)}",
            "date_published": "date_published: '2021-13-01': there is no month 13",
        })
        field(form, "description").fill("Learned inlining heuristics inside LLVM.")
        field(form, "date_published").fill("2021-01-13")
        field(form, "category").select_option("compilers-kernels")
        form.get_by_role("button", name="Save entry 1").click()
        expect(page.locator("p.saved")).to_contain_text("Saved entry 1")
    with Store(db) as store:
        entry = store.catalog.catalog_entry(1)
        assert entry["category"] == "compilers-kernels" and entry["date_published"] == "2021-01-13"
