"""The review page in-process (Flask test client): a decision taken on a stale view is refused (409) with
the standing decision and who took it; replacing it on purpose works; accepting keeps the work's entry;
the page's decisions keep the catalog and the decisions in agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from review_fixtures import make_config, populate
from store_support import decisions

from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
WORK = "arxiv:2501.10000"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.db"
    populate(path, 6)
    return path


def tab(tmp_path: Path, db: Path, curator: str):
    """One browser tab: its own client (session and CSRF token) and the decision state its page showed."""
    client = create_app(make_config(tmp_path, curator=curator), db).test_client()
    html = client.get("/", base_url=BASE).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    seen = dict(re.findall(r'<li class="item" data-id="([^"]+)" data-status="[^"]+" data-seen="(\d+)"', html))
    return client, token, seen


def post(client, token: str, path: str, /, **form: str):
    return client.post(path, data=form, headers={"X-CSRF-Token": token, "Origin": BASE}, base_url=BASE)


def test_a_stale_tab_cannot_silently_override_a_decision(tmp_path: Path, db: Path) -> None:
    alice, alice_token, alice_seen = tab(tmp_path, db, "alice")
    bob, bob_token, bob_seen = tab(tmp_path, db, "bob")
    assert alice_seen[WORK] == bob_seen[WORK] == "0"
    rejected = post(alice, alice_token, "/api/decide", id=WORK, action="reject", note="a survey", seen=alice_seen[WORK])
    assert rejected.status_code == 200
    # Bob's tab still shows the work as new: his accept is refused, and told what stands and who decided it.
    accept = {"id": WORK, "title": "Self-play", "description": "Self-play trains provers.", "seen": bob_seen[WORK]}
    refused = post(bob, bob_token, "/api/accept", **accept)
    assert refused.status_code == 409
    body = refused.json
    assert body["status"] == "rejected" and body["standing"]["action"] == "reject"
    assert body["standing"]["decided_by"] == "alice" and "reject by alice" in body["error"]
    assert body["latest"] == rejected.json["decision"]
    with Store(db) as store:
        assert store.works.work(WORK)["status"] == "rejected" and store.catalog.entries() == []
        assert [d["action"] for d in decisions(store, WORK)] == ["reject"]
    # Replacing it on purpose: the same accept, sent with the state the 409 reported.
    replaced = post(bob, bob_token, "/api/accept", **{**accept, "seen": str(body["latest"])})
    assert replaced.status_code == 200
    with Store(db) as store:
        assert [(d["action"], d["decided_by"]) for d in decisions(store, WORK)] == [
            ("reject", "alice"),
            ("accept", "bob"),
        ]
        assert [e["work_id"] for e in store.catalog.entries()] == [WORK] and store.catalog.catalog_disagreements() == []
    # Alice's tab is stale now too: her undo of "her" reject would undo Bob's accept, so it is refused.
    assert post(alice, alice_token, "/api/undo", id=WORK, seen=str(rejected.json["decision"])).status_code == 409
    assert post(alice, alice_token, "/api/decide", id=WORK, action="defer", seen="0").status_code == 409


def test_the_409_is_what_a_stale_undo_and_defer_get_and_the_page_shows_the_state(tmp_path: Path, db: Path) -> None:
    client, token, seen = tab(tmp_path, db, "alice")
    first = post(client, token, "/api/decide", id=WORK, action="defer", seen=seen[WORK])
    assert first.status_code == 200
    undone = post(client, token, "/api/undo", id=WORK, seen=str(first.json["decision"]))
    assert undone.status_code == 200 and undone.json["status"] == "new"
    _, _, fresh = tab(tmp_path, db, "alice")
    assert fresh[WORK] == str(undone.json["decision"])  # the page shows the latest decision, an undo included
    assert post(client, token, "/api/undo", id=WORK, seen=str(first.json["decision"])).status_code == 409


def test_accepting_a_work_with_an_entry_keeps_it_and_undo_restores_it(tmp_path: Path, db: Path) -> None:
    client, token, seen = tab(tmp_path, db, "alice")
    form = {
        "id": WORK,
        "title": "Self-play prover",
        "description": "Curated.",
        "category": "training-data-self-play",
        "affiliations": "Lab",
        "seen": seen[WORK],
    }
    first = post(client, token, "/api/accept", **form)
    entry_id = first.json["catalog_id"]
    with Store(db) as store:
        store.catalog.catalog_edit(entry_id, {"submitter": "zoe"}, origin="test")
    rejected = post(client, token, "/api/decide", id=WORK, action="reject", seen=str(first.json["decision"]))
    prefill = client.get(f"/api/entry?id={WORK}", base_url=BASE).json
    assert prefill["description"] == "Curated." and prefill["title"] == "Self-play prover"  # the entry's own values
    again = post(
        client,
        token,
        "/api/accept",
        **{**form, "description": "Curated, better.", "seen": str(rejected.json["decision"])},
    )
    assert again.json["catalog_id"] == entry_id
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert (entry["description"], entry["submitter"]) == ("Curated, better.", "zoe")  # not in the form: kept
        after = [
            e["after"] for e in store.catalog.catalog_edits(entry_id) if e["decision_id"] == again.json["decision"]
        ]
        assert {"withdrawn_at": None} in after and {"description": "Curated, better."} in after
    post(client, token, "/api/undo", id=WORK, seen=str(again.json["decision"]))
    with Store(db) as store:
        assert store.catalog.entries() == [] and store.decisions.work_entry(WORK)["description"] == "Curated."
        assert store.catalog.catalog_disagreements() == []


def test_the_reason_given_on_the_page_stays_private(tmp_path: Path, db: Path) -> None:
    client, token, seen = tab(tmp_path, db, "alice")
    rejected = post(client, token, "/api/decide", id=WORK, action="reject", note="SECRET reason", seen=seen[WORK])
    undone = post(client, token, "/api/undo", id=WORK, seen=str(rejected.json["decision"]))
    prefill = client.get(f"/api/entry?id={WORK}", base_url=BASE).json
    assert prefill["description"] and "SECRET" not in str(prefill)  # the work's summary, first sentence
    form = {
        **{k: v or "" for k, v in prefill.items() if k != "flags"},
        "id": WORK,
        "seen": str(undone.json["decision"]),
    }
    assert post(client, token, "/api/accept", **form).status_code == 200
    assert "SECRET" not in client.get("/catalog", base_url=BASE).get_data(as_text=True)
    for fmt in ("csv", "md", "json"):
        assert "SECRET" not in client.get(f"/export/catalog.{fmt}", base_url=BASE).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/decide", {"action": "reject"}),
        ("/api/accept", {"title": "Self-play prover", "description": "A prover that trains on its own proofs."}),
        ("/api/undo", {}),
    ],
)
def test_a_change_that_does_not_say_what_it_saw_is_refused(
    tmp_path: Path, db: Path, path: str, fields: dict[str, str]
) -> None:
    """Before: absent ``seen`` meant "act regardless", so an old page reversed a colleague's newer decision."""
    alice, alice_token, alice_seen = tab(tmp_path, db, "alice")
    accepted = post(
        alice,
        alice_token,
        "/api/accept",
        id=WORK,
        title="Self-play prover",
        description="A prover that trains on its own proofs.",
        seen=alice_seen[WORK],
    )
    assert accepted.status_code == 200
    bob, bob_token, _ = tab(tmp_path, db, "bob")
    refused = post(bob, bob_token, path, id=WORK, **fields)
    assert refused.status_code == 400 and refused.json["error"].startswith("seen: missing")
    plain = bob.post(
        path,
        data={"id": WORK, "next": "/", **fields},
        headers={"X-CSRF-Token": bob_token, "Origin": BASE, "Accept": "text/html"},
        base_url=BASE,
    )
    # Said on a page: the accept form again (every input kept), else back to the queue with the refusal.
    shown = plain if plain.status_code == 400 else bob.get("/", base_url=BASE)
    assert plain.status_code == (400 if path == "/api/accept" else 303)
    assert "seen: missing" in shown.get_data(as_text=True)
    with Store(db) as store:
        assert [d["action"] for d in decisions(store, WORK)] == ["accept"]
        assert [e["work_id"] for e in store.catalog.entries()] == [WORK]


