"""The store keeps every decision: append-only, atomic accepts, undo that reverses exactly one step."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from crawler.items import Item
from rsiwatch.store import Store, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "candidates.db")
    s.ingest("feed", [Item("arxiv:2611.00001", "A paper", "About it", "https://arxiv.org/abs/2611.00001", "k1")])
    yield s
    s.close()


def test_new_database_is_wal_and_migrated(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    from rsiwatch.store.schema import MIGRATIONS

    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.integrity_ok()


def test_sqlite_utils_sees_the_same_connection(store: Store) -> None:
    assert store.db["works"].count == 1 and store.db.conn is store.conn


def test_reopening_an_existing_database_migrates_nothing_twice(tmp_path: Path, store: Store) -> None:
    store.close()
    again = Store(tmp_path / "candidates.db")
    assert again.count("works") == 1
    again.close()


def test_a_newer_schema_is_refused_with_one_line(tmp_path: Path, store: Store) -> None:
    store.conn.execute("PRAGMA user_version = 999")
    store.close()
    with pytest.raises(StoreError, match="newer than this rsiwatch knows"):
        Store(tmp_path / "candidates.db")


def test_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable rsiwatch database"):
        Store(tmp_path / "junk.db")


def test_decisions_cannot_be_rewritten_even_by_hand(store: Store) -> None:
    store.decide("arxiv:2611.00001", "reject", note="off topic")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE decisions SET action = 'accept'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM decisions")


def test_accept_and_its_catalog_entry_are_one_transaction(store: Store) -> None:
    with pytest.raises(sqlite3.Error):
        store.accept("arxiv:2611.00001", {"id": "not-a-number", "title": "A paper", "category": "compilers-kernels"})
    assert store.decisions() == []
    assert store.catalog() == []
    assert store.work("arxiv:2611.00001")["status"] == "new"
    store.accept("arxiv:2611.00001", {"title": "A paper", "category": "compilers-kernels"})
    assert [e["work_id"] for e in store.catalog()] == ["arxiv:2611.00001"]


def test_undo_reverses_one_step_and_keeps_an_entry_still_accepted(store: Store) -> None:
    work = "arxiv:2611.00001"
    store.decide(work, "reject")
    store.accept(work, {"title": "A paper"})
    store.accept(work, {"title": "A paper, edited"})
    assert store.undo(work) == "accepted"
    assert [e["title"] for e in store.catalog()] == ["A paper, edited"]
    assert store.undo(work) == "rejected"
    assert store.catalog() == []
    assert store.undo(work) == "new"
    with pytest.raises(StoreError, match="no decision to undo"):
        store.undo(work)
    actions = [d["action"] for d in store.decisions(work)]
    assert actions == ["reject", "accept", "accept", "undo", "undo", "undo"]


def test_unknown_work_and_action_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no work with id"):
        store.decide("arxiv:0000.00000", "accept")
    with pytest.raises(StoreError, match="unknown action"):
        store.decide("arxiv:2611.00001", "maybe")


def test_a_work_is_created_once_whoever_sees_it(store: Store) -> None:
    item = Item("arxiv:2611.00001", "A paper", "About it", "https://arxiv.org/abs/2611.00001", "k1")
    stats = store.ingest("feed", [item, item])
    assert stats.new_works == [] and stats.new_sightings == 0
    stats = store.ingest("blog", [Item("arxiv:2611.00001", "A post about it", "", "https://blog.example/p", "p1")])
    assert stats.new_works == [] and stats.new_sightings == 1
    assert store.count("works") == 1 and store.count("sightings") == 2
    assert store.work("arxiv:2611.00001")["title"] == "A paper"


def test_writers_in_many_threads_lose_nothing(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "candidates.db"
    errors: list[Exception] = []

    def writer(n: int) -> None:
        s = Store(path)
        try:
            for i in range(40):
                s.decide("arxiv:2611.00001", "defer", note=f"{n}-{i}")
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.decisions()) == 240


def database_at_schema(path: Path, version: int) -> sqlite3.Connection:
    """A database as an older rsiwatch left it: migrations 1..``version`` applied."""
    from rsiwatch.store.schema import MIGRATIONS
    from rsiwatch.store import _split_sql

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for number, script in enumerate(MIGRATIONS[:version]):
        for statement in _split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    return conn


OLD_WORK = ("arxiv:2501.00001", "Learned optimizers that train themselves", "Old work.", "https://arxiv.org/abs/2501.00001")


def test_search_finds_works_from_before_and_after_migration_6(tmp_path: Path) -> None:
    """Migration 6 moves the full-text insert from a trigger into ``ingest``: a database made under
    schema 5 (trigger) keeps its indexed works, and new ones are indexed once, not twice."""
    conn = database_at_schema(tmp_path / "old.db", 5)
    conn.execute("INSERT INTO works (id, title, summary, url, first_seen, last_seen) VALUES (?, ?, ?, ?, '2025-01-01', '2025-01-01')",
                 OLD_WORK)
    conn.close()
    with Store(tmp_path / "old.db") as store:
        store.ingest("feed", [Item("arxiv:2611.00002", "Optimizers learned by a model", "New work.", "https://arxiv.org/abs/2611.00002", "k2")])
        store.ingest("feed", [Item("arxiv:2611.00002", "Optimizers learned by a model", "Seen again.", "https://arxiv.org/abs/2611.00002", "k3")])
        rows, total = store.review_queue(query="optimizers", status="all")
        assert sorted(r["id"] for r in rows) == ["arxiv:2501.00001", "arxiv:2611.00002"]
        assert store.conn.execute("SELECT COUNT(*) FROM works_fts").fetchone()[0] == 2
        assert store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'works_fts_insert'").fetchone()[0] == 0


def test_titles_indexed_before_migration_7_are_probed_after_it(tmp_path: Path) -> None:
    """Migration 7 gives the title probe its own index, filled from the normalised titles already kept."""
    from crawler.link import normalise_title

    conn = database_at_schema(tmp_path / "old.db", 6)
    conn.execute("INSERT INTO works (id, title, summary, url, first_seen, last_seen) VALUES (?, ?, ?, ?, '2025-01-01', '2025-01-01')",
                 OLD_WORK)
    conn.execute("INSERT INTO work_titles (work_id, norm, works_rowid) VALUES (?, ?, 1)", (OLD_WORK[0], normalise_title(OLD_WORK[1])))
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert store.similar_titles(normalise_title("Optimizers that train themselves, learned")) == [
            (OLD_WORK[0], "learned optimizers train themselves")]
        assert store.index_titles() == 0  # nothing to catch up: the old title was kept, and probed once
        store.ingest("feed", [Item("arxiv:2611.00002", "Optimizers that train other optimizers", "", "u", "k2")])
        assert store.index_titles() == 1
        assert [w for w, _ in store.similar_titles(normalise_title("optimizers train"))] == [OLD_WORK[0], "arxiv:2611.00002"]


def test_migration_scripts_split_where_sqlite_says_a_statement_ends() -> None:
    """A ';' inside a string, a comment or a trigger body does not end a statement."""
    from rsiwatch.store import _split_sql

    script = """CREATE TABLE t (a TEXT DEFAULT 'x;y'); -- a comment; with a semicolon
CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
  UPDATE t SET a = 'z;' WHERE rowid = new.rowid;
END; CREATE INDEX t_a ON t (a)"""
    statements = _split_sql(script)
    assert len(statements) == 3 and "CREATE TRIGGER" in statements[1] and statements[1].endswith("END;")
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO t DEFAULT VALUES")
    assert conn.execute("SELECT a FROM t").fetchall() == [("z;",)]


def test_candidates_and_the_review_page_filter_the_queue_alike(store: Store) -> None:
    """``candidates`` (CLI) and ``review_queue`` (page) share one filter: the same filters, the same works."""
    from types import SimpleNamespace

    items = [Item(f"arxiv:2611.{n:05d}", f"Paper {n}", "", f"https://arxiv.org/abs/2611.{n:05d}", f"k{n}") for n in range(12)]
    store.ingest("feed", items[:8])
    store.ingest("blog", items[5:])
    categories = ["compilers-kernels", "hardware-design", None]
    scored = [SimpleNamespace(id=i.canonical_id, score=n / 12, category=categories[n % 3], category_confidence=0.5,
                              category_fits=True, why=[], nearest=[]) for n, i in enumerate(items)]
    store.record_scores(1, scored, {s.id: 0.2 for s in scored})
    store.decide("arxiv:2611.00011", "reject")
    filters = [{}, {"status": "all"}, {"status": "rejected"}, {"source": "blog"}, {"source": "feed", "min_score": 0.5},
               {"category": "hardware-design"}, {"category": ""}, {"max_score": 0.6, "status": "all"},
               {"since": "2000-01-01"}, {"since": "2999-01-01"}, {"min_score": 0.0, "source": "blog", "status": "all"}]
    seen = set()
    for f in filters:
        by_cli = [w["id"] for w in store.candidates(limit=None, **f)]
        by_page = [w["id"] for w in store.review_queue(limit=100, **f)[0]]
        assert by_cli == by_page, f
        seen.add(len(by_cli))
    assert len(seen) > 4  # the filters do narrow
