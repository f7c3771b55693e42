"""The trend: entries per year by category, and the share of the stream in scope with its interval.

The estimator is checked by hand on small cases, by its coverage on simulated streams whose truth is
known, and through the real database (a replayed review history) against the labels themselves.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from tuning_replay import replay, synthetic_rows

from rsiwatch.store import Store
from rsiwatch.tuning import audit
from rsiwatch.tuning.threshold import AUDIT, CAUGHT, Reviewed, wilson
from rsiwatch.tuning.trend import UNCATEGORISED, quarter, share_estimate, year_counts
from rsiwatch.tuning.trend_report import quarterly_shares

T0 = datetime(2025, 7, 1, tzinfo=UTC)


def rv(i: int, label: int, reason: str, weight: float = 1.0) -> Reviewed:
    return Reviewed(f"arxiv:2507.{i:05d}", label, 0.5, T0, T0, reason, weight=weight)


def test_year_counts_fill_every_year_and_keep_the_category_order() -> None:
    entries = [
        {"year": 2016, "category": "b"}, {"year": 2016, "category": "a"}, {"year": 2019, "category": "b"},
        {"year": 2019, "category": None}, {"year": None, "category": "a"}, {"year": 2019, "category": "zz"},
    ]
    counts = year_counts(entries, categories=("b", "a"))
    assert counts.years == (2016, 2017, 2018, 2019)
    assert counts.categories == ("b", "a", "zz", UNCATEGORISED)
    assert counts.counts[2016] == {"b": 1, "a": 1, "zz": 0, UNCATEGORISED: 0}
    assert counts.counts[2017] == {"b": 0, "a": 0, "zz": 0, UNCATEGORISED: 0}
    assert counts.total(2019) == 3
    assert year_counts([]).years == ()


def test_quarter() -> None:
    assert quarter("2025-08-14T00:00:00Z") == "2025Q3"
    assert quarter("2026-01") == "2026Q1"
    assert quarter("2025-12-31") == "2025Q4"
    assert quarter("2025") is None and quarter(None) is None and quarter("2025-13-01") is None


def test_a_census_above_and_an_audit_below_by_hand() -> None:
    # 1,000 works: 40 queued for their score, all decided (10 accepted); 2 uncertainty picks below
    # (1 accepted); the audit decided 20 of the rest with 2 relevant, each standing for 958 / 20 works.
    history = [rv(i, int(i < 10), CAUGHT) for i in range(40)]
    history += [rv(100, 1, "uncertain"), rv(101, 0, "uncertain")]
    history += [rv(200 + i, int(i < 2), AUDIT, weight=958 / 20) for i in range(20)]
    est = share_estimate("2025Q3", history, works=1000, above=40, weeks=13)
    rest = 1000 - 40 - 2
    assert est.relevant == pytest.approx(10 + 1 + rest * 0.1)
    assert est.share == pytest.approx((11 + rest * 0.1) / 1000)
    # the census above adds no uncertainty: the interval is the audit's Wilson interval alone
    low, high = wilson(0.1, 20)
    assert est.low == pytest.approx((11 + rest * low) / 1000)
    assert est.high == pytest.approx((11 + rest * high) / 1000)
    assert est.audited == 20 and est.audit_positives == 2 and est.reviewed_above == 40
    assert est.per_week == pytest.approx(1000 / 13)


def test_undecided_works_above_are_corrected_by_the_reviewed_precision() -> None:
    history = [rv(i, int(i < 5), CAUGHT) for i in range(20)]  # 20 of 60 above decided, 25% accepted
    history += [rv(200 + i, 0, AUDIT, weight=2.0) for i in range(30)]  # nothing found below
    est = share_estimate("q", history, works=2000, above=60, weeks=13)
    assert est.relevant == pytest.approx(5 + 40 * 0.25)
    lo_a, hi_a = wilson(0.25, 20)
    _lo_b, hi_b = wilson(0.0, 30)
    rest = 2000 - 60
    assert est.low == pytest.approx((15 - 40 * (0.25 - lo_a)) / 2000)  # the audit's lower end is 0
    assert est.high == pytest.approx((15 + np.hypot(40 * (hi_a - 0.25), rest * hi_b)) / 2000)
    assert est.low < est.share < est.high


def test_unknown_without_enough_audit_or_without_any_decision_above() -> None:
    few = [rv(i, 0, AUDIT, 10.0) for i in range(4)]
    assert share_estimate("q", few, works=100, above=0, weeks=13).share is None
    enough = [rv(i, 0, AUDIT, 10.0) for i in range(5)]
    assert share_estimate("q", enough, works=100, above=0, weeks=13).share == 0.0
    assert share_estimate("q", enough, works=100, above=3, weeks=13).share is None  # 3 above, none decided
    assert share_estimate("q", [], works=0, above=0, weeks=0).share is None


@pytest.mark.slow
def test_the_interval_covers_the_truth_on_simulated_streams() -> None:
    """Streams with a known share: the 95% interval holds it in about 95% of them (at least 88%)."""
    rng = random.Random(5)
    covered = trials = 0
    for _ in range(300):
        n = 3000
        rate = rng.uniform(0.02, 0.1)
        labels = [1 if rng.random() < rate else 0 for _ in range(n)]
        scores = [min(max(rng.gauss(0.45 if y else 0.15, 0.12), 0.0), 1.0) for y in labels]
        above = [i for i in range(n) if scores[i] >= 0.35]
        below = [i for i in range(n) if scores[i] < 0.35]
        decided_above = rng.sample(above, len(above) // 2)  # half the queue decided so far
        audited = rng.sample(below, 60)
        history = [rv(i, labels[i], CAUGHT) for i in decided_above]
        history += [rv(i, labels[i], AUDIT, len(below) / 60) for i in audited]
        est = share_estimate("q", history, works=n, above=len(above), weeks=13)
        truth = sum(labels) / n
        trials += 1
        covered += est.low <= truth <= est.high
    assert covered / trials >= 0.88, f"coverage {covered}/{trials}"


@pytest.mark.slow
def test_quarterly_shares_from_a_replayed_database_match_the_labels(tmp_path: Path) -> None:
    """A review history replayed through the real store (ingest, scores, weekly audit draws, decisions):
    each quarter's figures are recomputed here from the works' labels, reasons and the recorded draws."""
    rows = synthetic_rows(n=2400, seed=3)
    labels = {r.id: r.label for r in rows}
    with Store(tmp_path / "candidates.db") as store:
        replay(store, rows, weeks=12, audit_per_week=25, uncertain_share=0.1)
        shares = quarterly_shares(store)
        works = {r.id: store.works.work(r.id) for r in rows}
        weight = {w: d.population / len(d.audit) for d in audit.draws(store) for w in d.audit}
    assert sum(s.works for s in shares) == len(rows)
    assert any(s.share is not None for s in shares)
    for s in shares:
        in_q = [w for w in works.values() if quarter(w["first_seen"]) == s.period]
        assert s.works == len(in_q)
        assert s.above == sum(w["queue_reason"] == "score" for w in in_q)
        if s.share is None:
            continue
        counted = sum(labels[w["id"]] for w in in_q if w["queue_reason"] in ("score", "uncertain"))
        audited = [w["id"] for w in in_q if w["queue_reason"] == "audit"]
        rest = s.works - s.above - sum(w["queue_reason"] == "uncertain" for w in in_q)
        rate = sum(weight[a] * labels[a] for a in audited) / sum(weight[a] for a in audited)
        assert s.audited == len(audited)
        assert s.relevant == pytest.approx(counted + rest * rate)
        assert s.share == pytest.approx(s.relevant / s.works)
        assert s.low < s.share < s.high or s.share == 0.0
