"""Plain-form decisions (the queue without JavaScript), in-process: the same endpoints as the script's JSON
calls, answered with a 303 back to the page, or with the form again when a field is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from review_fixtures import make_config, populate
from store_support import catalog_add, decisions

from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
FORM_HEADERS = {"Origin": BASE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.db"
    populate(path, 4)
    return path


@pytest.fixture
def client(tmp_path: Path, db: Path):
    return create_app(make_config(tmp_path), db).test_client()


def token(client) -> str:
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def post(client, path: str, **fields: str):
    return client.post(path, data=fields, headers=FORM_HEADERS, base_url=BASE)


def test_every_card_is_a_plain_form_with_the_token(client) -> None:
    html = client.get("/?status=all", base_url=BASE).get_data(as_text=True)
    forms = re.findall(r'<form class="actions" method="post" action="/api/decide">(.*?)</form>', html, re.S)
    assert len(forms) == 4
    csrf = token(client)
    for form in forms:
        assert f'name="csrf_token" value="{csrf}"' in form and 'name="next" value="/?status=all"' in form
        assert 'name="action" value="reject"' in form and 'formaction="/api/undo"' in form
        assert re.search(r'href="/accept\?id=arxiv:2501\.\d+&amp;next=', form)


def test_a_plain_reject_goes_back_with_a_message_and_an_undo(client, db: Path) -> None:
    csrf = token(client)
    answer = post(client, "/api/decide", csrf_token=csrf, id="arxiv:2501.10001", action="reject", note="a survey",
                  next="/?status=all", after="arxiv:2501.10002", seen="0")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?status=all#w-arxiv:2501.10002"
    page = client.get("/?status=all", base_url=BASE).get_data(as_text=True)
    flash = re.search(r'<span id="flash"[^>]*>(.*?)</span>\s*</footer>', page, re.S).group(1)
    assert "rejected: arxiv:2501.10001" in flash and 'action="/api/undo"' in flash
    seen = re.search(r'name="seen" value="(\d+)"><input type="hidden" name="next"', flash).group(1)
    undone = post(client, "/api/undo", csrf_token=csrf, id="arxiv:2501.10001", next="/?status=all", seen=seen)
    assert undone.status_code == 303
    assert "undone: arxiv:2501.10001 is new again" in client.get("/", base_url=BASE).get_data(as_text=True)
    with Store(db) as store:
        assert [(d["action"], d["note"]) for d in decisions(store, "arxiv:2501.10001")] == [("reject", "a survey"),
                                                                                         ("undo", None)]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil", ""])
def test_next_never_leaves_the_site(client, target: str) -> None:
    answer = post(client, "/api/decide", csrf_token=token(client), id="arxiv:2501.10000", action="defer", next=target,
                  seen="0")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_a_refused_plain_accept_shows_its_form_again(client, db: Path) -> None:
    csrf = token(client)
    page = client.get("/accept?id=arxiv:2501.10000&next=/%3Fstatus%3Dall", base_url=BASE).get_data(as_text=True)
    assert 'name="year" inputmode="numeric" maxlength="4" size="4" value="2025"' in page
    assert 'name="seen" value="0"' in page
    refused = post(client, "/api/accept", csrf_token=csrf, id="arxiv:2501.10000", next="/?status=all", seen="0",
                   title="Self-play prover", description="Kept as typed.", year="20x6", disputed="on")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "<h1>Accept into the catalog</h1>" in html
    assert re.search(r'name="year"[^>]*value="20x6" aria-invalid="true" autofocus aria-describedby="year-error">'
                     r'<span class="field-error" role="alert" id="year-error">year: expected a year', html)
    assert 'value="Self-play prover"' in html and ">Kept as typed.</textarea>" in html
    assert re.search(r'name="disputed" checked>', html) and 'name="next" value="/?status=all"' in html
    assert 'name="seen" value="0"' in html  # the refused form keeps the state it was drafted on
    saved = post(client, "/api/accept", csrf_token=csrf, id="arxiv:2501.10000", next="/?status=all", seen="0",
                 title="Self-play prover", description="Kept as typed.", year="2025", disputed="on")
    assert saved.status_code == 303
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert entry["title"] == "Self-play prover" and entry["flags"] == ["disputed"]


def test_the_scripts_json_calls_are_unchanged(client) -> None:
    csrf = token(client)
    answer = client.post("/api/decide", data={"id": "arxiv:2501.10000", "action": "defer", "seen": "0"},
                         headers={"X-CSRF-Token": csrf, "Accept": "application/json"}, base_url=BASE)
    assert answer.status_code == 200 and answer.json["status"] == "deferred"
    bad = client.post(
        "/api/accept",
        data={"id": "arxiv:2501.10001", "title": "T", "year": "20x6", "next": "/", "seen": "0"},
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        base_url=BASE,
    )
    assert bad.status_code == 400 and bad.json["error"].startswith("year:")


def test_a_plain_form_without_its_token_is_refused_as_a_page(client, db: Path) -> None:
    token(client)
    answer = post(client, "/api/decide", id="arxiv:2501.10000", action="reject", next="/")
    assert answer.status_code == 403 and "CSRF token" in answer.get_data(as_text=True)
    assert answer.mimetype == "text/html"
    with Store(db) as store:
        assert decisions(store) == []


def test_a_form_from_before_a_restart_is_refused_with_a_way_back_not_a_reload(tmp_path: Path, db: Path) -> None:
    """A user walk: after `serve` restarted (a new secret key), a plain form of the old page got a 403 page
    saying "reload the page", and reloading that page posts the same stale form again."""
    before = create_app(make_config(tmp_path), db).test_client()
    csrf = token(before)
    cookie = before.get_cookie("rsiwatch_session", domain="127.0.0.1")
    after = create_app(make_config(tmp_path), db).test_client()  # the restarted server
    after.set_cookie("rsiwatch_session", cookie.value, domain="127.0.0.1")
    answer = post(after, "/api/decide", csrf_token=csrf, id="arxiv:2501.10000", action="reject",
                  next="/?status=all", seen="0")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert "nothing was saved: reload the page you came from" in page
    assert re.search(r'<a [^>]*href="/\?status=all"[^>]*data-back>Back to the page</a>', page)
    export = after.post("/export/catalog.csv", data={"csrf_token": csrf}, headers=FORM_HEADERS, base_url=BASE)
    assert export.status_code == 403 and "reload the page you came from" in export.get_data(as_text=True)
    assert re.search(r'<a [^>]*href="/"[^>]*data-back>', export.get_data(as_text=True))  # no `next`: the queue
    with Store(db) as store:
        assert decisions(store) == []


def test_a_refused_catalog_edit_keeps_the_page(tmp_path: Path, client, db: Path) -> None:
    with Store(db) as store:
        entry_id = catalog_add(
            store,
            {"title": "MLGO", "description": "Learned inlining.", "year": 2021, "work_id": "arxiv:2101.04808"},
            origin="seed",
        )
    answer = post(
        client,
        f"/catalog/{entry_id}",
        csrf_token=token(client),
        title="MLGO edited",
        year="20x6",
        description="Learned inlining.",
        deployed_in_production="on",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "<h1>Catalog" in html
    assert f"Entry {entry_id} was not saved: year: expected a year such as 2025" in html
    assert 'value="MLGO edited"' in html
    assert 'value="20x6" aria-invalid="true" autofocus aria-describedby="year-error">' in html
    assert '<details class="entry-edit" open>' in html and 'name="deployed_in_production" checked>' in html
    with Store(db) as store:
        assert store.catalog.catalog_entry(entry_id)["title"] == "MLGO" and store.catalog.catalog_edits(entry_id) == []
