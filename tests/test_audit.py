"""The weekly audit and uncertainty picks, through the real database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tuning_replay import scored_as

from crawler.items import Item
from rsiwatch.store import Store, iso
from rsiwatch.tuning import audit

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)  # a Wednesday
LAST_WEEK = audit.week_start(NOW) - timedelta(days=7)


def seed(store: Store, n: int = 60, threshold: float = 0.5, when: datetime = LAST_WEEK, prefix: str = "w") -> list[str]:
    items = [
        Item(f"url:https://x.org/{prefix}{i}", f"Work {i}", "", f"https://x.org/{prefix}{i}", f"{prefix}{i}")
        for i in range(n)
    ]
    store.works.ingest("feed", items, now=iso(when + timedelta(hours=3)))
    scored = [scored_as(it.canonical_id, i / n) for i, it in enumerate(items)]  # 0, 1/60, ... 59/60
    store.scores.record_scores(1, scored, {s.id: threshold for s in scored})
    return [it.canonical_id for it in items]


def test_week_start_and_uncertain_count() -> None:
    assert audit.week_start(NOW) == datetime(2026, 3, 2, tzinfo=UTC)
    assert audit.uncertain_count(9, 0.1) == 1  # 1 of 10 in the queue
    assert audit.uncertain_count(30, 0.25) == 10
    assert audit.uncertain_count(10, 0.0) == 0
    assert audit.uncertain_count(10, 1.0) == 90  # capped at a 90% share


def test_a_small_queue_gets_its_uncertainty_share_on_average() -> None:
    import random

    rng = random.Random(11)
    draws = [audit.uncertain_count(4, 0.1, rng) for _ in range(20_000)]
    assert set(draws) == {0, 1}  # 4 works at 10%: never rounded to nothing every week
    assert abs(sum(draws) / len(draws) - 4 * 0.1 / 0.9) < 0.01
    assert {audit.uncertain_count(30, 0.25, rng) for _ in range(100)} == {10}  # a whole count stays exact


def test_weekly_draw_queues_uncertain_and_audit_once(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        ids = seed(store)
        above = [i for i in ids if store.works.work(i)["queue_reason"] == "score"]
        assert len(above) == 30
        draw = audit.queue_weekly(store, 5, 0.25, now=NOW, rng=random.Random(1))
        assert draw is not None and draw.week == LAST_WEEK.date().isoformat()
        # 10 uncertainty picks make them 25% of a queue of 40: the ten nearest below 0.5
        assert set(draw.uncertain) == set(ids[20:30])
        assert len(draw.audit) == 5 and set(draw.audit) <= set(ids[:20])
        assert draw.population == 20 and draw.below == 30
        for work_id in draw.audit:
            assert store.works.work(work_id)["queue_reason"] == "audit"
        for work_id in draw.uncertain:
            assert store.works.work(work_id)["queue_reason"] == "uncertain"
        assert audit.queue_weekly(store, 5, 0.25, now=NOW + timedelta(days=1)) is None  # same week: done
        assert [d.week for d in audit.draws(store)] == [draw.week]
        assert audit.queue_weekly(store, 5, 0.25, now=NOW + timedelta(days=7)) is not None  # next week


def test_draw_skips_decided_and_queued_works_and_respects_each_threshold(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        ids = seed(store, n=40, threshold=0.5)
        store.decisions.decide(ids[0], "reject")  # decided without being queued: not eligible
        store.history.queue_works([ids[1]], "submitted")
        draw = audit.queue_weekly(store, 100, 0.0, now=NOW, rng=random.Random(2))
        assert ids[0] not in draw.audit and ids[1] not in draw.audit
        assert set(draw.audit) == set(ids[2:20]) and draw.population == 18


def test_audit_weights_stand_for_the_population(tmp_path: Path) -> None:
    draw = audit.AuditDraw("2026-02-23", "a", "b", 100, 104, ("x", "y", "z", "q"), (), "c")
    assert audit.audit_weights([draw], {"x", "y"}) == {"x": 50.0, "y": 50.0}
    assert audit.audit_weights([draw], set()) == {}
    assert audit.audited_windows([draw], set()) == []


def test_empty_week_is_recorded(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        draw = audit.queue_weekly(store, 5, 0.1, now=NOW, rng=random.Random(0))
        assert draw.population == 0 and draw.audit == () and audit.draws(store)[0] == draw
