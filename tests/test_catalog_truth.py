"""One truth for each work, through the real CLI: the published catalog is what the standing decisions say,
notes stay private, every decision records who took it, and `rsiwatch doctor` finds any disagreement."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, write_config

from crawler.items import Item
from rsiwatch.store import Store

WORK = "arxiv:2611.00042"
SUMMARY = "A language model writes the reward function that trains the next model. It beats hand-written rewards."


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_config(tmp_path / "config.yaml", [], review={"curator": "carol"})
    run_cli("init", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:
        store.works.ingest("feed", [Item(WORK, "Models that write their own rewards", SUMMARY,
                                   "https://arxiv.org/abs/2611.00042", key="k1")])
    return tmp_path


def published(cwd: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(run_cli("catalog", "export", cwd=cwd).stdout))
    return {r["Source"]: r for r in rows}


def query(cwd: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(cwd / "candidates.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


URL = "https://arxiv.org/abs/2611.00042"


@pytest.mark.slow
def test_reject_after_accept_takes_the_entry_off_and_undo_puts_it_back(home: Path) -> None:
    run_cli("accept", WORK, "--category", "feedback-evaluation-alignment", cwd=home)
    entry = published(home)[URL]
    assert entry["Description"] == SUMMARY.split(". ")[0] + "."  # the summary's first sentence
    run_cli("reject", WORK, "--note", "on reflection, inference only", cwd=home)
    assert URL not in published(home)
    assert run_cli("candidates", "--status", "rejected", "--json", cwd=home).stdout.count(WORK) == 1
    kept = query(home, "SELECT * FROM catalog WHERE work_id = ?", (WORK,))
    assert len(kept) == 1 and kept[0]["withdrawn_at"]  # off the catalog, not erased
    run_cli("undo", WORK, cwd=home)
    assert published(home)[URL] == entry
    for action in ("out-of-scope", "defer"):
        run_cli(action, WORK, cwd=home)
        assert URL not in published(home)
        run_cli("undo", WORK, cwd=home)
        assert published(home)[URL] == entry
    assert run_cli("doctor", cwd=home).returncode == 0


@pytest.mark.slow
def test_accepting_again_keeps_the_entry_records_the_change_and_undo_restores_it(home: Path) -> None:
    run_cli("accept", WORK, "--category", "feedback-evaluation-alignment", "--description", "Curated words.", cwd=home)
    first = published(home)[URL]
    again = run_cli("accept", WORK, "--category", "training-data-self-play", cwd=home)
    assert f"keeps catalog entry {first['ID']}; changed: category" in again.stderr
    second = published(home)[URL]
    assert second["ID"] == first["ID"] and second["Description"] == "Curated words."
    assert second["Category"] == "training-data-self-play"
    logged = query(home, "SELECT * FROM catalog_edits WHERE entry_id = ?", (int(first["ID"]),))
    assert [json.loads(r["before"]) for r in logged] == [{"category": "feedback-evaluation-alignment"}]
    assert logged[0]["edited_by"] == "carol" and logged[0]["decision_id"]
    result = run_cli("undo", WORK, cwd=home)
    assert "it is accepted again" in result.stderr
    assert published(home)[URL] == first  # the overwritten values are back


@pytest.mark.slow
def test_the_note_never_becomes_public_text(home: Path) -> None:
    secret = "PRIVATE: reviewer thinks the baselines are weak"
    run_cli("accept", WORK, "--note", secret, cwd=home)
    for fmt in ("csv", "md", "json"):
        assert secret not in run_cli("catalog", "export", "--format", fmt, cwd=home).stdout
    run_cli("digest", "--since", "30d", cwd=home)
    assert secret not in run_cli("digest", "--since", "30d", cwd=home).stdout
    assert [r["note"] for r in query(home, "SELECT note FROM decisions WHERE work_id = ?", (WORK,))] == [secret]
    run_cli("undo", WORK, cwd=home)
    run_cli("accept", WORK, "--note", secret, "--description", "The public sentence.", cwd=home)
    assert published(home)[URL]["Description"] == "The public sentence."


@pytest.mark.slow
def test_decisions_record_who_took_them(home: Path) -> None:
    run_cli("defer", WORK, cwd=home)
    run_cli("reject", WORK, "--by", "dave", cwd=home)
    run_cli("undo", WORK, "--by", "erin", cwd=home)
    (home / "other.yaml").write_text("database: candidates.db\n")
    run_cli("accept", WORK, "--config", "other.yaml", cwd=home)
    who = [
        r["decided_by"] for r in query(home, "SELECT decided_by FROM decisions WHERE work_id = ? ORDER BY id", (WORK,))
    ]
    assert who[:3] == ["carol", "dave", "erin"] and who[3]  # the OS user name when the config names nobody
    imported = query(home, "SELECT DISTINCT decided_by, origin FROM decisions WHERE origin = 'seed'")
    assert len(imported) == 1


@pytest.mark.slow
def test_doctor_finds_a_disagreement_and_status_shows_it(home: Path) -> None:
    assert "catalog and decisions agree" in run_cli("doctor", cwd=home).stderr
    assert "agrees with the decisions" in run_cli("status", cwd=home).stdout
    run_cli("accept", WORK, cwd=home)
    conn = sqlite3.connect(home / "candidates.db")
    with conn:  # a hand-typed change behind rsiwatch's back
        conn.execute("UPDATE catalog SET withdrawn_at = '2026-01-01T00:00:00Z' WHERE work_id = ?", (WORK,))
    conn.close()
    result = run_cli("doctor", cwd=home, check=False)
    assert result.returncode == 1
    assert f"{WORK}: accepted but not in the published catalog" in result.stdout
    assert "1 disagreement with the decisions" in run_cli("status", cwd=home).stdout
    assert json.loads(run_cli("doctor", "--json", cwd=home, check=False).stdout) == [
        f"{WORK}: accepted but not in the published catalog"
    ]


@pytest.mark.slow
def test_doctor_names_a_status_its_decisions_do_not_give(home: Path) -> None:
    run_cli("accept", WORK, cwd=home)
    conn = sqlite3.connect(home / "candidates.db")
    with conn:
        conn.execute("UPDATE works SET status = 'rejected' WHERE id = ?", (WORK,))
    conn.close()
    result = run_cli("doctor", cwd=home, check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{WORK}: status rejected but its standing decisions say accepted" in lines
    assert any(
        line.startswith("catalog entry ") and line.endswith(f"({WORK}): published but the work is rejected")
        for line in lines
    )


@pytest.mark.slow
def test_an_import_listing_a_rejected_work_accepts_it_and_says_so(home: Path) -> None:
    run_cli("accept", WORK, "--description", "Ours.", cwd=home)
    run_cli("reject", WORK, cwd=home)
    (home / "list.csv").write_text(f"ID,Description,Source\n500,Theirs.,{URL}\n")
    result = run_cli("catalog", "import", "list.csv", cwd=home)
    assert (
        f"accepted 1 work not accepted before (the file lists them, so their entries are published): {WORK}"
        in result.stderr
    )
    entry = published(home)[URL]
    assert (entry["ID"], entry["Description"]) == ("500", "Theirs.")
    decisions = query(home, "SELECT action, origin FROM decisions WHERE work_id = ? ORDER BY id", (WORK,))
    assert [(d["action"], d["origin"]) for d in decisions][-1] == ("accept", "import list.csv")
    assert run_cli("doctor", cwd=home).returncode == 0
    run_cli("undo", WORK, cwd=home)  # the import's accept undone: the entry goes back as it was, off the catalog
    assert URL not in published(home)
    assert query(home, "SELECT description FROM catalog WHERE work_id = ?", (WORK,))[0]["description"] == "Ours."


def test_migrating_a_database_from_before_withdraws_entries_the_decisions_no_longer_accept(tmp_path: Path) -> None:
    from rsiwatch.store import _split_sql
    from rsiwatch.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    ours = next(i for i, m in enumerate(MIGRATIONS) if "ADD COLUMN withdrawn_at" in m)
    for number, script in enumerate(MIGRATIONS[:ours], 1):  # the schema before this change
        for statement in _split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    now = "2026-01-01T00:00:00.000Z"
    for work_id, status in (("arxiv:2601.00001", "rejected"), ("arxiv:2601.00002", "accepted")):
        conn.execute(
            "INSERT INTO works (id, title, url, first_seen, last_seen, status) VALUES (?, 't', 'u', ?, ?, ?)",
            (work_id, now, now, status),
        )
        conn.execute(
            "INSERT INTO catalog (work_id, title, origin, added_at) VALUES (?, 't', 'accept', ?)", (work_id, now)
        )
    conn.execute("INSERT INTO decisions (work_id, action, decided_at) VALUES ('arxiv:2601.00001', 'accept', ?)", (now,))
    conn.execute("INSERT INTO decisions (work_id, action, decided_at) VALUES ('arxiv:2601.00001', 'reject', ?)", (now,))
    conn.execute("INSERT INTO decisions (work_id, action, decided_at) VALUES ('arxiv:2601.00002', 'accept', ?)", (now,))
    conn.commit()
    conn.close()
    with Store(path) as store:  # migrates
        assert [e["work_id"] for e in store.catalog.entries()] == ["arxiv:2601.00002"]
        assert len(store.catalog.entries(withdrawn=True)) == 2
        assert [e["origin"] for e in store.catalog.catalog_edits(1)] == ["migration: one truth for each work"]
        assert store.catalog.catalog_disagreements() == []
