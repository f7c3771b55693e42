"""The list's public home end to end in a real Chromium (Playwright, Debian's /usr/bin/chromium): a
visitor suggests a paper through the public form, the crawl reads it, a curator signs in on the review
page, sees who sent it and why, accepts it, and `publish` shows it, credited, on the index, on its own
page and in the feed.  Every server listens on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from browser_support import playwright_or_skip, serve_app
from cli_support import run_cli, run_json
from store_support import decisions

from rsiwatch.config import parse_config
from rsiwatch.curators import hash_password
from rsiwatch.review.web import create_app
from rsiwatch.site.public import create_public_app
from rsiwatch.store import Store

pytestmark = pytest.mark.browser
sync_api = playwright_or_skip()
expect = sync_api.expect

PAGE = b"""<!doctype html><html><head><title>Kernels written by a language model speed up training</title>
<meta name="description" content="A language model writes the GPU kernels of a training run, beating the hand-written ones.">
</head><body><h1>Kernels written by a language model speed up training</h1></body></html>"""
WHY = "The model wrote the CUDA kernels its own training then ran on."


def test_a_suggestion_from_the_public_form_reaches_the_published_catalog(
        browser: Any, tmp_path: Path, local_server) -> None:
    local_server.add("/kernels", body=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    paper = local_server.url + "/kernels"
    settings = {
        "contact": "tests@example.org", "sources": [],
        "politeness": {"default_delay_s": 0, "per_host_delay_s": {}},
        "http": {"allow_private_addresses": True, "retries": 0, "connect_timeout_s": 2, "read_timeout_s": 2,
                 "total_timeout_s": 5},
        "review": {"curators": {"ada": hash_password("ada's long password")}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(settings))
    config = parse_config(yaml.safe_dump(settings))
    run_cli("init", cwd=tmp_path)
    run_cli("publish", "--out", "site", "--submit-url", "/submit", cwd=tmp_path)
    db = tmp_path / "candidates.db"

    public = serve_app(create_public_app(config, db, tmp_path / "site"))
    review = serve_app(create_app(config, db, host="127.0.0.1", port=0))
    public_url, review_url = next(public), next(review)
    try:
        # A visitor: from the published index to the form, and a suggestion sent.
        visitor = browser.new_page()
        visitor.goto(public_url + "/")
        visitor.get_by_role("link", name="Suggest an example").click()
        visitor.fill("#url", paper)
        visitor.fill("#why", WHY)
        visitor.fill("#submitter", "Grace Hopper")
        visitor.get_by_role("button", name="Send").click()
        expect(visitor.get_by_role("heading", name="Thank you")).to_be_visible()
        assert local_server.requests == []  # nothing was fetched while the visitor waited

        run_cli("crawl", cwd=tmp_path)  # the crawl reads the page
        (queued,) = [c for c in run_json("candidates", cwd=tmp_path) if c["queue_reason"] == "submitted"]
        assert queued["submitter"] == "Grace Hopper" and queued["note"] == WHY

        # The curator: signs in, sees who sent it and why, accepts it.
        curator = browser.new_page()
        curator.goto(review_url + "/")
        curator.fill('input[name="name"]', "ada")
        curator.fill('input[name="password"]', "ada's long password")
        curator.get_by_role("button", name="Sign in").click()
        card = curator.locator(f'li.item[data-id="{queued["canonical_id"]}"]')
        expect(card).to_contain_text("Submitted by Grace Hopper")
        expect(card).to_contain_text(WHY)
        card.click()
        curator.keyboard.press("a")
        dialog = curator.locator("#accept-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator('input[name="title"]')).to_have_value(
            "Kernels written by a language model speed up training")
        expect(dialog.locator('input[name="submitter"]')).to_have_value("Grace Hopper")  # seen, correctable
        dialog.locator('input[name="title"]').press("Enter")
        expect(card).to_have_attribute("data-status", "accepted")
        with Store(db) as store:
            (decision,) = decisions(store, queued["canonical_id"])
            assert decision["decided_by"] == "ada"
            (entry,) = [e for e in store.catalog.entries() if e["work_id"] == queued["canonical_id"]]
            assert entry["submitter"] == "Grace Hopper"

        # Published: on the index, on its own page, in the feed, credited.
        run_cli("publish", "--out", "site", "--submit-url", "/submit", cwd=tmp_path)
        visitor.goto(public_url + "/")
        row = visitor.locator("tr", has_text="Kernels written by a language model")
        expect(row).to_contain_text("Grace Hopper")
        visitor.goto(f"{public_url}/entries/{entry['id']}.html")
        expect(visitor.locator("h1")).to_have_text("Kernels written by a language model speed up training")
        feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
        assert feed.entries[0].title == "Kernels written by a language model speed up training"
    finally:
        for server in (public, review):
            server.close()
