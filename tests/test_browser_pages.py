"""Every page, for everyone (issue 22): each page of the review app, the published site and the public
form, in a real Chromium (Playwright, Debian's /usr/bin/chromium) on a phone (390x844) and at 1366 px,
with text in Arabic and Japanese and long unbroken tokens.  Each page must not scroll sideways, and
axe-core must find no critical or serious violation on it (skipped where axe-core is not installed).

Screenshots go to $RSIWATCH_SCREENSHOTS (default /tmp) as rsiwatch_page_<page>_<size>.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import SCREENSHOTS, playwright_or_skip, serve_app
from cli_support import run_cli
from page_checks import SIZES, axe_or_skip, serious_violations, sideways_scroll
from review_fixtures import populate
from store_support import catalog_add

from classifier import Scored
from crawler.items import Item
from rsiwatch.config import parse_config
from rsiwatch.curators import hash_password
from rsiwatch.review.web import create_app
from rsiwatch.site.public import create_public_app
from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect
expect.set_options(timeout=30_000)  # generous: the machine may be busy

ARABIC_TITLE = "نموذج لغوي يكتب نوى الحوسبة لتدريب نموذج أكبر منه"
ARABIC_SUMMARY = "يكتب النموذج نوى وحدة معالجة الرسوميات التي يستخدمها تدريبه. النتائج أسرع من النوى المكتوبة يدويًا."
JAPANESE_TITLE = "大規模言語モデルが自らの学習用GPUカーネルを書く"
JAPANESE_SUMMARY = (
    "大規模言語モデルが自らの学習用GPUカーネルを書き、手書きより速く学習が進んだ。人間の介入は不要だった。" * 3
)
LONG_TOKEN = "Self" + "improvingcompilerkernelsearch" * 8  # one word, 236 characters
LONG_URL = "https://example.org/papers/" + "very-long-path-segment-" * 12 + "?utm_source=" + "x" * 80
PASSWORD = "ada's long password"


@dataclass
class World:
    review: str
    public: str
    signed_in: dict[str, Any]
    arabic_work: str
    entry_id: int
    review_db: str


def _fill(folder: Path) -> tuple[str, int]:
    db = folder / "candidates.db"
    populate(db, 14)
    items = [
        Item(
            "url:https://example.org/ar",
            ARABIC_TITLE,
            ARABIC_SUMMARY,
            "https://example.org/ar",
            key="ar",
            authors=("ليلى حسن", "عمر خالد"),
        ),
        Item(
            "url:https://example.org/ja", JAPANESE_TITLE, JAPANESE_SUMMARY, LONG_URL, key="ja", authors=("山田 太郎",)
        ),
        Item(
            "url:https://example.org/long",
            f"Kernels & <Compilers>: {LONG_TOKEN}",
            f"{LONG_TOKEN}. " * 3,
            "https://example.org/long",
            key="long",
        ),
    ]
    with Store(db) as store:
        store.sources.ensure_sources([(f"newsletter-{LONG_TOKEN[:60]}", "feed", None)])
        store.works.ingest(f"newsletter-{LONG_TOKEN[:60]}", items)
        store.scores.record_scores(
            1,
            [
                Scored(
                    id=i.canonical_id,
                    score=0.99 - n * 0.001,
                    category="compilers-kernels",
                    category_confidence=0.7,
                    category_fits=True,
                    why=[(LONG_TOKEN[:80], 0.3), ("kernels", 0.2)],
                    nearest=[(LONG_TOKEN, 0.4)],
                )
                for n, i in enumerate(items)
            ],
            {i.canonical_id: 0.35 for i in items},
        )
        store.submissions.record_submission(
            "url:https://example.org/ja", "https://example.org/ja", note=ARABIC_SUMMARY, submitter="ليلى"
        )
        queued = [w["id"] for w in store.queue.review_queue(limit=30)[0]]
        store.decisions.decide(queued[3], "reject", origin="test", by="ada")  # decided cards stay on the page, dimmed
        store.decisions.decide(queued[4], "defer", origin="test", by="ada")
        entries = [
            {
                "work_id": "url:https://example.org/ar",
                "title": ARABIC_TITLE,
                "description": ARABIC_SUMMARY,
                "url": "https://example.org/ar",
                "year": 2025,
                "authors": "ليلى حسن, عمر خالد",
                "submitter": "ليلى",
            },
            {
                "work_id": "url:https://example.org/ja",
                "title": JAPANESE_TITLE,
                "description": JAPANESE_SUMMARY,
                "url": LONG_URL,
                "year": 2024,
                "authors": "山田 太郎",
                "affiliations": "東京大学",
            },
            {
                "work_id": "url:https://example.org/long",
                "title": f"Kernels & <Compilers>: {LONG_TOKEN}",
                "description": LONG_TOKEN,
                "url": "https://example.org/long",
                "year": 2023,
                "category": "compilers-kernels",
            },
        ]
        ids = [catalog_add(store, {"flags": [], **e}, "import") for e in entries]
    return "url:https://example.org/ar", ids[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("pages")
    settings = {
        "review": {"curators": {"ada": hash_password(PASSWORD)}, "export_dir": str(folder / "exports")},
        "public": {"title": "Examples of AI improving AI, for everyone"},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(settings))
    config = parse_config(yaml.safe_dump(settings))
    run_cli("init", cwd=folder)
    arabic_work, entry_id = _fill(folder)
    run_cli("publish", "--out", "site", "--submit-url", "/submit", cwd=folder)
    db = folder / "candidates.db"
    review = serve_app(create_app(config, db, host="127.0.0.1", port=0))
    public = serve_app(create_public_app(config, db, folder / "site"))
    review_url, public_url = next(review), next(public)
    context = browser.new_context()
    page = context.new_page()
    page.goto(review_url + "/login")
    page.fill('input[name="name"]', "ada")
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#queue")).to_be_visible()
    state = context.storage_state()
    context.close()
    try:
        yield World(review_url, public_url, state, arabic_work, entry_id, str(db))
    finally:
        review.close()
        public.close()


def _open_dialog(page: Any) -> None:
    expect(page.locator("li.item.current")).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator("#accept-dialog")).to_be_visible()
    expect(page.locator('#accept-dialog input[name="title"]')).not_to_have_value("")


def _refused_form(page: Any) -> None:
    page.fill("#url", "ftp://example.org/paper")  # a valid URL to the browser, refused by the form
    page.fill("#why", JAPANESE_SUMMARY[:300])
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#url-error")).to_be_visible()


@dataclass(frozen=True)
class Page:
    site: str  # review, anonymous (the review app, not signed in), public
    path: Callable[[World], str]
    javascript: bool = True
    then: Callable[[Any], None] | None = None


PAGES = {
    "queue": Page("review", lambda w: "/"),
    "queue-nojs": Page("review", lambda w: "/", javascript=False),
    "accept-dialog": Page("review", lambda w: "/", then=_open_dialog),
    "accept-page": Page("review", lambda w: f"/accept?id={w.arabic_work}", javascript=False),
    "catalog": Page("review", lambda w: "/catalog"),
    "stats": Page("review", lambda w: "/stats"),
    "sign-in": Page("anonymous", lambda w: "/login"),
    "index": Page("public", lambda w: "/"),
    "entry": Page("public", lambda w: f"/entries/{w.entry_id}.html"),
    "form": Page("public", lambda w: "/submit"),
    "form-refused": Page("public", lambda w: "/submit", then=_refused_form),
    "thanks": Page("public", lambda w: "/submit/thanks"),
    "not-found": Page("public", lambda w: "/no-such-page.html"),
}


@pytest.fixture
def opened(browser: Any, world: World) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_(name: str, size: str, *, for_axe: bool = False) -> Any:
        spec = PAGES[name]
        # axe-core runs as a script: for a page without JavaScript it runs in a context whose own scripts
        # are refused instead (the page then looks exactly as it does with JavaScript off).
        off = not spec.javascript and not for_axe
        options: dict[str, Any] = {**SIZES[size], "java_script_enabled": not off}
        if spec.site == "review":
            options["storage_state"] = world.signed_in
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        if not spec.javascript and for_axe:
            page.route("**/*.js", lambda route: route.abort())
        base = world.public if spec.site == "public" else world.review
        page.goto(base + spec.path(world))
        if spec.then:
            spec.then(page)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways(opened: Callable[..., Any], name: str, size: str) -> None:
    page = opened(name, size)
    page.screenshot(path=str(SCREENSHOTS / f"rsiwatch_page_{name}_{size}.png"), full_page=True)
    wide = sideways_scroll(page)
    assert wide is None, f"{name} at {size} scrolls sideways: {wide}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing_serious(opened: Callable[..., Any], name: str, size: str) -> None:
    axe_or_skip()
    page = opened(name, size, for_axe=True)
    violations = serious_violations(page)
    assert not violations, f"{name} at {size}:\n" + "\n".join(violations)


# ---- the sitting stays honest as it goes (these decide: they run last, after every page was looked at) ----


def test_counts_follow_decisions_and_the_accept_dialog_guards_its_fields(browser: Any, world: World) -> None:
    context = browser.new_context(**SIZES["desktop"], storage_state=world.signed_in)
    page = context.new_page()
    page.set_default_timeout(30_000)
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    try:
        page.goto(world.review + "/")
        total = page.locator("[data-total]")
        new_option = page.locator('select[name="status"] option[value="new"]')
        before = int(total.inner_text())
        expect(new_option).to_have_text(f"new ({before})")
        # the first card is the public's suggestion, whatever its score
        expect(page.locator("li.item.current")).to_have_attribute("data-id", "url:https://example.org/ja")
        page.keyboard.press("d")
        expect(page.locator('li.item[data-id="url:https://example.org/ja"]')).to_have_attribute(
            "data-status", "deferred"
        )
        expect(total).to_have_text(str(before - 1))
        expect(new_option).to_have_text(f"new ({before - 1})")

        # A refusal by its fields, every one at once: each shown there, marked invalid; the first focused.
        page.keyboard.press("a")
        dialog = page.locator("#accept-dialog")
        expect(dialog.locator('input[name="title"]')).not_to_have_value("")
        dialog.locator('input[name="year"]').fill("19x")
        dialog.locator('textarea[name="description"]').fill("")
        dialog.locator('input[name="title"]').press("Enter")
        year = dialog.locator('input[name="year"]')
        expect(year).to_have_attribute("aria-invalid", "true")
        expect(dialog.locator("#accept-error-year")).to_contain_text("year")
        description = dialog.locator('textarea[name="description"]')
        expect(description).to_be_focused()  # the first broken field in the form's order (above Year)
        expect(description).to_have_attribute("aria-invalid", "true")
        expect(description).to_have_attribute("aria-describedby", "accept-error-description")
        expect(dialog.locator("#accept-error-description")).to_contain_text("description: required")
        # Leaving the edited form asks first; dismissed, the dialog and its text stay.
        page.keyboard.press("Escape")
        expect(dialog).to_be_visible()
        assert asked == ["Discard your edits to this entry?"]
        expect(year).to_have_value("19x")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_visible()
        assert len(asked) == 2
    finally:
        context.close()


def test_nothing_covers_the_current_card_and_ids_stay_on_one_line(browser: Any, world: World) -> None:
    for javascript in (True, False):
        context = browser.new_context(**SIZES["desktop"], storage_state=world.signed_in, java_script_enabled=javascript)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            if javascript:  # walk down the queue: the fixed key legend never covers the current card's buttons
                page.goto(world.review + "/")
                for _ in range(8):
                    page.keyboard.press("j")
                    actions = page.locator("li.item.current .actions").bounding_box()
                    legend = page.locator("footer.keys").bounding_box()
                    assert actions["y"] + actions["height"] <= legend["y"], (actions, legend)
            else:  # after a plain-form decision the page lands on the next card: its title clear of the header
                with Store(Path(world.review_db)) as store:
                    target = store.queue.review_queue(limit=12)[0][10]["id"]
                page.goto(world.review + f"/#w-{target}")
                title = page.locator(f'li.item[data-id="{target}"] .title').bounding_box()
                header = page.locator("header.top").bounding_box()
                assert title["y"] >= header["y"] + header["height"], (title, header)
        finally:
            context.close()
    context = browser.new_context(**SIZES["desktop"], storage_state=world.signed_in)
    page = context.new_page()
    try:
        page.goto(world.review + "/catalog")
        lines = page.eval_on_selector_all(
            'td[data-label="Entry"]',
            "cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c);"
            " return r.getClientRects().length; })",
        )
        assert lines and set(lines) == {1}  # "80", never "8 / 0"
    finally:
        context.close()
