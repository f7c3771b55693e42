"""Threshold tuning from the review history: curves, a chosen threshold, a recall estimate, drift.

Pure functions over small values; the store, the config and the command line stay outside
(``rsiwatch.tuning.report`` gathers the inputs from the database).

**Why weights.** The decisions are not a random sample of the stream: every work above the threshold
is reviewed (a census), a few near it are reviewed because the model is unsure of them (also a census of
what was picked), and below that only a weekly random audit sample is seen.  Each reviewed work
therefore carries a weight, the number of stream works it stands for: 1 for the census strata, and
``N / m`` for an audited work (``N`` works were eligible for that week's audit, ``m`` of the drawn
ones have been decided).  Weighted sums over the decisions then estimate sums over the whole stream
(inverse-probability weighting, Horvitz-Thompson), so precision and recall at *any* threshold, not
only the one in use, can be read off the same history.

**Why decision-time scores.** Each decision keeps the score the work had when it was decided.  That
score came from a model which had not yet seen the label, so the curves are honest out-of-sample
figures; scoring the history again with a model trained on it would flatter every threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

Z_95 = 1.959963984540054
DEFAULT_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 .. 0.95, the table's rows
PSI_ALERT = 0.25  # population stability index: < 0.1 stable, 0.1-0.25 moderate, >= 0.25 a sharp move
PSI_BINS = 10
ACCEPTANCE_Z_ALERT = 3.0  # two-proportion z; |z| >= 3 happens by chance about 3 times in 1000
MIN_DRIFT_WORKS = 50  # fewer works in the current week: too noisy to call a move
MIN_DRIFT_DECISIONS = 10
WEEK = timedelta(days=7)

# Why each work joined the queue (``works.queue_reason``); see review.audit.
CAUGHT = "score"  # above the threshold
AUDIT = "audit"  # the weekly random sample below it


@dataclass(frozen=True)
class Reviewed:
    """One standing decision, as tuning sees it: label 1 (accepted) or 0, the score it had, its weight."""

    work_id: str
    label: int
    score: float
    decided_at: datetime
    first_seen: datetime
    reason: str  # works.queue_reason: score, uncertain, audit, decided, submitted
    sources: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class CurvePoint:
    """What one threshold costs and catches."""

    threshold: float
    precision: float | None  # weighted share of the works at or above it that were accepted
    recall: float | None  # weighted share of the accepted works that are at or above it
    per_week: float | None  # stream works at or above it per week (the review load it asks for)
    reviewed: int  # decisions at or above it (the evidence behind the figures)
    accepted: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RecallEstimate:
    """The recall the threshold actually achieves, from the audit, with a 95% interval.

    ``caught``: accepted works that were above the threshold; ``found_below``: accepted works below it
    that a curator saw anyway (uncertainty picks, searches); ``missed``: estimated accepted works among
    the unreviewed rest below it, with its interval.
    """

    recall: float | None
    low: float | None
    high: float | None
    caught: int
    found_below: int
    missed: float
    missed_low: float
    missed_high: float
    audited: int  # audit decisions behind the estimate
    audit_positives: int
    population: float  # unreviewed works below the threshold that the audit stands for
    method: str = "IPW audit + Wilson (Kish effective n)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DriftCheck:
    """One comparison of the last week against the weeks before it."""

    name: str
    statistic: float
    cutoff: float
    current_n: int
    baseline_n: int
    alert: bool
    detail: str
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- intervals ---------------------------------------------------------------------------------------


def wilson(p: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` seen in ``n`` trials (``n`` may be fractional).

    Chosen over the normal interval because audits mostly find zero or one relevant work, where the
    normal interval collapses to a point and the Wilson one still says how many could be hiding.
    """
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return max(0.0, centre - half), min(1.0, centre + half)


def kish_n(weights: Sequence[float]) -> float:
    """Kish's effective sample size: unequal weights carry less information than equal ones."""
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum() ** 2 / (w * w).sum()) if w.size and (w * w).sum() > 0 else 0.0


