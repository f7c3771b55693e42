"""Replay a labelled history through the real database, week by week, as the daemon and a curator would.

Each week: its works are ingested (first seen on the Monday), scored (queued above the threshold),
the weekly audit and uncertainty picks are drawn when the week is over, and the curator decides every
queued work with the label the data gives.  The tests then compare what ``rsiwatch tune`` reads from
that database with figures they compute from the labels themselves.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from store_support import record_decision_at

from classifier import Scored
from crawler.items import Item
from rsiwatch.store import Store, iso
from rsiwatch.tuning import audit

SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_labelled.jsonl"
SOURCES = ("arxiv-ml", "blog")


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    summary: str
    label: int
    score: float


def scored_as(work_id: str, score: float, category: str | None = None) -> Scored:
    """A score record as the classifier makes it (``classifier.Scored``), with no explanation."""
    return Scored(work_id, score, category, 0.0, True, [], [])


@dataclass
class Week:
    start: datetime
    end: datetime
    rows: list[Row]
    draw: audit.AuditDraw | None = None


@dataclass
class Replay:
    weeks: list[Week] = field(default_factory=list)
    threshold: float = 0.35

    def source_of(self, row_id: str) -> str:
        """About a third of the works come from the blog, the rest from arXiv (a fixed split by id)."""
        return SOURCES[1] if sum(map(ord, row_id)) % 3 == 0 else SOURCES[0]


def synthetic_rows(n: int = 1200, seed: int = 7) -> list[Row]:
    """A stand-in for the shared data: ~6% relevant, relevant works scoring higher but overlapping."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.06
    scores = np.clip(np.where(labels, rng.normal(0.42, 0.14, n), rng.normal(0.14, 0.09, n)), 0.0, 0.999)
    return [
        Row(f"arxiv:2501.{i:05d}", f"Synthetic work {i}", f"Summary of synthetic work {i}.", int(y), float(s))
        for i, (y, s) in enumerate(zip(labels, scores, strict=False))
    ]


def shared_rows() -> list[Row] | None:
    """The uniform ('random') stratum of ../shared's labelled sample, scored by the real classifier
    trained on the seed catalog with every sample text as the unlabelled pool (labels never seen)."""
    if not SHARED_DEV.exists():
        return None
    from classifier import Doc, TrainingSet, load_catalog_csv, train

    raw = [json.loads(line) for line in SHARED_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    catalog = load_catalog_csv(Path(__file__).resolve().parents[1] / "data" / "catalog_seed.csv")
    pool = [Doc(r["id"], r["title"], r["summary"]) for r in raw]
    model = train(TrainingSet(positives=catalog, negatives=[], pool=pool, catalog=catalog))
    stream = [r for r in raw if r["stratum"] == "random"]
    scores = model.score([Doc(r["id"], r["title"], r["summary"]) for r in stream])
    return [
        Row(r["id"], r["title"], r["summary"], int(r["label"]), float(s)) for r, s in zip(stream, scores, strict=False)
    ]


def replay(
    store: Store,
    rows: list[Row],
    *,
    weeks: int = 10,
    threshold: float = 0.35,
    audit_per_week: int = 20,
    uncertain_share: float = 0.1,
    seed: int = 11,
    now: datetime | None = None,
) -> Replay:
    now = now or datetime.now(UTC)
    first = audit.week_start(now) - timedelta(days=7 * (weeks + 1))
    log = Replay(threshold=threshold)
    store.sources.ensure_sources((name, "feed", f"https://example.org/{name}") for name in SOURCES)
    per_week = -(-len(rows) // weeks)
    for w in range(weeks):
        start = first + timedelta(days=7 * w)
        end = start + timedelta(days=7)
        chunk = rows[w * per_week : (w + 1) * per_week]
        week = Week(start, end, chunk)
        seen = iso(start + timedelta(hours=1))
        for source in SOURCES:
            items = [
                Item(canonical_id=r.id, title=r.title, summary=r.summary, url=f"https://example.org/{r.id}", key=r.id)
                for r in chunk
                if log.source_of(r.id) == source
            ]
            if items:
                store.works.ingest(source, items, now=seen)
        store.scores.record_scores(1, [scored_as(r.id, r.score) for r in chunk], {r.id: threshold for r in chunk})
        week.draw = audit.queue_weekly(
            store, audit_per_week, uncertain_share, now=end + timedelta(minutes=30), rng=random.Random(seed + w)
        )
        decided_at = iso(end + timedelta(hours=2))
        for r in chunk:
            work = store.works.work(r.id)
            if work["queued_at"] is not None and work["status"] == "new":
                record_decision_at(store, r.id, "accept" if r.label else "reject", decided_at)
        log.weeks.append(week)
    return log
