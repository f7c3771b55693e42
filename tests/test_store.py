"""The store keeps every decision: append-only, atomic accepts, undo that reverses exactly one step."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_support import database_at_schema, decisions, integrity_ok

from crawler.items import Item
from rsiwatch.store import Store, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "candidates.db")
    s.works.ingest("feed", [Item("arxiv:2611.00001", "A paper", "About it", "https://arxiv.org/abs/2611.00001", "k1")])
    yield s
    s.close()


def test_new_database_is_wal_and_migrated(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    from rsiwatch.store.schema import MIGRATIONS

    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert integrity_ok(store)


def test_reopening_an_existing_database_migrates_nothing_twice(tmp_path: Path, store: Store) -> None:
    store.close()
    again = Store(tmp_path / "candidates.db")
    assert again.works.count("works") == 1
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
    store.decisions.decide("arxiv:2611.00001", "reject", note="off topic")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE decisions SET action = 'accept'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM decisions")


def test_accept_and_its_catalog_entry_are_one_transaction(store: Store) -> None:
    with pytest.raises(StoreError, match="a title is required"):
        store.decisions.accept("arxiv:2611.00001", {"title": "", "category": "compilers-kernels"})
    assert decisions(store) == []
    assert store.catalog.entries() == []
    assert store.works.work("arxiv:2611.00001")["status"] == "new"
    store.decisions.accept("arxiv:2611.00001", {"title": "A paper", "category": "compilers-kernels"})
    assert [e["work_id"] for e in store.catalog.entries()] == ["arxiv:2611.00001"]


def test_undo_reverses_one_step_and_restores_the_entry_as_it_was(store: Store) -> None:
    work = "arxiv:2611.00001"
    store.decisions.decide(work, "reject")
    store.decisions.accept(work, {"title": "A paper"})
    store.decisions.accept(work, {"title": "A paper, edited"})
    assert [e["title"] for e in store.catalog.entries()] == ["A paper, edited"]
    assert store.decisions.undo(work) == "accepted"
    assert [e["title"] for e in store.catalog.entries()] == ["A paper"]
    assert store.decisions.undo(work) == "rejected"
    assert store.catalog.entries() == []
    assert [e["title"] for e in store.catalog.entries(withdrawn=True)] == ["A paper"]  # off the catalog, not erased
    assert store.decisions.undo(work) == "new"
    with pytest.raises(StoreError, match="no decision to undo"):
        store.decisions.undo(work)
    actions = [d["action"] for d in decisions(store, work)]
    assert actions == ["reject", "accept", "accept", "undo", "undo", "undo"]


def test_unknown_work_and_action_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no work with id"):
        store.decisions.decide("arxiv:0000.00000", "accept")
    with pytest.raises(StoreError, match="unknown action"):
        store.decisions.decide("arxiv:2611.00001", "maybe")


def test_a_work_is_created_once_whoever_sees_it(store: Store) -> None:
    item = Item("arxiv:2611.00001", "A paper", "About it", "https://arxiv.org/abs/2611.00001", "k1")
    stats = store.works.ingest("feed", [item, item])
    assert stats.new_works == [] and stats.new_sightings == 0
    stats = store.works.ingest(
        "blog", [Item("arxiv:2611.00001", "A post about it", "", "https://blog.example/p", "p1")]
    )
    assert stats.new_works == [] and stats.new_sightings == 1
    assert store.works.count("works") == 1 and store.works.count("sightings") == 2
    assert store.works.work("arxiv:2611.00001")["title"] == "A paper"


def test_writers_in_many_threads_lose_nothing(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "candidates.db"
    errors: list[Exception] = []

    def writer(n: int) -> None:
        s = Store(path)
        try:
            for i in range(40):
                s.decisions.decide("arxiv:2611.00001", "defer", note=f"{n}-{i}")
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
    assert len(decisions(store)) == 240


OLD_WORK = (
    "arxiv:2501.00001",
    "Learned optimizers that train themselves",
    "Old work.",
    "https://arxiv.org/abs/2501.00001",
)


def test_search_finds_works_from_before_and_after_migration_6(tmp_path: Path) -> None:
    """Migration 6 moves the full-text insert from a trigger into ``ingest``: a database made under
    schema 5 (trigger) keeps its indexed works, and new ones are indexed once, not twice."""
    conn = database_at_schema(tmp_path / "old.db", 5)
    conn.execute(
        "INSERT INTO works (id, title, summary, url, first_seen, last_seen) VALUES (?, ?, ?, ?, '2025-01-01', "
        "'2025-01-01')",
        OLD_WORK,
    )
    conn.close()
    with Store(tmp_path / "old.db") as store:
        store.works.ingest(
            "feed",
            [
                Item(
                    "arxiv:2611.00002",
                    "Optimizers learned by a model",
                    "New work.",
                    "https://arxiv.org/abs/2611.00002",
                    "k2",
                )
            ],
        )
        store.works.ingest(
            "feed",
            [
                Item(
                    "arxiv:2611.00002",
                    "Optimizers learned by a model",
                    "Seen again.",
                    "https://arxiv.org/abs/2611.00002",
                    "k3",
                )
            ],
        )
        rows, _total = store.queue.review_queue(query="optimizers", status="all")
        assert sorted(r["id"] for r in rows) == ["arxiv:2501.00001", "arxiv:2611.00002"]
        assert store.conn.execute("SELECT COUNT(*) FROM works_fts").fetchone()[0] == 2
        assert (
            store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'works_fts_insert'").fetchone()[0] == 0
        )


def test_titles_indexed_before_migration_7_are_probed_after_it(tmp_path: Path) -> None:
    """Migration 7 gives the title probe its own index, filled from the normalised titles already kept."""
    from crawler.link import normalise_title

    conn = database_at_schema(tmp_path / "old.db", 6)
    conn.execute(
        "INSERT INTO works (id, title, summary, url, first_seen, last_seen) VALUES (?, ?, ?, ?, '2025-01-01', "
        "'2025-01-01')",
        OLD_WORK,
    )
    conn.execute(
        "INSERT INTO work_titles (work_id, norm, works_rowid) VALUES (?, ?, 1)",
        (OLD_WORK[0], normalise_title(OLD_WORK[1])),
    )
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert store.linking.similar_titles(normalise_title("Optimizers that train themselves, learned")) == [
            (OLD_WORK[0], "learned optimizers train themselves")
        ]
        assert store.linking.index_titles() == 0  # nothing to catch up: the old title was kept, and probed once
        store.works.ingest("feed", [Item("arxiv:2611.00002", "Optimizers that train other optimizers", "", "u", "k2")])
        assert store.linking.index_titles() == 1
        assert [w for w, _ in store.linking.similar_titles(normalise_title("optimizers train"))] == [
            OLD_WORK[0],
            "arxiv:2611.00002",
        ]


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
    from classifier import Scored

    items = [
        Item(f"arxiv:2611.{n:05d}", f"Paper {n}", "", f"https://arxiv.org/abs/2611.{n:05d}", f"k{n}") for n in range(12)
    ]
    store.works.ingest("feed", items[:8])
    store.works.ingest("blog", items[5:])
    categories = ["compilers-kernels", "hardware-design", None]
    scored = [
        Scored(
            id=i.canonical_id,
            score=n / 12,
            category=categories[n % 3],
            category_confidence=0.5,
            category_fits=True,
            why=[],
            nearest=[],
        )
        for n, i in enumerate(items)
    ]
    store.scores.record_scores(1, scored, {s.id: 0.2 for s in scored})
    store.decisions.decide("arxiv:2611.00011", "reject")
    filters = [
        {},
        {"status": "all"},
        {"status": "rejected"},
        {"source": "blog"},
        {"source": "feed", "min_score": 0.5},
        {"category": "hardware-design"},
        {"category": ""},
        {"max_score": 0.6, "status": "all"},
        {"since": "2000-01-01"},
        {"since": "2999-01-01"},
        {"min_score": 0.0, "source": "blog", "status": "all"},
    ]
    seen = set()
    for f in filters:
        by_cli = [w["id"] for w in store.scores.candidates(limit=None, **f)]
        by_page = [w["id"] for w in store.queue.review_queue(limit=100, **f)[0]]
        assert by_cli == by_page, f
        seen.add(len(by_cli))
    assert len(seen) > 4  # the filters do narrow


def search_hits(store: Store, query: str) -> list[str]:
    """A search's results as the review page gets them (every one, sorted), and its total."""
    from rsiwatch.store.queue import SEARCH_CAP

    rows, total = store.queue.review_queue(query=query, status="all", limit=SEARCH_CAP + 1)
    return [*sorted(r["id"] for r in rows), f"total={total.count} capped={total.capped}"]


