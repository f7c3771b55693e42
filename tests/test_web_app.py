"""The review page in-process (Flask test client): pages, decisions, CSRF, Host check, password, exports."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from review_fixtures import make_config, populate
from store_support import decisions

from rsiwatch.catalog.formats import to_csv
from rsiwatch.present.security import UnsafeBind
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.db"
    populate(path, 12)
    return path


@pytest.fixture
def client(tmp_path: Path, db: Path):
    app = create_app(make_config(tmp_path), db)
    return app.test_client()


def token(client) -> str:
    page = client.get("/", base_url=BASE)
    assert page.status_code == 200
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.get_data(as_text=True)).group(1)


def test_queue_best_first_with_everything_to_judge(client, db: Path) -> None:
    page = client.get("/", base_url=BASE)
    html = page.get_data(as_text=True)
    ids = re.findall(r'<li class="item" data-id="([^"]+)"', html)
    with Store(db) as store:
        expected = [w["id"] for w in store.scores.candidates(limit=None)]
    assert ids == expected
    assert "<mark>Self-play</mark> reinforcement learning" in html  # why terms highlighted in the title
    assert 'href="https://arxiv.org/pdf/2501.10000"' in html  # PDF for arXiv ids
    assert 'href="https://github.com/lab/project-0"' in html  # code link
    assert "AlphaGo Zero: self-play" in html and "import-ai" in html and "arxiv-ml" in html
    assert "training-data-self-play" in html


def test_security_headers(client) -> None:
    response = client.get("/", base_url=BASE)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"  # a form POST must carry its real Origin
    assert "<script>" not in response.get_data(as_text=True)  # only <script src=...>


@pytest.mark.parametrize(
    "host", ["evil.example:8765", "evil.example", "127.0.0.1", "127.0.0.1:9999", "localhost.evil.example:8765"]
)
def test_other_hosts_are_refused(client, host: str) -> None:
    assert client.get("/", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765"])
def test_loopback_names_are_accepted(client, host: str) -> None:
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_post_needs_the_csrf_token(client, db: Path) -> None:
    work_id = "arxiv:2501.10003"
    form = {"id": work_id, "action": "reject", "seen": "0"}
    assert client.post("/api/decide", data=form, base_url=BASE).status_code == 403  # no session, no token
    good = token(client)
    assert client.post("/api/decide", data=form, base_url=BASE).status_code == 403  # session, no token
    assert client.post("/api/decide", data={**form, "csrf_token": "x" + good}, base_url=BASE).status_code == 403
    cross = client.post(
        "/api/decide", data=form, headers={"X-CSRF-Token": good, "Origin": "http://evil.example"}, base_url=BASE
    )
    assert cross.status_code == 403
    with Store(db) as store:
        assert decisions(store, work_id) == []
    ok = client.post(
        "/api/decide", data={**form, "note": "a survey"}, headers={"X-CSRF-Token": good, "Origin": BASE}, base_url=BASE
    )
    assert ok.status_code == 200 and ok.json["status"] == "rejected"
    with Store(db) as store:
        [decision] = decisions(store, work_id)
        assert (decision["action"], decision["note"], decision["origin"], decision["model_version"]) == (
            "reject",
            "a survey",
            "web",
            1,
        )
        assert decision["score"] == pytest.approx(0.89)


def test_state_changes_are_post_only(client) -> None:
    token(client)
    assert client.get("/api/decide?id=arxiv:2501.10000&action=reject", base_url=BASE).status_code == 405
    assert client.get("/api/undo?id=arxiv:2501.10000", base_url=BASE).status_code == 405


def test_accept_with_edits_then_undo(client, db: Path) -> None:
    csrf = token(client)
    work_id = "arxiv:2501.10001"
    prefill = client.get(f"/api/entry?id={work_id}", base_url=BASE).json
    assert prefill["title"].startswith("Evolutionary neural architecture search")
    assert prefill["year"] == 2025 and prefill["category"] == "architecture-algorithm-search"
    assert prefill["description"].endswith("development.") and prefill["url"] == "https://arxiv.org/abs/2501.10001"
    form = {
        **{k: v or "" for k, v in prefill.items() if k != "flags"},
        "id": work_id,
        "description": "Evolution finds image classifiers that beat hand-designed ones.",
        "disputed": "on",
        "category": "architecture-algorithm-search",
    }
    saved = client.post("/api/accept", data={**form, "seen": "0"}, headers={"X-CSRF-Token": csrf}, base_url=BASE)
    assert saved.status_code == 200, saved.json
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert entry["description"] == "Evolution finds image classifiers that beat hand-designed ones."
        assert entry["flags"] == ["disputed"] and entry["origin"] == "accept" and entry["work_id"] == work_id
        assert store.works.work(work_id)["status"] == "accepted"
    undone = client.post(
        "/api/undo",
        data={"id": work_id, "seen": str(saved.json["decision"])},
        headers={"X-CSRF-Token": csrf},
        base_url=BASE,
    )
    assert undone.json["status"] == "new"
    with Store(db) as store:
        assert store.catalog.entries() == []
        assert [d["action"] for d in decisions(store, work_id)] == ["accept", "undo"]


@pytest.mark.parametrize(
    ("field", "value"), [("url", "javascript:alert(1)"), ("category", "nonsense"), ("title", ""), ("year", "20x5")]
)
def test_accept_rejects_bad_fields(client, db: Path, field: str, value: str) -> None:
    csrf = token(client)
    form = {"id": "arxiv:2501.10002", "title": "T", "url": "https://example.org", field: value}
    response = client.post("/api/accept", data=form, headers={"X-CSRF-Token": csrf}, base_url=BASE)
    assert response.status_code == 400 and field in response.json["error"]
    with Store(db) as store:
        assert store.catalog.entries() == [] and decisions(store) == []


def test_search_and_filters(client) -> None:
    def ids(query: str) -> list[str]:
        html = client.get("/?" + query, base_url=BASE).get_data(as_text=True)
        return re.findall(r'<li class="item" data-id="([^"]+)"', html)

    assert ids("q=floorplanning") == ["arxiv:2501.10005"]
    assert set(ids("q=cooling")) == {"arxiv:2501.10007"}
    assert ids("q=%22%29+AND+%28+NEAR") == []  # FTS syntax is quoted, never an error
    assert ids("q=optim") == ["arxiv:2501.10004", "arxiv:2501.10009"]  # prefix search
    assert ids("source=arxiv-ml") == [f"arxiv:2501.{10000 + i}" for i in range(0, 12, 2)]
    assert "arxiv:2501.10006" not in ids("source=import-ai") and "arxiv:2501.10004" in ids("source=import-ai")
    assert ids("category=hardware-design") == ["arxiv:2501.10005"]
    assert ids("min=0.9&max=0.95") == ["arxiv:2501.10000", "arxiv:2501.10001", "arxiv:2501.10002"]
    assert len(ids("week=2001-W01")) == 0
    assert len(ids("week=not-a-week")) == 12


def test_catalog_and_stats_pages(client) -> None:
    catalog = client.get("/catalog", base_url=BASE)
    assert catalog.status_code == 200 and "Catalog" in catalog.get_data(as_text=True)
    stats = client.get("/stats", base_url=BASE).get_data(as_text=True)
    assert 'id="stats"' in stats and "arxiv-ml" in stats and "import-ai" in stats


def test_exports_stay_inside_export_dir(client, db: Path, tmp_path: Path) -> None:
    csrf = token(client)
    client.post(
        "/api/accept",
        data={"id": "arxiv:2501.10000", "title": "Self-play", "seen": "0"},
        headers={"X-CSRF-Token": csrf},
        base_url=BASE,
    )
    download = client.get("/export/catalog.csv", base_url=BASE)
    with Store(db) as store:
        assert download.get_data(as_text=True) == to_csv(store.catalog.entries())
    assert client.post("/export/catalog.csv", base_url=BASE).status_code == 403  # no token
    saved = client.post("/export/catalog.csv", data={"csrf_token": csrf}, base_url=BASE)
    assert saved.status_code == 303
    [written] = list((tmp_path / "exports").iterdir())
    assert client.get(f"/exports/{written.name}", base_url=BASE).status_code == 200
    bib = client.get("/export/catalog.bibtex", base_url=BASE)
    assert (
        bib.mimetype == "application/x-bibtex"
        and 'filename="rsiwatch-catalog.bib"' in bib.headers["Content-Disposition"]
        and bib.get_data(as_text=True).startswith("@misc{rsiwatch")
    )
    assert client.post("/export/catalog.ris", data={"csrf_token": csrf}, base_url=BASE).status_code == 303
    assert sorted(p.suffix for p in (tmp_path / "exports").iterdir()) == [".csv", ".ris"]
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for path in (
        "/exports/..%2fsecret.txt",
        "/exports/../secret.txt",
        "/exports/%2e%2e%2fsecret.txt",
        f"/exports/{secret}",
        "/export/catalog.sh",
        "/exports/.catalog.tmp",
    ):
        response = client.get(path, base_url=BASE)
        assert response.status_code == 404 and b"secret" not in response.data, path


def test_password_required_off_loopback(tmp_path: Path, db: Path) -> None:
    with pytest.raises(UnsafeBind):
        create_app(make_config(tmp_path, host="0.0.0.0"), db)
    with pytest.raises(UnsafeBind):
        create_app(make_config(tmp_path), db, host="192.168.1.20")
    app = create_app(make_config(tmp_path, host="0.0.0.0", password="s3cret"), db)
    client = app.test_client()
    base = "http://review.lan:8765"
    assert client.get("/", base_url=base).status_code == 401
    wrong = base64.b64encode(b"curator:nope").decode()
    assert client.get("/", base_url=base, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    good = base64.b64encode(b"curator:s3cret").decode()
    assert client.get("/", base_url=base, headers={"Authorization": f"Basic {good}"}).status_code == 200


def test_serve_refuses_off_loopback_without_password(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rsiwatch.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "review.password" in lines[0]


def test_stats_view_shows_the_tune_picture_once_there_are_decisions(client, db: Path) -> None:
    before = client.get("/stats", base_url=BASE).get_data(as_text=True)
    assert 'id="stats"' in before and "tune.png" not in before
    assert client.get("/stats/tune.png", base_url=BASE).status_code == 404
    with Store(db) as store:
        queued = [c["id"] for c in store.scores.candidates(limit=None)]
        for i, work_id in enumerate(queued[:8]):
            store.decisions.decide(work_id, "accept" if i % 2 == 0 else "reject")
    page = client.get("/stats", base_url=BASE).get_data(as_text=True)
    assert "/stats/tune.png" in page and "threshold" in page.lower()
    picture = client.get("/stats/tune.png", base_url=BASE)
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.data.startswith(b"\x89PNG\r\n\x1a\n") and len(picture.data) > 10_000


def test_a_broad_search_is_capped_and_says_so(client, db: Path, monkeypatch) -> None:
    import rsiwatch.store.queue

    with Store(db) as store:
        rows, total = store.queue.review_queue(status="all", query="AI")
    assert total.count >= 3 and not total.capped
    monkeypatch.setattr(rsiwatch.store.queue, "SEARCH_CAP", 2)
    with Store(db) as store:
        capped_rows, capped_total = store.queue.review_queue(status="all", query="AI")
    assert capped_total.capped and len(capped_rows) <= 2
    assert {r["id"] for r in capped_rows} <= {r["id"] for r in rows}
    page = client.get("/?q=AI&status=all", base_url=BASE).get_data(as_text=True)
    assert "+ matches for" in page and "add words to narrow" in page


def test_the_queue_page_reads_a_few_batched_queries_whatever_the_number_of_cards(tmp_path: Path, monkeypatch) -> None:
    """No N+1: the statements one queue page runs do not grow with its cards (they were 1 + 5 a card)."""
    from rsiwatch.store import Database

    statements: list[str] = []
    opened = Database.__init__

    def traced(self: Database, path: str | Path) -> None:
        opened(self, path)
        self.conn.set_trace_callback(statements.append)

    counts = {}
    for n in (3, 12):
        db = tmp_path / f"c{n}.db"
        populate(db, n)
        client = create_app(make_config(tmp_path), db).test_client()
        client.get("/", base_url=BASE)  # the first request opens and checks the database once
        monkeypatch.setattr(Database, "__init__", traced)
        statements.clear()
        page = client.get("/", base_url=BASE)
        monkeypatch.setattr(Database, "__init__", opened)
        assert page.get_data(as_text=True).count('<li class="item" data-id=') == n
        counts[n] = len(statements)
    assert counts[3] == counts[12], counts


def test_an_address_without_a_work_says_what_it_needs(client) -> None:
    # a walk typed /accept?work=... (the wrong parameter name): "no work with id ''" named nothing useful
    response = client.get("/accept?work=arxiv:2401.01234", base_url=BASE)
    assert response.status_code == 400 and b"the address needs ?id=" in response.data
    missing = client.get("/accept?id=arxiv:0000.00000", base_url=BASE)
    assert missing.status_code == 404 and b"no work with id" in missing.data
    api = client.get("/api/entry", base_url=BASE)
    assert api.status_code == 400 and "?id=" in api.get_json()["error"]
