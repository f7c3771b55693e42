"""``rsiwatch publish`` through the real CLI: the files, their addresses, the feed, byte-identical
republishing, and script payloads in every field rendered as text."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from datetime import UTC
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from cli_support import run_cli, run_json

from rsiwatch.site.build import SITE_COLUMNS, entry_date
from rsiwatch.site.publish import SITE_MARKER
from rsiwatch.store import Store

PAYLOAD = "<script>alert('{field}')</script><img src=x onerror=alert('{field}')>\"'&"
FIELDS = ("title", "description", "authors", "affiliations", "submitter", "category", "date_published")


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init")
    run_cli("init", cwd=folder)
    with Store(folder / "candidates.db") as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@pytest.fixture
def seeded(initialised: Path, tmp_path: Path) -> Path:
    """A folder after `rsiwatch init` (the seed catalog loaded), private to the test."""
    for name in ("config.yaml", "candidates.db"):
        shutil.copyfile(initialised / name, tmp_path / name)
    return tmp_path


def catalog_of(folder: Path) -> list[dict]:
    with Store(folder / "candidates.db") as store:
        return store.catalog.entries()


@pytest.mark.slow
def test_publish_writes_every_entry_at_its_stable_address(seeded: Path) -> None:
    proc = run_cli("publish", "--out", "site", cwd=seeded)
    # a new catalog has no audited quarter: said so, not "estimated for 0 quarters" (walk w23)
    assert "no share estimated yet (a quarter needs 5 works with audit decisions)" in proc.stderr
    site = seeded / "site"
    entries = catalog_of(seeded)
    assert len(entries) > 50
    index = (site / "index.html").read_text()
    for e in entries:
        page = site / "entries" / f"{e['id']}.html"
        assert page.is_file(), page
        assert f'<tr id="e{e["id"]}"' in index
        assert f'href="entries/{e["id"]}.html"' in index
        assert f'<article class="entry" id="entry-{e["id"]}">' in page.read_text()
    assert sorted(p.name for p in (site / "entries").iterdir()) == sorted(f"{e['id']}.html" for e in entries)
    # the index is complete without script: every row is in the HTML, the filters are hidden until JS runs
    assert index.count("<tr id=\"e") == len(entries)
    assert re.search(r'<form id="filters"[^>]*\bhidden\b', index)
    # nothing is fetched from elsewhere: every script and stylesheet is local
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', index)
    assert "entries per year by category" in index.lower() and "<svg" in index
    assert "once the weekly audit has reviewed enough" in index  # a fresh database has no audited stream


@pytest.mark.slow
def test_feed_is_atom_newest_first_with_stable_ids(seeded: Path) -> None:
    run_cli("publish", "--out", "site", "--feed-size", "30", "--base-url", "https://lists.example.org/rsi/", cwd=seeded)
    parsed = feedparser.parse((seeded / "site" / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    entries = catalog_of(seeded)
    # the latest to enter the catalog first (the seed entered at once: then by ID, highest first)
    newest = sorted(entries, key=lambda e: (e["added_at"], e["id"]), reverse=True)[:30]
    assert [x.id for x in parsed.entries] == [f"https://lists.example.org/rsi/entries/{e['id']}.html" for e in newest]
    assert [x.link for x in parsed.entries] == [x.id for x in parsed.entries]
    published = [x.published_parsed for x in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert parsed.feed.updated_parsed == max(x.updated_parsed for x in parsed.entries)  # the catalog's, not the clock's
    assert parsed.entries[0].title == newest[0]["title"]


@pytest.mark.slow
def test_an_old_paper_accepted_today_leads_the_feed_and_an_edit_updates_it(seeded: Path) -> None:
    """Subscribers see what entered the catalog, whatever year the paper is from; an edit moves `updated`."""
    from rsiwatch.catalog.formats import ENTRY_FIELDS

    run_cli("publish", "--out", "site", cwd=seeded)
    before = feedparser.parse((seeded / "site" / "feed.xml").read_bytes())
    with Store(seeded / "candidates.db") as store:
        from crawler.items import Item

        store.sources.ensure_sources([("arxiv-ml", "arxiv_rss", None)])
        store.works.ingest(
            "arxiv-ml",
            [
                Item(
                    "arxiv:1905.00001",
                    "An old paper on learned optimizers",
                    "Summary.",
                    "https://arxiv.org/abs/1905.00001",
                    key="old",
                    published="2019-05-01T00:00:00Z",
                )
            ],
        )
        entry = {
            "title": "An old paper on learned optimizers",
            "description": "Learned optimizers, 2019.",
            "year": 2019,
            "date_published": "2019-05",
            "url": "https://arxiv.org/abs/1905.00001",
            "category": None,
            "flags": [],
        }
        _, entry_id = store.decisions.accept(
            "arxiv:1905.00001", {"work_id": "arxiv:1905.00001", **entry}, origin="test", by="ada"
        )
    run_cli("publish", "--out", "site", cwd=seeded)
    feed = feedparser.parse((seeded / "site" / "feed.xml").read_bytes())
    assert feed.entries[0].id == f"urn:rsiwatch:entry:{entry_id}"
    assert feed.entries[0].published_parsed >= before.feed.updated_parsed
    assert feed.feed.updated_parsed == feed.entries[0].updated_parsed > before.feed.updated_parsed
    assert "reviewed_by" not in (seeded / "site" / "catalog.json").read_text()  # curators' names stay private
    assert '"reviewed_by": "ada"' in run_cli("catalog", "export", "--format", "json", cwd=seeded).stdout
    assert set(json.loads((seeded / "site" / "catalog.json").read_text())[0]) == set(ENTRY_FIELDS)

    from rsiwatch.store import utcnow

    stamp = utcnow()  # store timestamps are to the millisecond: wait for the clock to pass it, not a fixed time
    while utcnow() == stamp:
        pass
    with Store(seeded / "candidates.db") as store:
        store.catalog.catalog_edit(
            entry_id, {**entry, "description": "Learned optimizers, found by search."}, origin="test"
        )
    run_cli("publish", "--out", "site", cwd=seeded)
    edited = feedparser.parse((seeded / "site" / "feed.xml").read_bytes())
    assert edited.entries[0].id == f"urn:rsiwatch:entry:{entry_id}"
    assert edited.entries[0].published_parsed == feed.entries[0].published_parsed
    assert edited.entries[0].updated_parsed > feed.entries[0].updated_parsed == feed.entries[0].published_parsed
    assert edited.feed.updated_parsed == edited.entries[0].updated_parsed


@pytest.mark.slow
def test_csv_and_json(seeded: Path) -> None:
    run_cli("publish", "--out", "site", cwd=seeded)
    entries = catalog_of(seeded)
    rows = list(csv.DictReader(io.StringIO((seeded / "site" / "catalog.csv").read_text())))
    assert (
        list(rows[0])
        == SITE_COLUMNS
        == ["ID", "Description", "Source", "Date Published", "Authors", "Author Affiliations", "Submitter", "Category"]
    )
    assert [int(r["ID"]) for r in rows] == [e["id"] for e in entries]
    assert [r["Category"] for r in rows] == [e["category"] or "" for e in entries]
    data = json.loads((seeded / "site" / "catalog.json").read_text())
    assert [d["id"] for d in data] == [e["id"] for e in entries]
    private = json.loads(run_cli("catalog", "export", "--format", "json", cwd=seeded).stdout)
    assert data == [{k: v for k, v in e.items() if k != "reviewed_by"} for e in private]


@pytest.mark.slow
def test_republishing_the_same_catalog_gives_the_same_bytes(seeded: Path, tmp_path: Path) -> None:
    first = run_json("publish", "--out", "site", cwd=seeded)
    before = digest(seeded / "site")
    (seeded / "site" / "CNAME").write_text("lists.example.org\n")  # a file of the host's: left alone
    again = run_json("publish", "--out", "site", cwd=seeded)
    assert again["written"] == 0 and again["unchanged"] == first["written"] == first["files"]
    after = digest(seeded / "site")
    assert after.pop("CNAME") and after == before
    # a second database with the same catalog publishes the same bytes into another folder, but for the
    # marker naming the database it came from and the feed's times: they say when the entries entered that
    # catalog (its own `init`), not the clock's now
    other = tmp_path / "other"
    other.mkdir()
    run_cli("init", cwd=other)
    run_cli("publish", "--out", "site", cwd=other)
    elsewhere, ours = digest(other / "site"), dict(before)
    assert elsewhere.pop(SITE_MARKER) != ours.pop(SITE_MARKER)
    assert elsewhere.pop("feed.xml") and elsewhere == {k: v for k, v in ours.items() if k != "feed.xml"}
    ids = [
        [x.id for x in feedparser.parse((folder / "site" / "feed.xml").read_bytes()).entries]
        for folder in (seeded, other)
    ]
    assert ids[0] == ids[1]


@pytest.mark.slow
def test_an_edit_rewrites_only_what_changed_and_a_removed_entry_loses_its_page(seeded: Path) -> None:
    run_cli("publish", "--out", "site", cwd=seeded)
    before = digest(seeded / "site")
    with Store(seeded / "candidates.db") as store:
        assert store.catalog.catalog_edit(
            3, {**store.catalog.catalog_entry(3), "description": "A new description."}, "test"
        )
        gone = store.catalog.entries()[-1]
        store.conn.execute("DELETE FROM catalog WHERE id = ?", (gone["id"],))
    out = run_json("publish", "--out", "site", "--force", cwd=seeded)  # one entry fewer than the site: forced
    after = digest(seeded / "site")
    changed = {p for p in before.keys() & after.keys() if before[p] != after[p]}
    assert "entries/3.html" in changed and "index.html" in changed and "catalog.csv" in changed
    assert not any(p.startswith("entries/") and p != "entries/3.html" for p in changed)
    assert f"entries/{gone['id']}.html" not in after and out["removed"] == 1 and out["removed_entries"] == [gone["id"]]
    assert "A new description." in (seeded / "site" / "entries" / "3.html").read_text()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def hostile_catalog(folder: Path) -> None:
    entries = [
        {
            "id": 900 + i,
            "work_id": f"url:https://evil.example/{i}",
            **{f: PAYLOAD.format(field=f) for f in FIELDS},
            "url": url,
            "year": 2025,
            "flags": [PAYLOAD.format(field="flag")],
        }
        for i, url in enumerate(
            [
                "javascript:alert('url')",
                "https://evil.example/a?b=<script>alert(1)</script>",
                "data:text/html,<script>alert(2)</script>",
            ]
        )
    ]
    (folder / "hostile.json").write_text(json.dumps(entries))
    run_cli("catalog", "import", "hostile.json", cwd=folder)


@pytest.mark.slow
def test_script_payloads_in_every_field_render_as_text(seeded: Path) -> None:
    hostile_catalog(seeded)
    run_cli("publish", "--out", "site", cwd=seeded)
    site = seeded / "site"
    pages = {p.name: p.read_text() for p in [site / "index.html", *(site / "entries").glob("90*.html")]}
    assert len(pages) == 4
    for name, html in pages.items():
        parser = _Elements()
        parser.feed(html)
        assert [t for t, _ in parser.tags].count("script") == (name == "index.html"), name  # site.js, on the index
        for tag, attrs in parser.tags:
            assert not any(a.startswith("on") for a in attrs), (name, tag, attrs)
            assert tag != "img", name
            for a in ("href", "src"):
                assert not (attrs.get(a) or "").lower().startswith(("javascript:", "data:")), (name, tag, attrs)
        assert "&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt;" in html, name
    entry = pages["900.html"]
    for f in ("title", "authors", "affiliations", "submitter", "category"):
        assert f"&lt;script&gt;alert(&#39;{f}&#39;)" in entry, f
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    hostile = [x for x in feed.entries if x.id.endswith((":900", ":901", ":902"))]
    assert len(hostile) == 3 and all(x.title == PAYLOAD.format(field="title") for x in hostile)
    assert "<script>alert('title')</script>" in (site / "catalog.json").read_text()  # data stays data


@pytest.mark.slow
def test_publish_reports_bad_input_in_one_line(seeded: Path) -> None:
    (seeded / "afile").write_text("x")
    proc = run_cli("publish", "--out", "afile", cwd=seeded, check=False)
    assert proc.returncode == 2 and "'afile' is a file" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("publish", "--out", "site", "--base-url", "javascript:alert(1)", cwd=seeded, check=False)
    assert proc.returncode == 2 and "http(s)" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_index_shows_the_estimated_share_once_the_stream_is_audited(seeded: Path) -> None:
    from tuning_replay import replay, synthetic_rows

    from rsiwatch.tuning.trend_report import quarterly_shares

    with Store(seeded / "candidates.db") as store:
        replay(store, synthetic_rows(n=2400, seed=3), weeks=12, audit_per_week=25)
        shares = [s for s in quarterly_shares(store) if s.share is not None]
    assert shares
    out = run_json("publish", "--out", "site", cwd=seeded)
    assert out["quarters_estimated"] == len(shares)
    index = (seeded / "site" / "index.html").read_text()
    table = index[index.index('<table class="figures" id="share-table">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<tr><th scope="row">(\w+)</th><td>(\d+)</td><td>\d+</td><td>([\d.]+)%</td><td>([\d.]+)% – ([\d.]+)%</td>',
        table,
    )
    assert [(q, int(n)) for q, n, *_ in rows] == [(s.period, s.works) for s in shares]
    for (_, _, share, low, high), s in zip(rows, shares, strict=False):
        assert (float(share), float(low), float(high)) == tuple(round(v * 100, 1) for v in (s.share, s.low, s.high))
    assert index.count("<circle") == len(shares)  # one point per estimated quarter in the chart


def test_entry_dates_and_an_empty_catalog() -> None:
    from datetime import datetime

    from rsiwatch.site.build import UNDATED, build_site

    utc = UTC
    assert entry_date({"date_published": "2025-03-18", "year": 2025}) == datetime(2025, 3, 18, tzinfo=utc)
    assert entry_date({"date_published": "2025-03", "year": 2025}) == datetime(2025, 3, 1, tzinfo=utc)
    assert entry_date({"date_published": None, "year": 2019}) == datetime(2019, 1, 1, tzinfo=utc)
    assert entry_date({"date_published": "2025-02-30"}) == UNDATED and entry_date({}) == UNDATED
    files = build_site([])
    assert set(files) == {
        "index.html",
        "feed.xml",
        "catalog.csv",
        "catalog.json",
        "catalog.bib",
        "catalog.ris",
        "site.css",
        "site.js",
    }
    assert files["catalog.bib"] == b"" and files["catalog.ris"] == b""
    feed = feedparser.parse(files["feed.xml"])
    assert not feed.bozo and feed.entries == [] and feed.feed.id == "urn:rsiwatch:catalog"
    assert files["catalog.json"] == b"[]\n" and files["catalog.csv"].decode().strip() == ",".join(SITE_COLUMNS)


@pytest.mark.slow
def test_publish_in_a_folder_without_a_database_creates_nothing_and_leaves_the_site(
    seeded: Path, tmp_path: Path
) -> None:
    run_cli("publish", "--out", "site", cwd=seeded)
    before = digest(seeded / "site")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_cli("publish", "--out", str(seeded / "site"), cwd=elsewhere, check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "config.yaml" in proc.stderr and "rsiwatch init" in proc.stderr
    proc = run_cli("publish", "--out", str(seeded / "site"), "--db", "candidates.db", cwd=elsewhere, check=False)
    assert proc.returncode == 1 and "candidates.db: no such database" in proc.stderr
    assert list(elsewhere.iterdir()) == [] and digest(seeded / "site") == before


@pytest.mark.slow
def test_publish_refuses_a_site_of_another_database_or_a_larger_one_unless_forced(seeded: Path, tmp_path: Path) -> None:
    run_cli("publish", "--out", "site", cwd=seeded)
    before = digest(seeded / "site")
    total = len(catalog_of(seeded))
    # another database with the same catalog: refused, nothing written
    other = tmp_path / "other"
    other.mkdir()
    run_cli("init", cwd=other)
    proc = run_cli("publish", "--out", str(seeded / "site"), cwd=other, check=False)
    assert proc.returncode == 1 and "written from another database" in proc.stderr
    assert "would remove no entry" in proc.stderr and digest(seeded / "site") == before
    # the same database, two entries fewer (withdrawn): refused, naming them; --force removes and names them
    with Store(seeded / "candidates.db") as store:
        gone = [e["id"] for e in store.catalog.entries()[-2:]]
        store.conn.execute(f"DELETE FROM catalog WHERE id IN ({gone[0]}, {gone[1]})")
    proc = run_cli("publish", "--out", "site", cwd=seeded, check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert f"has {total} entries, more than the {total - 2}" in proc.stderr
    assert f"would remove 2 entries ({gone[0]}, {gone[1]})" in proc.stderr and "--force" in proc.stderr
    assert digest(seeded / "site") == before
    proc = run_cli("publish", "--out", "site", "--force", cwd=seeded)
    assert f"removed 2 entries from the site: {gone[0]}, {gone[1]}" in proc.stderr
    assert not (seeded / "site" / "entries" / f"{gone[0]}.html").exists()
    # a site without the marker (an older release's) is judged by its catalog.json
    (seeded / "site" / SITE_MARKER).unlink()
    with Store(seeded / "candidates.db") as store:
        store.conn.execute("DELETE FROM catalog WHERE id = (SELECT MAX(id) FROM catalog)")
    proc = run_cli("publish", "--out", "site", cwd=seeded, check=False)
    assert proc.returncode == 1 and "would remove 1 entry (" in proc.stderr


@pytest.mark.slow
def test_a_withdrawal_leaves_the_site_without_force_and_is_named(seeded: Path) -> None:
    # the routine sitting: a curator rejects a work accepted earlier (its entry withdrawn, recorded), then
    # publishes; the entry leaves the site with no --force, and the output says it was a withdrawal
    run_cli("publish", "--out", "site", cwd=seeded)
    entry = catalog_of(seeded)[0]
    rejected = run_cli("reject", entry["work_id"], "--note", "not an example after all", cwd=seeded)
    assert f"catalog entry {entry['id']} withdrawn: off the published catalog" in rejected.stderr  # said now
    out = run_json("publish", "--out", "site", cwd=seeded)
    assert out["removed_entries"] == [entry["id"]] and out["withdrawn_entries"] == [entry["id"]]
    assert not (seeded / "site" / "entries" / f"{entry['id']}.html").exists()
    # an undo puts it back, and says so; the plain output names a withdrawal; a deleted row is still refused
    undone = run_cli("undo", entry["work_id"], cwd=seeded)
    assert f"catalog entry {entry['id']} published again" in undone.stderr
    run_cli("accept", entry["work_id"], cwd=seeded)
    run_cli("publish", "--out", "site", cwd=seeded)
    run_cli("out-of-scope", entry["work_id"], cwd=seeded)
    proc = run_cli("publish", "--out", "site", cwd=seeded)
    assert f"removed 1 entry from the site: {entry['id']} (1 withdrawn by a decision: {entry['id']})" in proc.stderr
    with Store(seeded / "candidates.db") as store:
        store.conn.execute("DELETE FROM catalog WHERE id = (SELECT MAX(id) FROM catalog)")
    proc = run_cli("publish", "--out", "site", cwd=seeded, check=False)
    assert proc.returncode == 1 and "would remove 1 entry (" in proc.stderr and "--force" in proc.stderr


def test_text_in_any_script_reads_in_its_own_direction_and_stays_text() -> None:
    from rsiwatch.site.build import build_site

    entry = {
        "id": 7,
        "work_id": "url:https://example.org/ar",
        "title": "نموذج لغوي يكتب نوى الحوسبة",
        "description": "Kernels & <Compilers>: يكتب النموذج نوى",
        "authors": "ليلى حسن",
        "submitter": "山田",
        "affiliations": None,
        "category": None,
        "date_published": None,
        "url": "https://example.org/ar",
        "year": 2025,
        "flags": [],
        "added_at": "2026-01-01T00:00:00.000Z",
    }
    files = build_site([entry])
    page, index = files["entries/7.html"].decode(), files["index.html"].decode()
    assert '<h1 dir="auto">نموذج لغوي يكتب نوى الحوسبة</h1>' in page
    assert '<dd class="description" dir="auto">Kernels &amp; &lt;Compilers&gt;: يكتب النموذج نوى</dd>' in page
    assert '<td data-label="Authors"><bdi>ليلى حسن</bdi></td>' in index
    assert '<a class="title" href="entries/7.html" dir="auto">' in index
    feed = feedparser.parse(files["feed.xml"])
    assert feed.entries[0].summary == "Kernels & <Compilers>: يكتب النموذج نوى"
