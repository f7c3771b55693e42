"""The tuning math on its own: each figure against a brute-force or textbook computation done here."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.stats import ks_2samp

from rsiwatch.tuning.threshold import (
    Reviewed,
    acceptance_drift,
    curve,
    kish_n,
    ks_statistic,
    net_budget,
    psi,
    recall_estimate,
    score_drift,
    threshold_for_budget,
    threshold_for_recall,
    weekly_load,
    wilson,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def history(seed: int, n: int = 300) -> list[Reviewed]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        label = int(rng.random() < 0.3)
        score = float(np.clip(rng.normal(0.5 if label else 0.3, 0.15), 0, 1))
        score = round(score, 2)  # ties on purpose
        reason = "score" if score >= 0.4 else ("audit" if rng.random() < 0.5 else "uncertain")
        weight = float(rng.integers(2, 20)) if reason == "audit" else 1.0
        out.append(Reviewed(f"w{i}", label, score, NOW, NOW, reason, (), weight))
    return out


def test_wilson_matches_textbook_values() -> None:
    lo, hi = wilson(0.5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0.0, 10)  # no positive seen: the upper end is z^2 / (n + z^2)
    assert lo == 0.0 and hi == pytest.approx(1.959964**2 / (10 + 1.959964**2), abs=1e-6)
    assert wilson(0.3, 0) == (0.0, 1.0)


def test_kish_effective_n() -> None:
    assert kish_n([3.0] * 8) == pytest.approx(8)
    assert kish_n([1.0, 9.0]) == pytest.approx(100 / 82)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_curve_matches_brute_force(seed: int) -> None:
    h = history(seed)
    grid = [i / 20 for i in range(21)]
    stream = np.random.default_rng(seed).random(500)
    points = curve(h, grid, stream_scores=stream, span_weeks=2.5)
    positives = sum(r.weight * r.label for r in h)
    for p in points:
        above = [r for r in h if r.score >= p.threshold]
        w_above = sum(r.weight for r in above)
        hit = sum(r.weight * r.label for r in above)
        assert p.precision == (pytest.approx(hit / w_above) if w_above else None)
        assert p.recall == pytest.approx(hit / positives)
        assert p.per_week == pytest.approx(sum(1 for s in stream if s >= p.threshold) / 2.5)
        assert p.reviewed == len(above) and p.accepted == sum(r.label for r in above)


@pytest.mark.parametrize("seed", [4, 5, 6])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 1.0])
def test_threshold_for_recall_is_the_highest_that_reaches_the_target(seed: int, target: float) -> None:
    h = history(seed)
    total = sum(r.weight * r.label for r in h)

    def recall(t: float) -> float:
        return sum(r.weight * r.label for r in h if r.score >= t) / total

    candidates = sorted({r.score for r in h} | {float(x) for x in np.linspace(0, 1, 1001)})
    best = max(t for t in candidates if recall(t) >= target - 1e-12)
    assert threshold_for_recall(h, target) == pytest.approx(best)


def test_threshold_for_recall_without_positives() -> None:
    assert threshold_for_recall([Reviewed("a", 0, 0.5, NOW, NOW, "score")], 0.9) is None


@pytest.mark.parametrize("per_week", [0.5, 3, 10, 40, 1000])
def test_threshold_for_budget_is_the_lowest_that_fits(per_week: float) -> None:
    rng = np.random.default_rng(9)
    scores = np.round(rng.beta(2, 8, 800), 3)
    span = 4.0
    fits = [t for t in np.unique(scores) if (scores >= t).sum() / span <= per_week]
    chosen = threshold_for_budget(scores, span, per_week)
    assert chosen == (pytest.approx(min(fits)) if fits else None)
    assert weekly_load(scores, span, [chosen])[0] <= per_week if chosen is not None else True


def test_net_budget_leaves_room_for_audit_and_uncertainty() -> None:
    assert net_budget(40, 5, 0.1) == pytest.approx(31.5)
    assert net_budget(4, 5, 0.1) == 0.0


def test_recall_estimate_small_example_by_hand() -> None:
    h = [Reviewed(f"c{i}", 1, 0.9, NOW, NOW, "score") for i in range(8)]
    h += [Reviewed(f"n{i}", 0, 0.8, NOW, NOW, "score") for i in range(5)]
    h += [Reviewed("u1", 1, 0.3, NOW, NOW, "uncertain")]
    h += [Reviewed(f"a{i}", int(i == 0), 0.1, NOW, NOW, "audit", (), 50.0) for i in range(10)]  # 1 in 10, N = 500
    est = recall_estimate(h)
    assert est.caught == 8 and est.found_below == 1 and est.missed == pytest.approx(50.0)
    assert est.recall == pytest.approx(8 / (8 + 1 + 50))
    p_lo, p_hi = wilson(0.1, 10)
    assert est.low == pytest.approx(8 / (9 + 500 * p_hi))
    assert est.high == pytest.approx(8 / (9 + 500 * p_lo))
    assert est.audited == 10 and est.audit_positives == 1 and est.population == pytest.approx(500)


def test_recall_estimate_without_audit_has_no_interval() -> None:
    est = recall_estimate([Reviewed("c", 1, 0.9, NOW, NOW, "score")])
    assert est.recall == 1.0 and est.low is None and est.high is None


def test_recall_interval_covers_the_truth_in_repeated_audits() -> None:
    """Simulate many audits of a known stream: the 95% interval should hold the true recall ~95% of times."""
    rng = random.Random(3)
    weeks, per_week, audit_size = 8, 400, 20
    below = [[int(rng.random() < 0.02) for _ in range(per_week)] for _ in range(weeks)]
    caught = 30
    truth = caught / (caught + sum(map(sum, below)))
    covered, trials = 0, 300
    for _ in range(trials):
        h = [Reviewed(f"c{i}", 1, 0.9, NOW, NOW, "score") for i in range(caught)]
        for w, labels in enumerate(below):
            for j in rng.sample(range(per_week), audit_size):
                h.append(Reviewed(f"a{w}.{j}", labels[j], 0.1, NOW, NOW, "audit", (), per_week / audit_size))
        est = recall_estimate(h)
        covered += est.low <= truth <= est.high
    assert covered / trials >= 0.9


def test_psi_and_ks() -> None:
    rng = np.random.default_rng(0)
    base = rng.beta(2, 8, 2000)
    same = rng.beta(2, 8, 2000)
    moved = np.clip(rng.beta(2, 8, 500) + 0.15, 0, 1)
    assert psi(base, same) < 0.05
    assert psi(base, moved) > 0.25
    assert ks_statistic(base, moved) == pytest.approx(ks_2samp(base, moved).statistic)
    # PSI by hand on two bins: shares (0.5, 0.5) -> (0.8, 0.2)
    hand = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi([0.0, 0.0, 1.0, 1.0], [0.0] * 8 + [1.0] * 2, bins=2) == pytest.approx(hand)


def test_score_drift_flags_a_sharp_move_only() -> None:
    rng = np.random.default_rng(1)
    times = [NOW - timedelta(days=float(d)) for d in rng.uniform(0, 35, 3000)]
    steady = list(rng.beta(2, 8, 3000))
    check = score_drift(times, steady, NOW)
    assert check is not None and not check.alert
    shifted = [s + 0.2 if NOW - t < timedelta(days=7) else s for t, s in zip(times, steady, strict=False)]
    check = score_drift(times, shifted, NOW)
    assert check.alert and check.statistic >= 0.25 and "PSI" in check.detail
    assert score_drift(times[:20], steady[:20], NOW) is None  # too few works to say


def test_acceptance_drift() -> None:
    def decided(days_ago: float, label: int, i: int) -> Reviewed:
        t = NOW - timedelta(days=days_ago)
        return Reviewed(f"w{i}", label, 0.5, t, t, "score")

    base = [decided(8 + i % 20, int(i % 10 < 3), i) for i in range(80)]  # 30% accepted
    steady = base + [decided(1 + i % 5, int(i % 10 < 3), 100 + i) for i in range(20)]
    assert not acceptance_drift(steady, NOW).alert
    collapsed = base + [decided(1 + i % 5, 0, 100 + i) for i in range(30)]  # nothing accepted this week
    check = acceptance_drift(collapsed, NOW)
    assert check.alert and check.statistic <= -3
