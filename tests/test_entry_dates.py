"""One date model and one check of an entry (issue 20): Date Published kept as written, a parsed date beside
it for everything machine-facing (never 1970), and the same rules at every door: the accept page without
JavaScript, the script's accept call, the Catalog tab, `accept` and `catalog edit`, `catalog import`."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import pytest
from cli_support import run_cli
from review_fixtures import make_config, populate

from rsiwatch.catalog.entry_rules import IMPOSSIBLE_DATE, UNKNOWN_CATEGORY
from rsiwatch.catalog.formats import parse_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.dates import DateError, parse_date
from rsiwatch.review.web import create_app
from rsiwatch.site.build import build_site
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
FORM_HEADERS = {"Origin": BASE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TODAY = date(2026, 1, 15)

SHEET = """ID,Description,Source,Date Published,Authors,Author Affiliations,Submitter,Category
1,Written as a month.,https://example.org/a,April 2023,,,,compilers-kernels
2,Written day first.,https://example.org/b,21/03/2025,,,,compilers-kernels
3,A year alone.,https://example.org/c,2016,,,,compilers-kernels
4,An ISO day.,https://example.org/d,2025-03-21,,,,compilers-kernels
5,No such day.,https://example.org/e,2025-02-30,,,,compilers-kernels
6,A category nobody knows.,https://example.org/f,2024-05-01,,,,kernels
7,No date at all.,https://example.org/g,,,,,compilers-kernels
"""


@pytest.mark.parametrize(("written", "iso", "precision"), [
    ("April 2023", "2023-04", "month"), ("Apr. 2023", "2023-04", "month"), ("2016", "2016", "year"),
    ("2025-03-21", "2025-03-21", "day"), ("21/03/2025", "2025-03-21", "day"), ("03/21/2025", "2025-03-21", "day"),
    ("21 March 2025", "2025-03-21", "day"), ("March 21, 2025", "2025-03-21", "day"), ("2025-03", "2025-03", "month"),
    ("2025-03-21T10:00:00Z", "2025-03-21", "day"),
])
def test_dates_as_curators_write_them(written: str, iso: str, precision: str) -> None:
    found = parse_date(written, today=TODAY)
    assert found is not None and (found.iso, found.precision) == (iso, precision)


@pytest.mark.parametrize("written", ["2025-02-30", "2025-13-45", "2099-01-01", "2026-02", "31/02/2024", "1850"])
def test_impossible_or_future_dates_are_refused(written: str) -> None:
    with pytest.raises(DateError, match=re.escape(repr(written))):
        parse_date(written, today=TODAY)


def test_text_that_is_no_date_is_none() -> None:
    assert parse_date("", today=TODAY) is None and parse_date("n.d.", today=TODAY) is None


def imported(tmp_path: Path) -> Path:
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        report = import_entries(store, parse_catalog(SHEET, "sheet.csv"), origin="import")
    lines = report.lines("sheet.csv", False)
    # spreadsheet rows: the header is row 1
    assert any("row 7:" in line and "'kernels'" in line and UNKNOWN_CATEGORY in line for line in lines)
    assert any("row 6:" in line and "'2025-02-30'" in line and IMPOSSIBLE_DATE in line for line in lines)
    return db


def test_the_store_keeps_what_was_written_and_the_parsed_date(tmp_path: Path) -> None:
    with Store(imported(tmp_path)) as store:
        entries = {e["id"]: e for e in store.catalog.entries()}
    assert [entries[i]["date_published"] for i in (1, 2, 3, 4)] == ["April 2023", "21/03/2025", "2016", "2025-03-21"]
    assert [(entries[i]["date_iso"], entries[i]["date_precision"]) for i in (1, 2, 3, 4)] == [
        ("2023-04", "month"), ("2025-03-21", "day"), ("2016", "year"), ("2025-03-21", "day")]
    # kept as written, flagged; its machine date is its work's or its own creation day, never the epoch
    assert entries[5]["date_published"] == "2025-02-30" and IMPOSSIBLE_DATE in entries[5]["flags"]
    assert entries[6]["category"] == "kernels" and UNKNOWN_CATEGORY in entries[6]["flags"]
    assert (entries[5]["date_iso"], entries[5]["date_precision"]) == ("2025", "year")  # the year it names
    assert entries[7]["date_iso"] == entries[7]["added_at"][:10] and entries[7]["date_precision"] == "day"


def test_the_feed_dates_and_sorts_by_the_parsed_date_never_1970(tmp_path: Path) -> None:
    with Store(imported(tmp_path)) as store:
        entries = store.catalog.entries()
    feed = feedparser.parse(build_site(entries)["feed.xml"])
    # The feed orders by when an entry entered the catalog (issue 22): never the epoch either.
    assert not any(e.published.startswith("1970") or e.updated.startswith("1970") for e in feed.entries)
    assert {e.id: e.published[:10] for e in feed.entries} == {
        f"urn:rsiwatch:entry:{e['id']}": e["added_at"][:10] for e in entries}
    # Without that moment (an entry of an older site's data), the parsed date stands in, never 1970.
    undated = [{k: v for k, v in e.items() if k not in ("added_at", "changed_at")} for e in entries]
    feed = feedparser.parse(build_site(undated)["feed.xml"])
    stamps = {e.id: e.updated for e in feed.entries}
    assert not any(s.startswith("1970") for s in [*stamps.values(), feed.feed.updated])
    assert stamps["urn:rsiwatch:entry:1"].startswith("2023-04-01")
    assert stamps["urn:rsiwatch:entry:2"].startswith("2025-03-21")
    assert stamps["urn:rsiwatch:entry:3"].startswith("2016-01-01")
    order = [int(e.id.rsplit(":", 1)[1]) for e in feed.entries]
    assert order.index(2) < order.index(1) < order.index(3)  # newest first, by the real dates
    index = build_site(entries)["index.html"].decode()
    assert 'data-year="2023"' in index and ">April 2023<" in index  # shown as written, counted by its year


def test_an_entry_of_an_earlier_release_gets_its_parsed_date_on_open(tmp_path: Path) -> None:
    db = imported(tmp_path)
    with Store(db) as store:
        store.conn.execute("UPDATE catalog SET date_iso = NULL, date_precision = NULL")
    with Store(db) as store:
        entry = store.catalog.catalog_entry(1)
    assert (entry["date_iso"], entry["date_precision"]) == ("2023-04", "month")


# ---- the forms --------------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path):
    db = tmp_path / "candidates.db"
    populate(db, 4)
    with Store(db) as store:
        import_entries(store, parse_catalog(SHEET, "sheet.csv"), origin="import")
    return create_app(make_config(tmp_path), db).test_client(), db


def token(client) -> str:
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def accept_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "id": "arxiv:2501.10000", "next": "/", "title": "Self-play prover",
            "description": "A prover that trains on its own proofs.", "category": "compilers-kernels",
            "year": "2025", "date_published": "2025-01-02", **fields}


@pytest.mark.parametrize(("fields", "message"), [
    ({"description": "  "}, "description: required"),
    ({"date_published": "2025-02-30"}, "date_published: '2025-02-30': no such day"),
    ({"date_published": "2025-13-45"}, "date_published: '2025-13-45': there is no month 13"),
    ({"date_published": "2099-01-01", "year": "2099"}, "date_published: '2099-01-01': a date in the future"),
    ({"year": "2024"}, "year: 2024 disagrees with the date published '2025-01-02'"),
])
def test_every_accept_door_refuses_a_bad_entry(client, fields: dict[str, str], message: str) -> None:
    app, db = client
    csrf = token(app)
    # the accept page without JavaScript: the form again, the error by its field
    page = app.post("/api/accept", data=accept_form(csrf, **fields), headers=FORM_HEADERS, base_url=BASE)
    assert page.status_code == 400 and message in html.unescape(page.get_data(as_text=True))
    # the review page's dialog (the script's JSON call)
    answer = app.post("/api/accept", data=accept_form("", **fields), base_url=BASE,
                      headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert answer.status_code == 400 and message in answer.json["error"]
    with Store(db) as store:
        assert store.works.work("arxiv:2501.10000")["status"] == "new"
        assert store.decisions.work_entry("arxiv:2501.10000") is None


def catalog_form(csrf: str, entry: dict, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        **{
            k: str(entry.get(k) or "")
            for k in (
                "title",
                "description",
                "category",
                "url",
                "year",
                "date_published",
                "authors",
                "affiliations",
                "submitter",
            )
        },
    }
    return {**form, **fields}


def test_the_catalog_tab_refuses_the_same_and_keeps_an_imports_flag(client) -> None:
    app, db = client
    page = app.get("/catalog", base_url=BASE).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "unknown category" in page and "impossible date" in page  # the import's flags show
    with Store(db) as store:
        four, six = store.catalog.catalog_entry(4), store.catalog.catalog_entry(6)
    for fields, message in (
        ({"description": ""}, "description: required"),
        ({"date_published": "2025-02-30"}, "no such day"),
        ({"year": "2019"}, "year: 2019 disagrees"),
    ):
        refused = app.post(
            "/catalog/4", data=catalog_form(csrf, four, **fields), headers={"Origin": BASE}, base_url=BASE
        )
        assert refused.status_code == 400 and message in html.unescape(refused.get_data(as_text=True))
    # an entry an import kept with an unknown category: editing another field keeps the category and its flag
    assert 'value="kernels" selected' in page
    saved = app.post(
        "/catalog/6",
        data=catalog_form(csrf, six, description="Kernels written by a model."),
        headers={"Origin": BASE},
        base_url=BASE,
    )
    assert saved.status_code == 303
    with Store(db) as store:
        assert store.catalog.catalog_entry(4) == four
        six_now = store.catalog.catalog_entry(6)
    assert six_now["category"] == "kernels" and UNKNOWN_CATEGORY in six_now["flags"]
    assert six_now["description"] == "Kernels written by a model."
    # choosing a known category clears the flag; another unknown one is refused
    refused = app.post(
        "/catalog/6", data=catalog_form(csrf, six_now, category="poetry"), headers={"Origin": BASE}, base_url=BASE
    )
    assert refused.status_code == 400
    app.post(
        "/catalog/6",
        data=catalog_form(csrf, six_now, category="compilers-kernels"),
        headers={"Origin": BASE},
        base_url=BASE,
    )
    with Store(db) as store:
        assert UNKNOWN_CATEGORY not in store.catalog.catalog_entry(6)["flags"]


# ---- the command line ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("home")
    run_cli("init", cwd=folder)
    with Store(folder / "candidates.db") as store:
        from crawler.items import Item

        store.works.ingest(
            "test",
            [
                Item(
                    "arxiv:2501.10000",
                    "Self-play prover",
                    "A prover that trains on its own proofs.",
                    "https://arxiv.org/abs/2501.10000",
                    key="arxiv:2501.10000",
                )
            ],
        )
    (folder / "sheet.csv").write_text(SHEET)
    return folder


@pytest.mark.slow
def test_accept_and_catalog_edit_on_the_command_line_check_the_same(home: Path) -> None:
    for date_text, why in (("2025-02-30", "no such day"), ("2099-01-01", "a date in the future")):
        proc = run_cli("accept", "arxiv:2501.10000", "--date", date_text, cwd=home, check=False)
        assert proc.returncode == 2 and f"date_published: '{date_text}': {why}" in proc.stderr
    run_cli("accept", "arxiv:2501.10000", "--date", "April 2025", "--category", "compilers-kernels", cwd=home)
    with Store(home / "candidates.db") as store:
        entry = store.decisions.work_entry("arxiv:2501.10000")
    assert (entry["date_published"], entry["year"], entry["date_iso"]) == ("April 2025", 2025, "2025-04")
    entry_id = str(entry["id"])
    for args, why in (
        (["--description", " "], "description: required"),
        (["--date", "2025-13-45"], "there is no month 13"),
        (["--category", "poetry"], "category: 'poetry' is not one of"),
        (["--year", "2019"], "year: 2019 disagrees"),
    ):
        proc = run_cli("catalog", "edit", entry_id, *args, cwd=home, check=False)
        assert proc.returncode == 2 and why in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    run_cli("catalog", "edit", entry_id, "--date", "21/03/2025", cwd=home)
    with Store(home / "candidates.db") as store:
        entry = store.decisions.work_entry("arxiv:2501.10000")
    assert (entry["date_published"], entry["year"], entry["date_iso"]) == ("21/03/2025", 2025, "2025-03-21")


@pytest.mark.slow
def test_an_import_keeps_bad_rows_flagged_and_doctor_names_them(home: Path) -> None:
    proc = run_cli("catalog", "import", "sheet.csv", cwd=home)
    assert "'kernels'" in proc.stderr and "'2025-02-30'" in proc.stderr
    doctor = run_cli("doctor", cwd=home, check=False)
    assert doctor.returncode == 1
    assert re.search(r"warning: catalog entry \d+: category 'kernels' is not a known category", doctor.stdout)
    assert re.search(r"warning: catalog entry \d+: date published '2025-02-30' is not a real date", doctor.stdout)


def test_today_is_not_the_future() -> None:
    today = datetime.now(UTC).date()
    assert parse_date(today.isoformat()) is not None