def test_a_stale_plain_form_gets_a_page_with_the_standing_decision_and_a_replace_button(
    tmp_path: Path, db: Path
) -> None:
    alice, alice_token, alice_seen = tab(tmp_path, db, "alice")
    bob, bob_token, bob_seen = tab(tmp_path, db, "bob")
    assert post(alice, alice_token, "/api/decide", id=WORK, action="reject", seen=alice_seen[WORK]).status_code == 200
    headers = {"X-CSRF-Token": bob_token, "Origin": BASE, "Accept": "text/html"}
    stale = bob.post(
        "/api/accept",
        data={
            "id": WORK,
            "next": "/",
            "seen": bob_seen[WORK],
            "title": "Self-play prover",
            "description": "Bob's description.",
            "disputed": "on",
        },
        headers=headers,
        base_url=BASE,
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and stale.mimetype == "text/html"
    assert "is rejected now:" in html and "reject by alice" in html and "Yours was: accept" in html
    assert re.search(r'<a class="button primary" href="/" autofocus>Keep theirs</a>', html)
    replace = re.search(r'<form method="post" action="/api/accept" class="inline">(.*?)</form>', html, re.S).group(1)
    resend = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', replace))
    with Store(db) as store:
        assert resend["seen"] == str(store.decisions.latest_decision_id(WORK)) and store.catalog.entries() == []
    assert resend["description"] == "Bob&#39;s description." and resend["disputed"] == "on"
    resend = {k: v.replace("&#39;", "'") for k, v in resend.items()}
    replaced = bob.post("/api/accept", data=resend, headers={"Origin": BASE, "Accept": "text/html"}, base_url=BASE)
    assert replaced.status_code == 303
    with Store(db) as store:
        assert [d["action"] for d in decisions(store, WORK)] == ["reject", "accept"]
        [entry] = store.catalog.entries()
        assert entry["description"] == "Bob's description." and entry["flags"] == ["disputed"]


def test_the_plain_undo_after_a_decision_carries_the_state_it_leaves(tmp_path: Path, db: Path) -> None:
    """The footer's undo button (no JavaScript) after alice's defer must not reverse bob's later accept."""
    alice, alice_token, alice_seen = tab(tmp_path, db, "alice")
    headers = {"X-CSRF-Token": alice_token, "Origin": BASE, "Accept": "text/html"}
    alice.post(
        "/api/decide",
        data={"id": WORK, "action": "defer", "next": "/?status=all", "seen": alice_seen[WORK]},
        headers=headers,
        base_url=BASE,
    )
    page = alice.get("/?status=all", base_url=BASE).get_data(as_text=True)
    flash = re.search(r'<span id="flash"[^>]*>(.*?)</span>\s*</footer>', page, re.S).group(1)
    undo = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', flash))
    assert undo["id"] == WORK and int(undo["seen"]) > 0
    bob, bob_token, _ = tab(tmp_path, db, "bob")  # bob's page shows alice's defer, and he accepts the work
    assert (
        post(bob, bob_token, "/api/accept", id=WORK, title="T", description="D.", seen=undo["seen"]).status_code == 200
    )
    stale = alice.post("/api/undo", data=undo, headers={"Origin": BASE, "Accept": "text/html"}, base_url=BASE)
    assert stale.status_code == 409 and "accept by bob" in stale.get_data(as_text=True)
    with Store(db) as store:
        assert store.works.work(WORK)["status"] == "accepted" and len(store.catalog.entries()) == 1