# ---- the recall estimate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Strata:
    """The review history split the way the audit design sampled it (see the module docstring).

    ``caught``/``caught_decided``: accepted / decided works queued for their score (the census above the
    threshold); ``found_below``/``below_decided``: accepted / decided works below it that a curator saw
    anyway (uncertainty picks, submissions: they stand for themselves); ``audit_weights`` and
    ``audit_labels``: the random audit below it, each work standing for ``weight`` stream works.
    """

    caught: int
    caught_decided: int
    found_below: int
    below_decided: int
    audit_weights: tuple[float, ...]
    audit_labels: tuple[int, ...]

    @property
    def audit_population(self) -> float:
        return float(sum(self.audit_weights))

    @property
    def audit_rate(self) -> tuple[float, float, float] | None:
        """The relevant share of the unreviewed rest below the threshold and its Wilson interval
        (Kish's effective n), or None without audit decisions."""
        population = self.audit_population
        if population <= 0:
            return None
        w = np.asarray(self.audit_weights, dtype=np.float64)
        p = float((w * np.asarray(self.audit_labels, dtype=np.float64)).sum()) / population
        low, high = wilson(p, kish_n(self.audit_weights))
        return p, low, high


def strata(history: Iterable[Reviewed]) -> Strata:
    caught = caught_decided = found_below = below_decided = 0
    audit_w: list[float] = []
    audit_y: list[int] = []
    for r in history:
        if r.reason == AUDIT:
            audit_w.append(r.weight)
            audit_y.append(r.label)
        elif r.reason == CAUGHT:
            caught += r.label
            caught_decided += 1
        else:
            found_below += r.label
            below_decided += 1
    return Strata(caught, caught_decided, found_below, below_decided, tuple(audit_w), tuple(audit_y))


def recall_estimate(history: Iterable[Reviewed], z: float = Z_95) -> RecallEstimate:
    """Recall of the threshold in use, estimated from the audit (see the module docstring for weights).

    recall = C / (C + U + M), where C counts accepted works queued for their score, U accepted works
    below the threshold a curator saw anyway (weight 1), and M = sum of ``weight * label`` over the
    audit decisions, the estimated relevant works in the unreviewed rest.  The interval comes from a
    Wilson interval for the rest's relevant share p = M / N (N = sum of audit weights) with Kish's
    effective sample size, mapped through the formula (recall falls as M grows, so the ends swap).
    C and U are counted, not sampled, so they add no variance; sampling without replacement makes the
    interval slightly conservative.  Without audit decisions M is 0 and the interval is unknown.
    """
    split = strata(history)
    caught, found_below = split.caught, split.found_below
    population = split.audit_population
    missed = float(np.dot(split.audit_weights, split.audit_labels)) if split.audit_weights else 0.0
    if population > 0:
        lo_p, hi_p = wilson(missed / population, kish_n(split.audit_weights), z)
        missed_low, missed_high = population * lo_p, population * hi_p
    else:
        missed_low = missed_high = 0.0

    def ratio(m: float) -> float | None:
        total = caught + found_below + m
        return caught / total if total > 0 else None

    known = population > 0
    return RecallEstimate(
        recall=ratio(missed),
        low=ratio(missed_high) if known else None,
        high=ratio(missed_low) if known else None,
        caught=caught,
        found_below=found_below,
        missed=missed,
        missed_low=missed_low,
        missed_high=missed_high,
        audited=len(split.audit_weights),
        audit_positives=int(sum(split.audit_labels)),
        population=population,
    )


# ---- curves and choices ------------------------------------------------------------------------------