@pytest.mark.slow
def test_search_is_the_same_after_the_index_became_external_content(tmp_path: Path) -> None:
    """Migration 9 stores each title and summary once (the index reads them from `works`): every search
    answers as before, newest edit first past the cap, through VACUUM, edits and new works."""
    from rsiwatch.store import fts_query
    from rsiwatch.store.queue import SEARCH_CAP

    conn = database_at_schema(tmp_path / "old.db", 8)
    works = [
        (
            f"url:https://example.org/{i}",
            f"Paper {i} on {'learned optimizers' if i % 3 else 'kernels'}",
            f"Summary {i} about {'architecture search' if i % 2 else 'self-play'}",
            f"https://example.org/{i}",
        )
        for i in range(SEARCH_CAP + 300)
    ]
    conn.executemany(
        "INSERT INTO works (id, title, summary, url, first_seen, last_seen) VALUES (?, ?, ?, ?, 'a', 'a')", works
    )
    conn.executemany("INSERT INTO works_fts (work_id, title, summary) VALUES (?, ?, ?)", [w[:3] for w in works])
    conn.execute(
        "UPDATE works SET title = 'Paper 5 on learned kernels, revised' WHERE id = 'url:https://example.org/5'"
    )
    conn.execute(
        "DELETE FROM works WHERE id = 'url:https://example.org/7'"
    )  # never done by rsiwatch; the index follows
    conn.close()
    queries = [
        "paper",
        "summary",
        "optimizers",
        "kernels",
        "search",
        "self play",
        "revised",
        "paper 1",
        "nothing-matches",
    ]
    # The answers under schema 8, from the old index (the same query as the review page made then).
    old = sqlite3.connect(tmp_path / "old.db")
    before = {}
    for query in queries:
        hits = [
            r[0]
            for r in old.execute(
                "SELECT work_id FROM works_fts WHERE works_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
                (fts_query(query), SEARCH_CAP + 1),
            )
        ]
        before[query] = [*sorted(hits[:SEARCH_CAP]), f"total={min(len(hits), SEARCH_CAP)} "
                                                     f"capped={len(hits) > SEARCH_CAP}"]
    old.close()
    with Store(tmp_path / "old.db") as store:
        assert {q: search_hits(store, q) for q in queries} == before
        assert "url:https://example.org/5" in search_hits(store, "kernels")  # the edited work is among the newest
        assert (
            store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'works_fts_content'").fetchone()[0] == 0
        )
        store.conn.execute("VACUUM")
        assert {q: search_hits(store, q) for q in queries} == before
        store.works.ingest("feed", [Item("arxiv:2611.00009", "Optimizers that learn kernels", "", "u", "k9")])
        assert "url:https://example.org/9" in search_hits(store, "kernels")
        store.conn.execute(
            "UPDATE works SET title = 'Paper 9, now about zebras' WHERE id = 'url:https://example.org/9'"
        )
        assert search_hits(store, "zebras")[:1] == ["url:https://example.org/9"]
        assert "url:https://example.org/9" not in search_hits(store, "kernels")
        assert "arxiv:2611.00009" in search_hits(store, "kernels")
        store.conn.execute(
            "INSERT INTO works_fts (works_fts, rank) VALUES ('integrity-check', 1)"
        )  # raises if out of sync


def test_the_store_hands_out_typed_areas_without_dynamic_dispatch(tmp_path: Path) -> None:
    """The type checker and an IDE see every call: each area is a plain attribute of a declared type, and a
    name the store lacks is an ``AttributeError`` of the store itself, never looked up in a table."""
    import typing

    from rsiwatch.store import Database

    assert "__getattr__" not in vars(Store) and "__getattr__" not in vars(Database)
    areas = {name: cls for name, cls in typing.get_type_hints(Store).items() if isinstance(cls, type)}
    assert {"works", "decisions", "catalog", "models", "submissions", "sources", "queue", "history"} <= set(areas)
    with Store(tmp_path / "c.db") as store:
        for name, cls in areas.items():
            assert type(getattr(store, name)) is cls, name
        assert not hasattr(store, "accept")  # the old facade's name: gone, the decisions area has it
