"""`candidates --json` reads a few batched queries for the whole listing, however many rows it holds
(the queue reason as true today was one or two queries a row), and says the same reasons."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import write_config
from click.testing import CliRunner
from review_fixtures import populate
from store_support import statements_run

from classifier import Scored
from rsiwatch.cli import cli
from rsiwatch.store import Store


def _retrained(db: Path, ids: list[str], lowered: list[str]) -> None:
    """A retrain (model 2) puts the ``lowered`` works below the threshold (queued, they stay queued) and
    the others above it (those not queued yet join the queue)."""
    scored = [
        Scored(id=i, score=0.05 if i in lowered else 0.9, category="research-automation",
                        category_confidence=0.5, category_fits=True, why=[], nearest=[])
        for i in ids
    ]
    with Store(db) as store:
        store.scores.record_scores(2, scored, dict.fromkeys(ids, 0.35))


def _listed(tmp_path: Path, db: Path) -> list[dict]:
    config = write_config(tmp_path / "config.yaml", [])
    outcome = CliRunner().invoke(
        cli, ["candidates", "--json", "--limit", "1000", "--config", str(config), "--db", str(db)]
    )
    assert outcome.exit_code == 0, (outcome.output, outcome.exception)
    return json.loads(outcome.stdout)


def test_candidates_json_reads_the_same_number_of_statements_for_10_rows_as_for_100(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {}
    for n in (10, 100):
        db = tmp_path / f"c{n}.db"
        ids = populate(db, n)  # the first 31 queued under model 1 (the others scored below the threshold)
        _retrained(db, ids, lowered=ids[:30:3])  # these take the longer way to their reason
        with statements_run(monkeypatch) as statements:
            listed = _listed(tmp_path, db)
        assert len(listed) == n
        counts[n] = len(statements)
    assert counts[10] == counts[100], counts


def test_candidates_json_says_each_queue_reason_as_true_today(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 6)  # all queued for their scores under model 1
    _retrained(db, ids[:3], lowered=ids[:3])
    with sqlite3.connect(db) as conn:
        # queued before any score that reached the threshold was recorded (one since pruned, say)
        conn.execute("UPDATE works SET queued_at = '2000-01-01T00:00:00Z' WHERE id = ?", (ids[1],))
        # queued for another reason, then put below the threshold: the reason stands as it is
        conn.execute("UPDATE works SET queue_reason = 'audit' WHERE id = ?", (ids[2],))
    conn.close()
    reasons = {c["canonical_id"]: c["queue_reason"] for c in _listed(tmp_path, db)}
    assert reasons == {
        ids[0]: "score under model 1",
        ids[1]: "score under an earlier model",
        ids[2]: "audit",
        ids[3]: "score",
        ids[4]: "score",
        ids[5]: "score",
    }
