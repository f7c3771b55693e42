"""One accept rule and one check of an entry at every door (issue 23): the command line, the terminal review
and the review page accept a work through ``review.accepting.accept_work``, which runs the entry rules; a
refusal names every broken field at once, each by its field on the page's forms, on one line at the terminal.
Real SQLite files, the real Flask app (its test client), the real command line in a subprocess."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

from cli_support import run_cli
from review_fixtures import make_config, populate
from rich.console import Console

from classifier import Scored
from crawler.items import Item
from rsiwatch.review.tui import review_terminal
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
FORM_HEADERS = {"Origin": BASE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
WORK = "arxiv:2501.10000"
EMPTY = "description: required"
NO_SUCH_DAY = "date_published: '2025-02-30': no such day"


def token(client) -> str:
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def accept_form(**fields: str) -> dict[str, str]:
    return {"id": WORK, "next": "/", "seen": "0", "title": "Self-play prover",
            "description": "A prover that trains on its own proofs.", "category": "compilers-kernels",
            "year": "2025", "date_published": "2025-01-02", **fields}


def label_of(page: str, name: str) -> str:
    """The <label> holding the form field ``name`` (where the page shows that field's error)."""
    return re.search(rf'<label[^>]*>[^<]*<(?:input|textarea|select)[^>]*name="{name}"(?:(?!</label>).)*</label>',
                     page, re.S).group(0)


# ---- every broken field at once ----------------------------------------------------------------------------


def test_an_accept_names_every_broken_field_at_once(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    client = create_app(make_config(tmp_path), db).test_client()
    csrf = token(client)
    bad = {"description": " ", "date_published": "2025-02-30"}
    # the review page's dialog (the script's JSON call): one line, and each message by the field it names
    answer = client.post("/api/accept", data=accept_form(**bad), base_url=BASE,
                         headers={"Origin": BASE, "X-CSRF-Token": csrf, "Accept": "application/json"})
    assert answer.status_code == 400
    assert EMPTY in answer.json["error"] and NO_SUCH_DAY in answer.json["error"] and "\n" not in answer.json["error"]
    fields = {e["field"]: e["message"] for e in answer.json["errors"]}
    assert set(fields) == {"description", "date_published"}
    assert fields["description"].startswith(EMPTY) and fields["date_published"].startswith(NO_SUCH_DAY)
    # the accept page without JavaScript: the form again, each error inside its own field's label
    page = html.unescape(client.post("/api/accept", data={**accept_form(**bad), "csrf_token": csrf},
                                     headers=FORM_HEADERS, base_url=BASE).get_data(as_text=True))
    described, dated = label_of(page, "description"), label_of(page, "date_published")
    assert EMPTY in described and NO_SUCH_DAY not in described
    assert NO_SUCH_DAY in dated and EMPTY not in dated
    assert 'aria-invalid="true" autofocus' in described and 'aria-invalid="true"' in dated
    assert "autofocus" not in dated  # one field takes the focus: the first named
    # a field whose own form is wrong is named beside the rules' refusals of the others
    page = html.unescape(client.post("/api/accept", data={**accept_form(**bad, year="20x5"), "csrf_token": csrf},
                                     headers=FORM_HEADERS, base_url=BASE).get_data(as_text=True))
    assert "year: expected a year" in label_of(page, "year") and EMPTY in label_of(page, "description")
    assert NO_SUCH_DAY in label_of(page, "date_published")
    with Store(db) as store:
        assert store.works.work(WORK)["status"] == "new" and store.decisions.work_entry(WORK) is None


def test_the_catalog_tab_names_every_broken_field_at_once(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    run_cli("accept", WORK, "--db", str(db), cwd=tmp_path)
    client = create_app(make_config(tmp_path), db).test_client()
    with Store(db) as store:
        entry = store.decisions.work_entry(WORK)
    csrf = token(client)
    form = {"csrf_token": csrf, **{k: str(entry[k] or "") for k in ("title", "category", "url", "year", "authors")},
            "description": "", "date_published": "2025-02-30"}
    refused = client.post(f"/catalog/{entry['id']}", data=form, headers={"Origin": BASE}, base_url=BASE)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400
    assert EMPTY in label_of(page, "description") and NO_SUCH_DAY in label_of(page, "date_published")
    with Store(db) as store:
        assert store.decisions.work_entry(WORK) == entry


def test_the_command_line_names_every_broken_field_on_one_line(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    proc = run_cli("accept", WORK, "--db", str(db), "--description", " ", "--date", "2025-02-30",
                   cwd=tmp_path, check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert EMPTY in proc.stderr and NO_SUCH_DAY in proc.stderr
    with Store(db) as store:
        assert store.works.work(WORK)["status"] == "new"


# ---- one accept rule -----------------------------------------------------------------------------------------


def misdated(db: Path) -> str:
    """A blog post its feed dates in the future, queued first: the draft's Date Published is impossible."""
    work_id = "url:https://example.org/post"
    with Store(db) as store:
        store.sources.ensure_sources([("blog", "feed", None)])
        store.works.ingest("blog", [Item(work_id, "A model that tunes its successor", "It tunes. It ships.",
                                         "https://example.org/post", key="post", published="2099-03-01T00:00:00Z")])
        store.scores.record_scores(1, [Scored(
            id=work_id, score=0.99, category="research-automation", category_confidence=0.8, category_fits=True,
            why=[], nearest=[])], {work_id: 0.35})
    return work_id


def test_the_terminal_review_refuses_an_entry_the_rules_refuse(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 2)
    work_id = misdated(db)
    out = io.StringIO()
    with Store(db) as store:
        counts = review_terminal(store, stream=io.StringIO("a\nja\nq"), console=Console(file=out, width=300))
    shown = out.getvalue()
    assert "not accepted: date_published: '2099-03-01': a date in the future" in shown
    # refused, nothing saved; the review goes on: j, then a accepts the next card
    assert counts == {"accept": 1}
    with Store(db) as store:
        assert store.works.work(work_id)["status"] == "new" and store.decisions.work_entry(work_id) is None
        assert store.works.work(ids[0])["status"] == "accepted"


def test_the_command_line_and_the_page_accept_a_work_as_the_same_entry(tmp_path: Path) -> None:
    cli_db, page_db = tmp_path / "cli.db", tmp_path / "page.db"
    populate(cli_db, 2)
    with Store(cli_db) as store:  # what OpenAlex said of it: the draft carries it (Venue, Code: the entry's extra)
        store.scholarly.save_meta([{"work_id": WORK, "affiliations": "University of Cambridge",
                                    "venue": "ICML 2026", "code_url": "https://github.com/lab/project-0"}], "test")
    shutil.copy(cli_db, page_db)
    run_cli("accept", WORK, "--db", str(cli_db), "--by", "ada", cwd=tmp_path)
    # the page: the dialog prefilled from /api/entry, saved as drafted (every field the form has)
    client = create_app(make_config(tmp_path, curator="ada"), page_db).test_client()
    draft = client.get(f"/api/entry?id={WORK}", base_url=BASE).get_json()
    names = ("title", "description", "category", "year", "date_published", "url", "authors", "affiliations",
             "submitter", "published_venue", "published_doi", "code_url")
    form = {"id": WORK, "seen": "0", **{n: "" if draft.get(n) is None else str(draft[n]) for n in names}}
    saved = client.post("/api/accept", data=form, base_url=BASE,
                        headers={"Origin": BASE, "X-CSRF-Token": token(client), "Accept": "application/json"})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    kept = ("work_id", "title", "description", "category", "url", "year", "date_published", "authors",
            "affiliations", "submitter", "flags", "extra", "date_iso", "origin", "withdrawn_at")
    entries = []
    for db in (cli_db, page_db):
        with Store(db) as store:
            entry = store.decisions.work_entry(WORK)
            entries.append({k: entry[k] for k in kept})
    assert entries[0] == entries[1]
    assert entries[0]["extra"] == {"Venue": "ICML 2026", "Code": "https://github.com/lab/project-0"}
    assert entries[0]["affiliations"] == "University of Cambridge"
