"""A store transaction inside another is a savepoint: a failing step is undone alone, the enclosing
transaction commits the rest at once (a crawl's batch of sources), and a durable step cannot hide inside
a transaction that will not sync (real SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rsiwatch.store import Store


def settings(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
    finally:
        conn.close()


def test_a_failing_inner_step_is_undone_alone_and_the_outer_commit_keeps_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with Store(db) as store:
        with store.transaction(durable=False) as conn:
            with store.transaction(durable=False):
                conn.execute("INSERT INTO settings (key, value, set_at) VALUES ('a', '1', 'now')")
            with pytest.raises(ZeroDivisionError):
                with store.transaction(durable=False):
                    conn.execute("INSERT INTO settings (key, value, set_at) VALUES ('b', '2', 'now')")
                    raise ZeroDivisionError
            assert settings(db) == [], "nothing is visible to others before the outer commit"
            with store.transaction(durable=False):
                conn.execute("INSERT INTO settings (key, value, set_at) VALUES ('c', '3', 'now')")
        assert settings(db) == [("a", "1"), ("c", "3")]
        assert not store.conn.in_transaction


def test_an_outer_failure_undoes_the_inner_steps_too(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with Store(db) as store:
        with pytest.raises(KeyError):
            with store.transaction(durable=False) as conn:
                with store.transaction(durable=False):
                    conn.execute("INSERT INTO settings (key, value, set_at) VALUES ('a', '1', 'now')")
                raise KeyError("later step failed")
        assert settings(db) == []


def test_a_durable_step_inside_a_non_durable_transaction_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        with pytest.raises(RuntimeError, match="durable"):
            with store.transaction(durable=False):
                with store.transaction():
                    pass
        with store.transaction():  # durable outside, durable inside: fine
            with store.transaction():
                pass
