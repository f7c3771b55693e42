"""`rsiwatch catalog import` through the real CLI: no entry deleted, no row dropped, every change logged,
and the files curators really have (UTF-8 with or without BOM, Windows-1252, semicolons, .xlsx)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from cli_support import run_cli

from rsiwatch.catalog.formats import read_catalog
from rsiwatch.store import Store

SEED = Path(__file__).parents[1] / "rsiwatch" / "seed" / "catalog_seed.csv"
COLUMNS = ["ID", "Description", "Source", "Date Published", "Authors", "Author Affiliations", "Submitter", "Reviewer"]
# A curator's own list, numbered from 1 as the public list is: row 2 names a seed work (NAS, seed entry 2)
# under another ID, rows 1 and 3 take IDs seed entries hold; dates as curators write them; Windows-1252
# characters; separators inside quoted fields; a column rsiwatch does not know (Reviewer).
LIST = [
    ["1", "Self-rewarding language models judge their own answers; the judge trains the model.",
     "https://arxiv.org/abs/2410.99991", "2024-01-18", "Yuan, W.; Pang, R.", "Meta, NYU", "Zoë", "Ann"],
    ["3", "Neural architecture search with a “controller” RNN, rewarded by child accuracy.",
     "https://arxiv.org/abs/1611.01578", "November 2016", "Zoph, B.; Le, Q.", "Google Brain", "", "Bob"],
    ["2", "AlphaDev discovers faster sorting routines — now in LLVM's libc++.",
     "https://example.net/alphadev-sorting", "June 2023", "Mankowitz et al.", "DeepMind", "Renée", ""],
    ["4", "A lab blog post on automated kernel tuning, €0 extra cost.", "https://blog.example.org/kernels",
     "2023", "", "Example Lab", "", "Ann"],
]


def write_list(path: Path, kind: str, rows: list[list[str]] = LIST, columns: list[str] = COLUMNS) -> Path:
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(columns)
        for row in rows:
            cells: list[object] = [int(row[0]), *row[1:]]
            if row[3] == "2024-01-18":  # a real date cell, as Excel keeps a typed date
                cells[3] = datetime(2024, 1, 18)
            sheet.append(cells)
        book.save(path)
        return path
    delimiter = ";" if kind == "semicolon" else ","
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    encoding = {"utf8": "utf-8", "bom": "utf-8-sig", "cp1252": "cp1252", "semicolon": "utf-8"}[kind]
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def export(cwd: Path) -> dict[str, dict[str, str]]:
    text = run_cli("catalog", "export", "--db", "candidates.db", cwd=cwd).stdout
    return {row["ID"]: row for row in csv.DictReader(io.StringIO(text))}


def seed_urls() -> set[str]:
    return {r["url"] for r in csv.DictReader(SEED.open(encoding="utf-8"))}


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    run_cli("init", cwd=tmp_path)
    return tmp_path


def edits(cwd: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(cwd / "candidates.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM catalog_edits ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["utf8", "bom", "cp1252", "semicolon", "xlsx"])
@pytest.mark.parametrize("start", ["empty", "seeded"])
def test_import_then_export_gives_every_row_back_under_its_id(tmp_path: Path, kind: str, start: str) -> None:
    if start == "seeded":
        run_cli("init", cwd=tmp_path)
    else:
        # an empty database and a config naming it (only `init` creates either from the command line)
        Store(tmp_path / "candidates.db").close()
        (tmp_path / "config.yaml").write_text("database: candidates.db\n")
    before = export(tmp_path) if start == "seeded" else {}
    path = write_list(tmp_path / f"list.{'xlsx' if kind == 'xlsx' else 'csv'}", kind)
    run_cli("catalog", "import", str(path), "--db", "candidates.db", cwd=tmp_path)
    after = export(tmp_path)
    for row in LIST:
        assert {c: after[row[0]][c] for c in COLUMNS} == dict(zip(COLUMNS, row, strict=False)), (kind, row[0])
    exported_urls = {r["Source"] for r in after.values()}
    assert {r["Source"] for r in before.values()} <= exported_urls  # no seed work lost
    if start == "seeded":
        assert seed_urls() <= exported_urls and len(after) == len(before) + 3  # NAS was a seed work already
    # An export imports back to the same catalog: nothing changes.
    (tmp_path / "again.csv").write_text(run_cli("catalog", "export", cwd=tmp_path).stdout)
    logged = len(edits(tmp_path))
    result = run_cli("catalog", "import", "again.csv", cwd=tmp_path)
    assert "0 added, 0 updated" in result.stderr and "0 renumbered" in result.stderr
    assert export(tmp_path) == after and len(edits(tmp_path)) == logged
    assert run_cli("doctor", cwd=tmp_path).returncode == 0


@pytest.mark.slow
def test_a_curators_list_over_the_seed_keeps_every_entry_and_reports_what_moved(seeded: Path) -> None:
    before = export(seeded)
    path = write_list(seeded / "mine.csv", "utf8")
    dry = run_cli("catalog", "import", str(path), "--dry-run", cwd=seeded)
    assert "would import" in dry.stderr and "nothing written" in dry.stderr
    assert export(seeded) == before and edits(seeded) == []
    result = run_cli("catalog", "import", str(path), cwd=seeded)
    lines = result.stderr.splitlines()
    # Every ID change is counted and named: seed entries 1, 3 and 4 move after the highest ID, and NAS
    # (seed entry 2) becomes entry 3 because the file says so (before: moved, "3 renumbered", unnamed).
    assert f"imported {path}: 3 added, 1 updated, 0 unchanged, 4 renumbered, 0 flagged" in lines
    assert any(line.startswith("entry 2 becomes 3 (") and line.endswith("the file gives it ID 3") for line in lines)
    assert "entry 2 becomes 3 (" in dry.stderr
    assert any(
        line.startswith("kept columns this catalog does not know") and line.endswith(": Reviewer") for line in lines
    )
    after = export(seeded)
    # Seed entries 1, 3 and 4 gave their IDs to other works: moved after the highest ID, reported, intact.
    for old in ("1", "3", "4"):
        moved = [r for r in after.values() if r["Source"] == before[old]["Source"]]
        assert len(moved) == 1 and int(moved[0]["ID"]) >= 80
        assert {k: v for k, v in moved[0].items() if k not in ("ID", "Reviewer")} == \
            {k: v for k, v in before[old].items() if k != "ID"}
        assert f"entry {old} becomes {moved[0]['ID']} (" in result.stderr
    # NAS (seed entry 2) is now entry 3: the file's fields won, the columns it lacks kept their values.
    nas = after["3"]
    assert nas["Description"] == LIST[1][1] and nas["Date Published"] == "November 2016"
    assert nas["Category"] == "architecture-algorithm-search" and nas["Title"] == before["2"]["Title"]
    assert nas["Reviewer"] == "Bob"  # the unknown column, exported again
    # Every change to an existing entry is in the log with its origin.
    logged = edits(seeded)
    assert {r["origin"] for r in logged} == {"import mine.csv"} and all(r["edited_by"] for r in logged)
    nas_edits = [json.loads(r["after"]) for r in logged if r["entry_id"] == 3]
    assert {"id": 3} in nas_edits and any(e.get("description") == LIST[1][1] for e in nas_edits)


@pytest.mark.slow
def test_rows_sharing_a_source_are_both_kept_and_flagged(seeded: Path) -> None:
    rows = [
        ["12", "First description.", "https://example.org/paper", "2024", "A. Author", "Lab A", "sam", ""],
        ["13", "Second, different description.", "https://example.org/paper", "2024", "B. Author", "Lab B", "kim", ""],
    ]
    path = write_list(seeded / "slip.csv", "utf8", rows)
    result = run_cli("catalog", "import", str(path), cwd=seeded)
    assert "rows 2 and 3 share the source https://example.org/paper: both kept" in result.stderr.splitlines()
    assert "1 flagged" in result.stderr
    after = export(seeded)
    assert after["12"]["Description"] == "First description." and after["12"]["Submitter"] == "sam"
    assert after["13"]["Description"] == "Second, different description." and after["13"]["Submitter"] == "kim"
    assert "duplicate_source" in after["13"]["Flags"] and "duplicate_source" not in after["12"]["Flags"]
    again = run_cli("catalog", "import", str(path), cwd=seeded)
    assert "0 added, 0 updated, 2 unchanged" in again.stderr and export(seeded) == after
    assert run_cli("doctor", cwd=seeded).returncode == 0


@pytest.mark.slow
def test_missing_columns_keep_their_values_and_unknown_ones_are_kept(seeded: Path) -> None:
    first = seeded / "full.csv"
    first.write_text("ID,Description,Source,Date Published,Authors,Author Affiliations,Submitter,Category\n"
                     "90,Kernel agents.,https://blog.example.org/k,2025-02-03,K. Dev,Lab,pat,compilers-kernels\n")
    run_cli("catalog", "import", str(first), cwd=seeded)
    partial = seeded / "partial.csv"
    partial.write_text("ID,Description,Source,Notes\n90,Kernel agents write kernels.,https://blog.example.org/k,check\n")
    run_cli("catalog", "import", str(partial), cwd=seeded)
    entry = export(seeded)["90"]
    assert entry["Description"] == "Kernel agents write kernels." and entry["Notes"] == "check"
    assert (entry["Authors"], entry["Author Affiliations"], entry["Submitter"], entry["Category"],
            entry["Date Published"]) == ("K. Dev", "Lab", "pat", "compilers-kernels", "2025-02-03")


@pytest.mark.slow
def test_a_seed_export_reimported_keeps_date_published(seeded: Path) -> None:
    (seeded / "export.csv").write_text(run_cli("catalog", "export", cwd=seeded).stdout)
    run_cli("catalog", "import", "export.csv", cwd=seeded)
    conn = sqlite3.connect(seeded / "candidates.db")
    try:
        assert conn.execute("SELECT COUNT(*) FROM catalog WHERE date_published IS NOT NULL").fetchone()[0] == 0
    finally:
        conn.close()


def test_dates_are_kept_as_written_and_their_year_parsed(tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("ID,Description,Source,Date Published\n1,a,https://a.example/1,2023-04-21\n"
                    "2,b,https://a.example/2,April 2023\n3,c,https://a.example/3,2023\n4,d,https://a.example/4,someday\n")
    rows = read_catalog(path)
    assert [(r["date_published"], r["year"]) for r in rows] == [
        ("2023-04-21", 2023), ("April 2023", 2023), ("2023", 2023), ("someday", None)]


@pytest.mark.slow
def test_unreadable_files_fail_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    result = run_cli("catalog", "import", "bad.xlsx", cwd=tmp_path, check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "bad.xlsx" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_row_without_a_title_takes_its_known_works_title(tmp_path: Path) -> None:
    """The public list has no Title column: a work the database knows keeps its own title, not the
    description's first sentence (found by a new user's walk through the tour)."""
    from crawler.items import Item
    from rsiwatch.catalog.formats import parse_catalog
    from rsiwatch.catalog.load import import_entries
    from rsiwatch.store import Store

    with Store(tmp_path / "c.db") as store:
        store.works.ingest("feed", [Item("arxiv:2611.00006", "Reward models trained from AI feedback", "s",
                                   "https://arxiv.org/abs/2611.00006", key="k")])
        rows = parse_catalog("ID;Description;Source\n200;A brand new entry about self-play;"
                             "https://arxiv.org/abs/2611.00006\n", "sheet.csv")
        import_entries(store, rows, origin="import sheet.csv", by="t")
        (entry,) = store.catalog.entries()
        assert (entry["id"], entry["title"], entry["description"]) == (
            200, "Reward models trained from AI feedback", "A brand new entry about self-play")


@pytest.mark.slow
def test_a_json_export_into_a_fresh_database_keeps_who_reviewed_each_entry(tmp_path: Path) -> None:
    """Before: every imported entry became reviewed by whoever ran the import (a CI job's user)."""
    first, fresh = tmp_path / "first", tmp_path / "fresh"
    first.mkdir()
    fresh.mkdir()
    for folder in (first, fresh):  # the databases `init` would have made (only init creates one)
        Store(folder / "candidates.db").close()
    path = write_list(first / "list.csv", "utf8")
    run_cli("catalog", "import", str(path), "--db", "candidates.db", cwd=first)
    exported = json.loads(run_cli("catalog", "export", "--format", "json", "--db", "candidates.db", cwd=first).stdout)
    for entry, who in zip(exported, ("alice", "bob", "carol", "dana"), strict=False):
        entry["reviewed_by"] = who
    (fresh / "catalog.json").write_text(json.dumps(exported))
    run_cli("catalog", "import", "catalog.json", "--db", "candidates.db", cwd=fresh)
    again = json.loads(run_cli("catalog", "export", "--format", "json", "--db", "candidates.db", cwd=fresh).stdout)
    assert [(e["id"], e["reviewed_by"]) for e in again if e.get("work_id")] == \
        [(e["id"], e["reviewed_by"]) for e in exported if e.get("work_id")]
    assert again == exported  # every other column as written too