def _arrays(history: Sequence[Reviewed]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.array([r.score for r in history], dtype=np.float64)
    y = np.array([r.label for r in history], dtype=np.float64)
    w = np.array([r.weight for r in history], dtype=np.float64)
    return s, y, w


def weekly_load(scores: Sequence[float], span_weeks: float, thresholds: Sequence[float]) -> list[float | None]:
    """Stream works scoring at or above each threshold, per week of the window the scores came from."""
    if span_weeks <= 0:
        return [None for _ in thresholds]
    s = np.sort(np.asarray(scores, dtype=np.float64))
    return [float((s.size - np.searchsorted(s, t, side="left")) / span_weeks) for t in thresholds]


def curve(
    history: Sequence[Reviewed],
    thresholds: Sequence[float] = DEFAULT_GRID,
    *,
    stream_scores: Sequence[float] = (),
    span_weeks: float = 0.0,
) -> list[CurvePoint]:
    """Weighted precision and recall of each threshold over the history, and the weekly load it asks for."""
    s, y, w = _arrays(history)
    positives = float((w * y).sum())
    loads = weekly_load(stream_scores, span_weeks, thresholds)
    out = []
    for t, load in zip(thresholds, loads, strict=False):
        above = s >= t
        weight_above = float(w[above].sum())
        hit = float((w * y)[above].sum())
        out.append(
            CurvePoint(
                threshold=float(t),
                precision=hit / weight_above if weight_above > 0 else None,
                recall=hit / positives if positives > 0 else None,
                per_week=load,
                reviewed=int(above.sum()),
                accepted=int(y[above].sum()),
            )
        )
    return out


def threshold_for_recall(history: Sequence[Reviewed], target: float) -> float | None:
    """The highest threshold whose estimated recall is at least ``target`` (the least reading for it).

    Recall only changes at the score of an accepted work, so those scores are the only candidates;
    None when the history holds no accepted work.
    """
    s, y, w = _arrays(history)
    positives = float((w * y).sum())
    if positives <= 0:
        return None
    for t in np.unique(s[y == 1])[::-1]:
        if float((w * y)[s >= t].sum()) >= target * positives - 1e-9:
            return float(t)
    return None


def net_budget(budget: float, audit_per_week: int, uncertain_share: float) -> float:
    """Of a weekly reading budget, what is left for works above the threshold.

    The audit adds a fixed number a week and the uncertainty picks a share of the queue, so
    above-threshold works may take ``(budget - audit) * (1 - share)``.
    """
    return max(0.0, (budget - audit_per_week) * (1.0 - min(uncertain_share, 0.9)))


def threshold_for_budget(scores: Sequence[float], span_weeks: float, per_week: float) -> float | None:
    """The lowest threshold whose weekly load (over the window of ``scores``) fits ``per_week``.

    Load only changes at a work's score, so those scores are the candidates; None when even the
    single best work would exceed the budget (or there are no scores).
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if s.size == 0 or span_weeks <= 0:
        return None
    allowed = math.floor(per_week * span_weeks + 1e-9)
    chosen = None
    for t in np.unique(s)[::-1]:
        if int((s >= t).sum()) <= allowed:
            chosen = float(t)
        else:
            break
    return chosen


# ---- drift ------------------------------------------------------------------------------------------


def psi(baseline: Sequence[float], current: Sequence[float], bins: int = PSI_BINS) -> float:
    """Population stability index of ``current`` against ``baseline``, on the baseline's quantile bins.

    PSI = sum over bins of (c - b) * ln(c / b) with b, c the bin shares (empty bins floored at 1e-4).
    """
    b = np.asarray(baseline, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    if b.size == 0 or c.size == 0:
        return 0.0
    inner = np.unique(np.quantile(b, np.linspace(0, 1, bins + 1)[1:-1]))
    b_share = np.bincount(np.searchsorted(inner, b, side="right"), minlength=inner.size + 1) / b.size
    c_share = np.bincount(np.searchsorted(inner, c, side="right"), minlength=inner.size + 1) / c.size
    b_share = np.maximum(b_share, 1e-4)
    c_share = np.maximum(c_share, 1e-4)
    return float(((c_share - b_share) * np.log(c_share / b_share)).sum())


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs."""
    x = np.sort(np.asarray(a, dtype=np.float64))
    z = np.sort(np.asarray(b, dtype=np.float64))
    if x.size == 0 or z.size == 0:
        return 0.0
    grid = np.concatenate([x, z])
    fx = np.searchsorted(x, grid, side="right") / x.size
    fz = np.searchsorted(z, grid, side="right") / z.size
    return float(np.abs(fx - fz).max())


def score_drift(
    first_seen: Sequence[datetime], scores: Sequence[float], now: datetime, baseline_weeks: int = 4
) -> DriftCheck | None:
    """The last seven days' score distribution against the ``baseline_weeks`` before: PSI >= 0.25 alerts.

    A sharp move means the stream changed (a new source, a feed gone wrong) or the model did.
    """
    cur = [s for t, s in zip(first_seen, scores, strict=False) if now - WEEK <= t < now]
    base = [s for t, s in zip(first_seen, scores, strict=False) if now - WEEK * (1 + baseline_weeks) <= t < now - WEEK]
    if len(cur) < MIN_DRIFT_WORKS or len(base) < MIN_DRIFT_WORKS:
        return None
    value = psi(base, cur)
    ks = ks_statistic(base, cur)
    return DriftCheck(
        name="score distribution",
        statistic=round(value, 4),
        cutoff=PSI_ALERT,
        current_n=len(cur),
        baseline_n=len(base),
        alert=value >= PSI_ALERT,
        detail=(
            f"scores of the last 7 days moved against the {baseline_weeks} weeks before: PSI {value:.2f} "
            f"(alert at {PSI_ALERT}), KS {ks:.2f}, median {np.median(base):.2f} -> {np.median(cur):.2f}"
        ),
        extra={"ks": round(ks, 4), "median_before": float(np.median(base)), "median_now": float(np.median(cur))},
    )


def acceptance_drift(history: Sequence[Reviewed], now: datetime, baseline_weeks: int = 4) -> DriftCheck | None:
    """The acceptance rate of above-threshold works decided in the last 7 days against the weeks before.

    Two-proportion z test; |z| >= 3 alerts.  Only score-queued works count, so a larger audit or
    uncertainty share does not look like drift.
    """
    queued = [r for r in history if r.reason == CAUGHT]
    cur = [r.label for r in queued if now - WEEK <= r.decided_at < now]
    base = [r.label for r in queued if now - WEEK * (1 + baseline_weeks) <= r.decided_at < now - WEEK]
    if len(cur) < MIN_DRIFT_DECISIONS or len(base) < 2 * MIN_DRIFT_DECISIONS:
        return None
    p1, p0 = sum(cur) / len(cur), sum(base) / len(base)
    pooled = (sum(cur) + sum(base)) / (len(cur) + len(base))
    se = math.sqrt(pooled * (1 - pooled) * (1 / len(cur) + 1 / len(base)))
    z = (p1 - p0) / se if se > 0 else 0.0
    return DriftCheck(
        name="acceptance rate",
        statistic=round(z, 3),
        cutoff=ACCEPTANCE_Z_ALERT,
        current_n=len(cur),
        baseline_n=len(base),
        alert=abs(z) >= ACCEPTANCE_Z_ALERT,
        detail=(
            f"acceptance of queued works was {p1:.0%} in the last 7 days ({len(cur)} decisions) against "
            f"{p0:.0%} in the {baseline_weeks} weeks before (z = {z:+.1f}, alert at ±{ACCEPTANCE_Z_ALERT:g})"
        ),
        extra={"rate_now": p1, "rate_before": p0},
    )


def weekly_series(
    first_seen: Sequence[datetime], scores: Sequence[float], history: Sequence[Reviewed], threshold: float,
    now: datetime, weeks: int = 8,
) -> list[dict[str, Any]]:
    """Per week (rolling 7-day windows ending at ``now``, oldest first): works, median score, share at
    or above the threshold, and the acceptance rate of queued works decided that week (for the stats view)."""
    out = []
    for k in range(weeks, 0, -1):
        start, end = now - WEEK * k, now - WEEK * (k - 1)
        s = np.array([v for t, v in zip(first_seen, scores, strict=False) if start <= t < end], dtype=np.float64)
        decided = [r.label for r in history if r.reason == CAUGHT and start <= r.decided_at < end]
        out.append(
            {
                "start": start.isoformat(),
                "works": int(s.size),
                "median_score": float(np.median(s)) if s.size else None,
                "above_threshold": float((s >= threshold).mean()) if s.size else None,
                "decided": len(decided),
                "acceptance_rate": sum(decided) / len(decided) if decided else None,
            }
        )
    return out
