"""`rsiwatch serve --public`: the published pages and /submit, and nothing of the review page.

The public app is driven through Flask's test client (and, for the crawl that reads a submission
afterwards, the real command line); the pages submitted live on a real local server, whose request log
shows that a POST fetches nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from cli_support import run_cli, run_json, write_config
from local_server import Response
from store_support import inbox, submissions

from rsiwatch.config import parse_config
from rsiwatch.intake import process_inbox
from rsiwatch.review.web import create_app
from rsiwatch.site.public import create_public_app
from rsiwatch.store import Store

PAGE = b"""<!doctype html><html><head><title>LLM-written kernels speed up training</title>
<meta name="description" content="Kernels written by a language model replace hand-written CUDA in a training run.">
</head><body><h1>LLM-written kernels speed up training</h1></body></html>"""
HTML = {"Content-Type": "text/html; charset=utf-8"}
SCRIPT = "<script>alert('x')</script>"


def public_config(**public: object):
    return parse_config(yaml.safe_dump({
        "http": {"allow_private_addresses": True, "connect_timeout_s": 1, "read_timeout_s": 2, "total_timeout_s": 3,
                 "retries": 0},
        "politeness": {"default_delay_s": 0, "per_host_delay_s": {}},
        "public": {"rate_limit": "100 per minute", **public},
    }))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "entries").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>catalog</title><h1>The catalog</h1>")
    (site / "entries" / "1.html").write_text("<!doctype html><title>entry 1</title>")
    (site / "catalog.csv").write_text("ID,Description\n1,x\n")
    return site


def token_of(client) -> str:
    page = client.get("/submit")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def post(client, token: str, **fields: str):
    return client.post("/submit", data={"csrf_token": token, **fields})


def review_addresses() -> list[str]:
    """Every address of the review page, made concrete (taken from the review app itself, so a new review
    address is covered without editing this list)."""
    app = create_app(parse_config(""), "unused.db")
    concrete = {"entry_id": "1", "fmt": "csv", "name": "catalog.csv", "filename": "review.js"}
    out = set()
    for rule in app.url_map.iter_rules():
        out.add(re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: concrete[m.group(1)], rule.rule))
    return sorted(out - {"/"})


def test_every_review_address_answers_404_in_public_mode(tmp_path: Path, site: Path) -> None:
    addresses = review_addresses()
    # The list as it stands today, so a review address cannot quietly drop out of the check either.
    assert {"/catalog", "/catalog/1", "/stats", "/stats/tune.png", "/api/entry", "/api/decide", "/api/accept",
            "/api/undo", "/export/catalog.csv", "/exports/catalog.csv", "/static/review.js"} <= set(addresses)
    client = create_public_app(public_config(), tmp_path / "c.db", site).test_client()
    for address in addresses:
        for method in ("GET", "POST"):
            answer = client.open(address, method=method)
            assert answer.status_code == 404, (method, address, answer.status_code)
    # ... while the published pages and the form are there.
    assert client.get("/").status_code == 200 and b"The catalog" in client.get("/").data
    assert client.get("/entries/1.html").status_code == 200
    assert client.get("/catalog.csv").status_code == 200
    assert client.get("/submit").status_code == 200
    assert client.get("/../c.db").status_code == 404


@pytest.mark.slow
def test_a_submission_is_stored_and_fetches_nothing_until_the_crawl(tmp_path: Path, site: Path, local_server) -> None:
    local_server.add("/kernels", body=PAGE, headers=HTML)
    url = local_server.url + "/kernels"
    write_config(tmp_path / "config.yaml", [], http={"allow_private_addresses": True, "retries": 0,
                                                     "connect_timeout_s": 2, "read_timeout_s": 2, "total_timeout_s": 5})
    run_cli("init", cwd=tmp_path)
    client = create_public_app(public_config(), tmp_path / "candidates.db", site).test_client()
    answer = post(client, token_of(client), url=url, why="A language model wrote the kernels used in training.",
                  submitter="Ada")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/submit/thanks")
    assert local_server.requests == []  # the POST fetched nothing
    with Store(tmp_path / "candidates.db") as store:
        (row,) = inbox(store)
        assert (row["url"], row["submitter"], row["read_at"]) == (url, "Ada", None)

    run_cli("crawl", cwd=tmp_path)
    assert [r.path for r in local_server.requests] == ["/kernels"]
    (queued,) = [c for c in run_json("candidates", cwd=tmp_path) if c["queue_reason"] == "submitted"]
    assert queued["title"] == "LLM-written kernels speed up training"
    assert queued["submitter"] == "Ada"
    assert queued["note"] == "A language model wrote the kernels used in training."
    run_cli("crawl", cwd=tmp_path)  # read once: the next crawl leaves it alone
    assert len(local_server.requests) == 1


def test_a_page_that_cannot_be_read_joins_the_queue_and_is_read_later(tmp_path: Path, local_server) -> None:
    broken = {"on": True}
    local_server.add("/post", handler=lambda r: Response(503, b"down") if broken["on"] else Response(200, PAGE, HTML))
    url = local_server.url + "/post"
    config = public_config()
    with Store(tmp_path / "c.db") as store:
        store.submissions.inbox_add(url, "Self-generated curricula used to train the model.", "Grace")
        first = process_inbox(config, store)
        assert (first.read, first.unread) == (0, 1)
        (placeholder,) = store.queue.review_queue(status="new")[0]
        assert placeholder["title"] == url and placeholder["queue_reason"] == "submitted"
        (submission,) = submissions(store, placeholder["id"])
        assert "503" in submission["fetch_error"] and submission["submitter"] == "Grace"
        assert process_inbox(config, store).handled == 0  # not due again yet
        broken["on"] = False
        later = process_inbox(config, store, now="2999-01-01T00:00:00.000Z")
        assert (later.read, later.unread) == (1, 0)
        work = store.works.work(placeholder["id"])
        assert work["title"] == "LLM-written kernels speed up training"
        assert submissions(store, placeholder["id"])[0]["fetch_error"] is None
        assert work["status"] == "new" and work["queued_at"]


def test_guards_csrf_honeypot_body_limit_and_bad_fields(tmp_path: Path, site: Path) -> None:
    client = create_public_app(public_config(), tmp_path / "c.db", site).test_client()
    token = token_of(client)
    good = {"url": "https://example.org/paper", "why": "An agent that rewrote its own training code."}
    # No token (a forged cross-site post, or a tab left open across a restart): the form again, kept.
    missing = client.post("/submit", data=good)
    assert missing.status_code == 400 and b"expired" in missing.data and b"https://example.org/paper" in missing.data
    foreign = client.post("/submit", data={"csrf_token": token, **good}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    trapped = post(client, token, website="http://spam.example", **good)
    assert trapped.status_code == 303  # a bot is not told; nothing is kept
    for fields, reason in [
        ({"why": "x"}, b"url"), ({"url": "ftp://example.org/x", "why": "x"}, b"http"),
        ({"url": "https://example.org/x", "why": "  "}, b"why"),
        ({"url": "https://example.org/x", "why": "x", "submitter": "n" * 101}, b"submitter"),
    ]:
        answer = post(client, token, **fields)
        assert answer.status_code == 400 and reason in answer.data, fields
    huge = post(client, token, url="https://example.org/x", why="w" * 60_000)  # past what any limit allows
    assert huge.status_code == 413 and b'<form method="post" action="/submit">' in huge.data
    assert b"at most 2,000 characters" in huge.data
    with Store(tmp_path / "c.db") as store:
        assert inbox(store) == []
    assert post(client, token, **good).status_code == 303
    with Store(tmp_path / "c.db") as store:
        assert [r["url"] for r in inbox(store)] == ["https://example.org/paper"]


JAPANESE = "自己対局で学習する定理証明器。" * 127  # 1,905 characters: under the form's 2,000, 17 KB URL-encoded


def test_text_in_any_script_under_the_limits_is_taken_and_a_refusal_keeps_it(tmp_path: Path, site: Path) -> None:
    client = create_public_app(public_config(), tmp_path / "c.db", site).test_client()
    token = token_of(client)
    why = JAPANESE[:1900]
    assert len(urlencode({"why": why})) > 16 * 1024  # the old body cap refused this with a bare 413
    assert post(client, token, url="https://example.org/ja", why=why, submitter="山田 太郎").status_code == 303
    # Too long: the form again, every field as typed, the reason by the field, the field marked invalid.
    long = why + "。" * 200
    refused = post(client, token, url="https://example.org/ja2", why=long, submitter="Лев")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and long in page and "Лев" in page and "https://example.org/ja2" in page
    assert re.search(r'<textarea id="why"[^>]*aria-invalid="true" aria-describedby="why-error"', page)
    assert '<p class="field-error" id="why-error">why: at most 2000 characters</p>' in page
    # Empty: the same, by the url field.
    empty = post(client, token, url="", why=why)
    assert empty.status_code == 400 and why in empty.get_data(as_text=True)
    assert re.search(r'<input id="url"[^>]*aria-invalid="true"', empty.get_data(as_text=True))
    with Store(tmp_path / "c.db") as store:
        assert [(r["why"], r["submitter"]) for r in inbox(store)] == [(why, "山田 太郎")]


def test_refused_posts_use_no_budget_and_429_keeps_the_text_and_says_when(tmp_path: Path, site: Path) -> None:
    client = create_public_app(public_config(rate_limit="2 per hour"), tmp_path / "c.db", site).test_client()
    token = token_of(client)
    for _ in range(4):  # mistakes, fixed and sent again: none of them counts
        assert post(client, token, url="https://example.org/x", why="").status_code == 400
    codes = [post(client, token, url=f"https://example.org/{i}", why="because").status_code for i in range(2)]
    assert codes == [303, 303]
    late = post(client, token, url="https://example.org/late", why="ما زال مهمًا: " + JAPANESE[:50])
    page = late.get_data(as_text=True)
    assert late.status_code == 429 and "ما زال مهمًا" in page and "https://example.org/late" in page
    wait = int(late.headers["Retry-After"])
    assert 3000 < wait <= 3600
    assert f"please send this one again in {round(wait / 60)} minutes" in page
    assert "per 1 hour" not in page and "<form" in page


def test_the_form_takes_the_sites_title(tmp_path: Path, site: Path) -> None:
    client = create_public_app(public_config(title="Die Liste: KI verbessert "
                                                   "KI"), tmp_path / "c.db", site).test_client()
    for address in ("/submit", "/submit/thanks", "/nothing-here"):
        assert "<title>" in (page := client.get(address).get_data(as_text=True))
        assert "· Die Liste: KI verbessert KI</title>" in page and "Examples of AI" not in page, address


def test_the_rate_limit_answers_429_past_its_budget(tmp_path: Path, site: Path) -> None:
    client = create_public_app(public_config(rate_limit="3 per hour"), tmp_path / "c.db", site).test_client()
    token = token_of(client)
    codes = [post(client, token, url=f"https://example.org/{i}", why="because").status_code for i in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    assert client.get("/submit").status_code == 200  # reading is not limited
    with Store(tmp_path / "c.db") as store:
        assert len(inbox(store)) == 3


def test_script_payloads_render_inert_on_the_form_and_the_review_page(tmp_path: Path, site: Path, local_server) -> None:
    local_server.add("/p", handler=lambda r: Response(500, b"no"))
    client = create_public_app(public_config(), tmp_path / "c.db", site).test_client()
    token = token_of(client)
    again = post(client, token, url=f"javascript:{SCRIPT}", why=SCRIPT, submitter=SCRIPT)
    assert again.status_code == 400 and SCRIPT.encode() not in again.data and b"&lt;script&gt;" in again.data
    assert post(client, token, url=local_server.url + "/p?" + SCRIPT, why=SCRIPT, submitter=SCRIPT).status_code == 303
    with Store(tmp_path / "c.db") as store:
        process_inbox(public_config(), store)
    review = create_app(parse_config(""), tmp_path / "c.db").test_client()
    page = review.get("/", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "Submitted by" in page and "&lt;script&gt;" in page
    assert "<script>alert" not in page


@pytest.mark.slow
def test_accepting_a_submitted_work_credits_its_submitter_and_the_export_names_the_curator(
    tmp_path: Path, local_server
) -> None:
    local_server.add("/kernels", body=PAGE, headers=HTML)
    write_config(tmp_path / "config.yaml", [], http={"allow_private_addresses": True, "retries": 0})
    run_cli("init", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:
        store.submissions.inbox_add(local_server.url + "/kernels", "Kernels for its own training.", "Ada")
    run_cli("crawl", cwd=tmp_path)
    (queued,) = [c for c in run_json("candidates", cwd=tmp_path) if c["queue_reason"] == "submitted"]
    run_cli("accept", queued["canonical_id"], "--by", "bob", "--category", "compilers-kernels", cwd=tmp_path)
    exported = json.loads(run_cli("catalog", "export", "--format", "json", cwd=tmp_path).stdout)
    (entry,) = [e for e in exported if e["work_id"] == queued["canonical_id"]]
    assert (entry["submitter"], entry["reviewed_by"]) == ("Ada", "bob")
    assert all(e["reviewed_by"] is None for e in exported if e["work_id"] != queued["canonical_id"])  # the seed's


def test_a_suggestion_of_a_known_work_is_a_note_not_a_fetch_error(tmp_path: Path, local_server) -> None:
    local_server.add("/kernels", body=PAGE, headers=HTML)
    url = local_server.url + "/kernels"
    config = public_config()
    with Store(tmp_path / "c.db") as store:
        store.submissions.inbox_add(url, "first", "Ada")
        assert process_inbox(config, store).read == 1
        local_server.add("/kernels", handler=lambda r: Response(503, b"down"))
        store.submissions.inbox_add(url, "again, from someone else", "Grace")
        again = process_inbox(config, store)
        assert (again.read, again.unread) == (1, 0)  # nothing left to retry
        work_id = inbox(store)[0]["work_id"]
        assert [(s["note"], s["fetch_error"]) for s in submissions(store, work_id)] == [
            ("first", None),
            ("again, from someone else", None),
        ]
        assert all(r["read_at"] for r in inbox(store))


@pytest.mark.slow
def test_the_crawl_says_how_many_suggestions_it_took_in(tmp_path: Path, local_server) -> None:
    local_server.add("/kernels", body=PAGE, headers=HTML)
    write_config(tmp_path / "config.yaml", [], http={"allow_private_addresses": True, "retries": 0})
    run_cli("init", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:
        store.submissions.inbox_add(local_server.url + "/kernels", "why", None)
        store.submissions.inbox_add("http://127.0.0.1:9/nothing-listens-here", "why not", None)
    crawled = run_cli("crawl", cwd=tmp_path)
    assert "2 suggestions from the public form queued (1 whose page could not be read yet)" in crawled.stderr


def test_a_suggestion_of_a_decided_work_comes_back_in_the_digest_not_the_queue(tmp_path: Path) -> None:
    from crawler.ids import canonical_id
    from crawler.items import Item
    from rsiwatch.review.digest import build_digest

    url = "http://127.0.0.1:9/self-play-provers"  # nothing listens there: the page cannot be read
    work_id = canonical_id(url)
    with Store(tmp_path / "c.db") as store:
        store.works.ingest("blog", [Item(work_id, "Self-play for theorem provers", "s", url, key="a")])
        store.decisions.decide(work_id, "reject", note="not AI development")
        store.submissions.inbox_add(url, "It trains on its own proofs: worth a second look.", "Ada")
        # the work is known, so the suggestion is a sighting and a note, not a queued placeholder
        assert process_inbox(public_config(), store).read == 1
        work = store.works.work(work_id)
        assert (work["status"], work["queue_reason"]) == ("rejected", "decided")
        (again,) = build_digest(store, "2000-01-01T00:00:00Z").seen_again
        assert again["id"] == work_id and "submitted" in again["sources"]
        assert submissions(store, work_id)[0]["submitter"] == "Ada"
