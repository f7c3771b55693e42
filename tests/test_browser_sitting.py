"""The review page in a real sitting (issue 16): in Chromium at desktop and phone size, by keyboard alone,
and with JavaScript switched off.  Each test fails on the page as it was before.

Screenshots go to $RSIWATCH_SCREENSHOTS (default /tmp) as rsiwatch_sitting_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import SCREENSHOTS, playwright_or_skip, serve
from review_fixtures import populate
from store_support import catalog_add, decisions

from classifier import Scored
from crawler.items import Item
from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect
expect.set_options(timeout=15_000)  # generous: the machine may be busy
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def open_page(browser: Any, **context: Any) -> Any:
    ctx = browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | context))
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    """Pages opened by a test (append to this list): their contexts are closed afterwards."""
    opened: list[Any] = []
    yield opened
    for page in opened:
        page.context.close()


def shot(page: Any, name: str, **options: Any) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"rsiwatch_sitting_{name}.png"), **options)


def card(page: Any, work_id: str) -> Any:
    return page.locator(f'li.item[data-id="{work_id}"]')


def add_candidates(db: Path, items: list[Item], score: float = 0.97) -> None:
    """Queue ``items`` (seen by a newsletter) with a score above every populated one."""
    with Store(db) as store:
        store.sources.ensure_sources([("newsletter", "feed", None)])
        store.works.ingest("newsletter", items)
        scored = [Scored(id=item.canonical_id, score=score - n * 0.001, category="compilers-kernels",
                                  category_confidence=0.7, category_fits=True, why=[("compiler", 0.3)], nearest=[])
                  for n, item in enumerate(items)]
        store.scores.record_scores(1, scored, {s.id: 0.35 for s in scored})


def status(db: Path, work_id: str) -> str:
    with Store(db) as store:
        return store.works.work(work_id)["status"]


# ---- undo: the key and the card's button are two actions, labelled apart --------------------------


def test_undo_key_and_card_button_do_what_they_say(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 6)
    page = open_page(browser)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        expect(page.locator(".keys")).to_contain_text("undo last decision")
        expect(card(page, ids[0]).locator(".undo-card")).to_be_hidden()  # nothing to undo on a new card
        page.keyboard.press("r")
        page.keyboard.press("Enter")
        expect(card(page, ids[0])).to_have_attribute("data-status", "rejected")
        page.keyboard.press("d")
        expect(card(page, ids[1])).to_have_attribute("data-status", "deferred")
        # Back on the first card, its own button undoes that card, not the latest decision (the second).
        card(page, ids[0]).locator(".meta").click()
        button = card(page, ids[0]).locator(".undo-card")
        expect(button).to_have_text("undo this decision")
        button.click()
        expect(card(page, ids[0])).to_have_attribute("data-status", "new")
        expect(card(page, ids[1])).to_have_attribute("data-status", "deferred")
        # u then takes back the last decision still standing (the second card's) and goes there.
        page.keyboard.press("u")
        expect(card(page, ids[1])).to_have_attribute("data-status", "new")
        expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[1])
        shot(page, "undo")
    with Store(db) as store:
        assert [d["action"] for d in decisions(store, ids[0])] == ["reject", "undo"]
        assert [d["action"] for d in decisions(store, ids[1])] == ["defer", "undo"]


# ---- the score filter -------------------------------------------------------------------------------


def test_score_filter_takes_any_value_and_says_why_nothing_shows(
    tmp_path: Path, browser: Any, pages: list[Any]
) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 12)  # scores 0.95, 0.93, 0.91, ...
    page = open_page(browser)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        page.locator('input[name="min"]').fill("0.93")  # not a multiple of 0.05: once refused silently
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"min=0\.93"))
        assert page.locator("li.item").evaluate_all("els => els.map(e => e.dataset.id)") == ids[:2]

        page.locator('input[name="min"]').fill("0.9")
        page.locator('input[name="max"]').fill("0.5")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"max=0\.5"))
        expect(page.locator("li.item")).to_have_count(0)
        expect(page.locator(".filter-problem")).to_contain_text("minimum score 0.9 is above the maximum 0.5")
        shot(page, "filter_min_above_max")

        page.goto(base + "/?min=abc&max=0.94")
        expect(page.locator(".filter-problem")).to_contain_text("minimum score 'abc' is not a number from 0 to 1")
        assert page.locator("li.item").evaluate_all("els => els.map(e => e.dataset.id)") == ids[1:]
        page.goto(base + "/?min=1.5")
        expect(page.locator(".filter-problem")).to_contain_text("'1.5' is not a number from 0 to 1")


# ---- without JavaScript -----------------------------------------------------------------------------


def test_deciding_without_javascript(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 5)
    page = open_page(browser, java_script_enabled=False)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/?status=all")
        expect(page.get_by_text("JavaScript is off")).to_be_visible()
        expect(page.locator(".keys")).to_be_hidden()  # the key legend means nothing here
        shot(page, "nojs_queue")

        # Reject the second candidate with a reason: a plain POST, back on the same list at the next card.
        second = card(page, ids[1])
        second.locator('input[name="note"]').fill("a position paper")
        second.get_by_role("button", name="reject").click()
        page.wait_for_url(re.compile(r"/\?status=all#w-"))
        assert page.url.endswith(f"#w-{ids[2]}")
        expect(card(page, ids[1])).to_have_attribute("data-status", "rejected")
        expect(page.locator("#flash")).to_contain_text(f"rejected: {ids[1]}")
        shot(page, "nojs_after_reject")
        assert status(db, ids[1]) == "rejected"

        # The message carries an undo; the card has its own as well.
        page.locator("#flash").get_by_role("button", name="undo").click()
        expect(page.locator("#flash")).to_contain_text(f"undone: {ids[1]} is new again")
        assert status(db, ids[1]) == "new"
        card(page, ids[3]).get_by_role("button", name="defer").click()
        expect(card(page, ids[3])).to_have_attribute("data-status", "deferred")
        card(page, ids[3]).get_by_role("button", name="undo this decision").click()
        expect(card(page, ids[3])).to_have_attribute("data-status", "new")

        # Accept opens a page with the drafted entry; a refused field keeps every other input.
        card(page, ids[0]).get_by_role("link", name="accept").click()
        expect(page.locator("h1")).to_have_text("Accept into the catalog")
        expect(page.locator('input[name="year"]')).to_have_value("2025")
        page.locator('textarea[name="description"]').fill("Self-play trains a prover without human proofs.")
        page.locator('input[name="year"]').fill("20x5")
        page.locator('input[name="company_reported"]').check()
        page.get_by_role("button", name="Save entry").click()
        year = page.locator("label", has=page.locator('input[name="year"]'))
        expect(year.locator(".field-error")).to_contain_text("year: expected a year")
        expect(page.locator('textarea[name="description"]')).to_have_value(
            "Self-play trains a prover without human proofs."
        )
        expect(page.locator('input[name="company_reported"]')).to_be_checked()
        shot(page, "nojs_accept_refused")
        page.locator('input[name="year"]').fill("2025")
        page.get_by_role("button", name="Save entry").click()
        page.wait_for_url(re.compile(r"/\?status=all#w-"))
        expect(page.locator("#flash")).to_contain_text(f"accepted {ids[0]} into the catalog as entry 1")
        expect(card(page, ids[0])).to_have_attribute("data-status", "accepted")
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert entry["description"] == "Self-play trains a prover without human proofs."
        assert entry["year"] == 2025 and entry["flags"] == ["company_reported"]
        assert [d["action"] for d in decisions(store, ids[1])] == ["reject", "undo"]
        assert decisions(store, ids[1])[0]["note"] == "a position paper"
        assert all(d["origin"] == "web" for d in decisions(store))


def test_a_plain_form_without_the_token_is_refused(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 2)
    page = open_page(browser, java_script_enabled=False)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        card(page, ids[0]).locator('input[name="csrf_token"]').evaluate("el => el.remove()")
        card(page, ids[0]).get_by_role("button", name="reject").click()
        expect(page.locator("main")).to_contain_text("CSRF token")
    assert status(db, ids[0]) == "new"


# ---- phone size -------------------------------------------------------------------------------------


def test_phone_sized_sitting(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 8)
    with Store(db) as store:
        catalog_add(
            store,
            {
                "title": "MLGO: Machine Learning Guided Compiler Optimizations Framework",
                "description": "Learned inlining heuristics inside LLVM, deployed for code size.",
                "category": "compilers-kernels",
                "year": 2021,
                "authors": "Mircea Trofin, Yundi Qian",
                "work_id": "arxiv:2101.04808",
                "url": "https://arxiv.org/abs/2101.04808",
            },
            origin="seed",
        )
    page = open_page(browser, **PHONE)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        expect(page.locator(".keys")).to_be_hidden()
        # Nothing fixed covers the current card: its buttons are what a tap at their centre reaches.
        reject = card(page, ids[0]).get_by_role("button", name="reject")
        reject.scroll_into_view_if_needed()
        box = reject.bounding_box()
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('button')?.dataset.action",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit == "reject"
        shot(page, "phone_queue")
        reject.tap()
        expect(page.locator("#reason-dialog")).to_be_visible()
        page.locator("#reason-dialog").get_by_role("button", name="Save").tap()
        expect(card(page, ids[0])).to_have_attribute("data-status", "rejected")
        expect(page.locator("#flash")).to_contain_text(f"reject: {ids[0]}")  # the message shows, the legend not
        shot(page, "phone_after_reject")

        search = page.locator("#search")
        assert search.bounding_box()["width"] >= 300
        search.tap()
        search.fill("floorplanning")
        search.press("Enter")
        page.wait_for_url("**/?q=floorplanning")
        expect(card(page, ids[5])).to_be_visible()

        page.goto(base + "/catalog")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in ("td[data-label='Year']", "td[data-label='Origin']", ".entry-title"):
            cell = page.locator(selector).first.bounding_box()
            assert 0 <= cell["x"] and cell["x"] + cell["width"] <= 390, selector
        expect(page.locator("td[data-label='Year']")).to_contain_text("2021")
        page.locator("summary", has_text="edit").tap()
        assert page.locator('.entry-edit input[name="title"]').bounding_box()["width"] <= 390
        shot(page, "phone_catalog", full_page=True)


def test_the_key_legend_stays_on_a_desktop(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    page = open_page(browser)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        expect(page.locator(".keys kbd").first).to_be_visible()
        expect(page.locator(".plain-note").first).to_be_hidden()  # the script asks for reasons in a dialog
        expect(page.get_by_text("JavaScript is off")).to_be_hidden()


# ---- a refused catalog edit -------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [False, True])
def test_a_refused_catalog_edit_shows_the_form_again(
    tmp_path: Path,
    browser: Any,
    pages: list[Any],
    javascript: bool,
) -> None:
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        catalog_add(
            store,
            {
                "title": "MLGO",
                "description": "Learned inlining heuristics inside LLVM.",
                "year": 2021,
                "category": "compilers-kernels",
                "work_id": "arxiv:2101.04808",
            },
            origin="seed",
        )
    page = open_page(browser, java_script_enabled=javascript)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/catalog")
        row = page.locator("tr#entry-1")
        row.locator("summary").click()
        row.locator('input[name="title"]').fill("MLGO: learned inlining in LLVM")
        row.locator('input[name="year"]').fill("20x6")
        row.locator('input[name="deployed_in_production"]').check()
        row.get_by_role("button", name="Save entry 1").click()
        expect(page.locator("h1")).to_contain_text("Catalog")  # still the catalog, not a bare error page
        row = page.locator("tr#entry-1")
        expect(row.locator("details.entry-edit")).to_have_attribute("open", "")
        year = row.locator("label", has=page.locator('input[name="year"]'))
        expect(year.locator(".field-error")).to_have_text("year: expected a year such as 2025")
        expect(row.locator('input[name="year"]')).to_have_value("20x6")
        expect(row.locator('input[name="year"]')).to_be_focused()
        expect(row.locator('input[name="title"]')).to_have_value("MLGO: learned inlining in LLVM")
        expect(row.locator('input[name="deployed_in_production"]')).to_be_checked()
        expect(row.locator('textarea[name="description"]')).to_have_value("Learned inlining heuristics inside LLVM.")
        shot(page, f"catalog_refused_{'js' if javascript else 'nojs'}")
        row.locator('input[name="year"]').fill("2021")
        row.get_by_role("button", name="Save entry 1").click()
        expect(page.locator("p.saved")).to_contain_text("Saved entry 1")
    with Store(db) as store:
        entry = store.catalog.catalog_entry(1)
        assert entry["title"] == "MLGO: learned inlining in LLVM" and entry["flags"] == ["deployed_in_production"]
        assert len(store.catalog.catalog_edits(1)) == 1  # the refused attempt logged nothing


# ---- LaTeX and the accept dialog's year --------------------------------------------------------------

LATEX_TITLE = r"$\alpha$-Compile: \texttt{opt} passes tuned by RL for $O(n^2)$ kernels"
LATEX_SUMMARY = r"We tune \emph{LLVM} passes. Na\"ive search costs 50% of the budget; \texttt{&lt;script&gt;} is text."


def test_latex_shows_as_text_and_the_year_comes_from_the_work(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    add_candidates(
        db,
        [
            Item("arxiv:2603.01234", LATEX_TITLE, LATEX_SUMMARY, "https://arxiv.org/abs/2603.01234", key="latex"),
            # A revised version of a 2021 paper, announced again in 2026: the year is the paper's.
            Item(
                "arxiv:2101.04808",
                "MLGO: a machine learning guided compiler optimizations framework",
                "Inlining.",
                "https://arxiv.org/abs/2101.04808",
                key="mlgo",
                published="2026-03-02T00:00:00Z",
            ),
            # A blog post whose feed gives no date: the year it was first seen.
            Item(
                "url:https://blog.example/kernels",
                "Kernels written by a model",
                "A post.",
                "https://blog.example/kernels",
                key="post",
            ),
        ],
    )
    with Store(db) as store:
        first_seen_year = store.works.work("url:https://blog.example/kernels")["first_seen"][:4]
    page = open_page(browser)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        latex = card(page, "arxiv:2603.01234")
        expect(latex.locator(".title")).to_have_text("α-Compile: opt passes tuned by RL for O(n^2) kernels")
        expect(latex.locator(".sighting a")).to_have_text("α-Compile: opt passes tuned by RL for O(n^2) kernels")
        expect(latex.locator(".abstract")).to_have_text(
            "We tune LLVM passes. Naïve search costs 50% of the budget; <script> is text."
        )
        assert page.evaluate("document.querySelectorAll('main script').length") == 0
        shot(page, "latex")
        page.keyboard.press("a")
        dialog = page.locator("#accept-dialog")
        expect(dialog.locator('input[name="title"]')).to_have_value(
            "α-Compile: opt passes tuned by RL for O(n^2) kernels"
        )
        expect(dialog.locator('input[name="year"]')).to_have_value("2026")
        page.keyboard.press("Escape")
        for work_id, year in (("arxiv:2101.04808", "2021"), ("url:https://blog.example/kernels", first_seen_year)):
            card(page, work_id).locator(".meta").click()
            page.keyboard.press("a")
            expect(dialog.locator('input[name="year"]')).to_have_value(year)
            page.keyboard.press("Escape")
        shot(page, "accept_year")


# ---- keyboard alone ---------------------------------------------------------------------------------


def test_tab_goes_header_filters_cards_with_a_visible_ring(tmp_path: Path, browser: Any, pages: list[Any]) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 4)
    page = open_page(browser)
    pages.append(page)
    for base in serve(tmp_path, db):
        page.goto(base + "/")
        regions: list[str] = []
        for _ in range(24):
            page.keyboard.press("Tab")
            regions.append(
                page.evaluate(
                    """() => { const el = document.activeElement;
                     if (el.closest('header')) return 'header';
                     if (el.closest('form.filters')) return 'filters';
                     const item = el.closest('li.item');
                     return item ? 'card:' + item.dataset.id : el.tagName; }"""
                )
            )
        order = [r.split(":")[0] for r in regions]
        assert order[0] == "header" and "filters" in order and "card" in order, regions
        assert order == sorted(order, key=["header", "filters", "card"].index), regions
        assert next(r for r in regions if r.startswith("card:")) == f"card:{ids[0]}"
        ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                 return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        assert ring[0] == "solid" and ring[1] >= 3, ring
        shot(page, "keyboard_focus")

        # Tab into a later card makes it current: its decision buttons are reachable by Tab too.
        page.goto(base + "/")
        page.locator(f'li.item[data-id="{ids[1]}"] .title a').focus()
        expect(page.locator("li.item.current")).to_have_attribute("data-id", ids[1])
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.dataset.action") == "reject":
                break
        assert page.evaluate("document.activeElement.closest('li.item').dataset.id") == ids[1]
        page.keyboard.press("Enter")
        expect(page.locator("#reason-dialog")).to_be_visible()
        page.keyboard.press("Enter")
        expect(card(page, ids[1])).to_have_attribute("data-status", "rejected")
