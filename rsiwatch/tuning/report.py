"""Everything ``rsiwatch tune``, ``status`` and the stats view show about the threshold, read from the store.

This is the edge where the pure figures of ``rsiwatch.tuning.threshold`` meet the database: it loads the review
history with its audit weights, the stream's recent scores and the settings, and returns plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rsiwatch.config import Config
from rsiwatch.store import RETRAIN_SETTING, THRESHOLD_SETTING, Store, iso, moment, parse_iso
from rsiwatch.tuning import audit
from rsiwatch.tuning.proxy import CatalogProxy, catalog_proxy
from rsiwatch.tuning.threshold import (
    DEFAULT_GRID,
    WEEK,
    CurvePoint,
    DriftCheck,
    RecallEstimate,
    Reviewed,
    acceptance_drift,
    curve,
    recall_estimate,
    score_drift,
    weekly_series,
)

TARGET_SETTING = "threshold_target"  # what the tuner asked for: {"recall": 0.95} or {"budget": 40}
DEFAULT_LOAD_WEEKS = 8
BUDGET_OVERRUN = 1.5  # warn when last week's load is this many times the budget
# Below this many decisions in scope (or without an accepted one), the reviews' curves are noise: the
# catalog proxy stays the recall shown, and `tune --recall` will not save a threshold without --force.
MIN_DECISIONS = 10


@dataclass
class TuningReport:
    threshold: float
    threshold_set_at: str | None
    threshold_reason: str | None
    scope: str
    audited_scope: bool  # False: no audit decided yet, so recall is among reviewed works only
    history: list[Reviewed]
    curve: list[CurvePoint]
    current: CurvePoint
    estimate: RecallEstimate
    load_since: str
    span_weeks: float
    stream_scores: list[float]
    sources: list[dict[str, Any]]
    drift: list[DriftCheck] = field(default_factory=list)
    weekly: list[dict[str, Any]] = field(default_factory=list)
    stream_works: int = 0  # scored works in the load window
    # What the figures still lack, in words: the stream for the weekly load, the reviews for precision
    # and recall (see ``missing``); ``tune`` and the stats page show the same sentences.
    stream_needs: list[str] = field(default_factory=list)
    review_needs: list[str] = field(default_factory=list)
    proxy: CatalogProxy | None = None

    @property
    def needs(self) -> list[str]:
        out = [*self.stream_needs, *self.review_needs]
        if self.proxy is not None and not self.reviews_suffice:
            out.append(f"until then, {self.proxy.label} stands in: each of the {len(self.proxy.scores)} catalog "
                       "entries scored by a model trained without it (a proxy, not a measurement)")
        return out

    @property
    def accepted(self) -> int:
        return sum(r.label for r in self.history)

    @property
    def reviews_suffice(self) -> bool:
        """Enough decisions, one of them an accept, for the reviews' recall to replace the catalog proxy."""
        return len(self.history) >= MIN_DECISIONS and self.accepted > 0

    def proxy_curve(self) -> list[dict[str, Any]]:
        """Per threshold of the table: the catalog proxy's recall beside the stream's weekly load."""
        if self.proxy is None:
            return []
        thresholds = [p.threshold for p in self.curve]
        return [
            {"threshold": t, "catalog_recall": r, "per_week": p.per_week}
            for t, r, p in zip(thresholds, self.proxy.recall_at(thresholds), self.curve, strict=False)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "threshold_set_at": self.threshold_set_at,
            "threshold_reason": self.threshold_reason,
            "scope": self.scope,
            "audited_scope": self.audited_scope,
            "decisions": len(self.history),
            "accepted": sum(r.label for r in self.history),
            "load_since": self.load_since,
            "span_weeks": round(self.span_weeks, 3),
            "current": self.current.to_dict(),
            "curve": [p.to_dict() for p in self.curve],
            "recall_estimate": self.estimate.to_dict(),
            "sources": self.sources,
            "drift": [d.to_dict() for d in self.drift],
            "weekly": self.weekly,
            "stream_works": self.stream_works,
            "needs": self.needs,
            "catalog_recall": None if self.proxy is None else {
                **self.proxy.to_dict(), "proxy": True, "replaced_by_reviews": self.reviews_suffice,
                "current": self.proxy.recall_at([self.threshold])[0], "curve": self.proxy_curve(),
            },
        }


def _decisions(n: int) -> str:
    return f"{n} decision" + ("" if n == 1 else "s")


def current_threshold(store: Store, config: Config) -> tuple[float, str | None, str | None]:
    """The threshold in force with when and why it was set (the config's when ``tune`` never set one)."""
    history = store.history.setting_history(THRESHOLD_SETTING)
    if not history:
        return float(config.threshold), None, "from config.yaml"
    last = history[-1]
    return float(last["value"]), last["set_at"], last["reason"]


def load_history(store: Store) -> tuple[list[Reviewed], list[tuple[datetime, datetime]]]:
    """The review history with audit weights applied, and the audited weeks (the estimate's scope)."""
    rows = store.history.review_history()
    decided = {r["work_id"] for r in rows}
    all_draws = audit.draws(store)
    weights = audit.audit_weights(all_draws, decided)
    history = []
    for r in rows:
        reason = r["queue_reason"] or "decided"
        if reason == audit.AUDIT and r["work_id"] not in weights:
            reason = "decided"  # queued as audit outside a recorded draw: it stands for itself only
        history.append(
            Reviewed(
                work_id=r["work_id"], label=r["label"], score=r["score"], decided_at=moment(r["decided_at"]),
                first_seen=moment(r["first_seen"]), reason=reason, sources=tuple(r["sources"]),
                weight=weights.get(r["work_id"], 1.0),
            )
        )
    return history, audit.audited_windows(all_draws, decided)


def in_windows(history: Sequence[Reviewed], windows: Sequence[tuple[datetime, datetime]]) -> list[Reviewed]:
    return [r for r in history if any(a <= r.first_seen < b for a, b in windows)]


def stream_window(store: Store, now: datetime, weeks: int) -> tuple[str, float, list[datetime], list[float]]:
    """The stream's scores over the last ``weeks`` weeks (or since the first work) and the span in weeks."""
    since = now - WEEK * weeks
    first = parse_iso(store.history.first_work_seen())
    start = max(since, first) if first else since
    rows = store.history.stream_scores(iso(start))
    span = max((now - start).total_seconds(), 86400.0) / WEEK.total_seconds()
    return iso(start), span, [moment(t) for t, _ in rows], [s for _, s in rows]


def build_report(
    store: Store, config: Config, *, now: datetime | None = None, weeks: int = DEFAULT_LOAD_WEEKS,
    grid: Sequence[float] = DEFAULT_GRID, proxy: bool = False,
) -> TuningReport:
    """The figures ``tune`` and the stats page show; ``proxy``: with the catalog's out-of-fold recall
    (computed once per model version and catalog, see tuning_proxy), which ``status`` does not need."""
    now = now or datetime.now(UTC)
    threshold, set_at, reason = current_threshold(store, config)
    history, windows = load_history(store)
    scoped = in_windows(history, windows) if windows else history
    audited = bool(windows) and bool(scoped)
    if audited:
        first, last = min(a for a, _ in windows), max(b for _, b in windows)
        scope = (
            f"{len(scoped)} decisions on works first seen in {len(windows)} audited weeks "
            f"({first.date()} to {last.date()})"
        )
    else:
        # No audit yet, or none of the decisions is on a work of an audited week (a first sitting decides
        # this week's works; the audit covers last week's): the curves count what was reviewed.
        scoped = history
        scope = f"all {_decisions(len(history))}; recall counts only what was reviewed"
    since, span, seen, scores = stream_window(store, now, weeks)
    thresholds = sorted({*grid, threshold})
    points = curve(scoped, thresholds, stream_scores=scores, span_weeks=span)
    current = next(p for p in points if p.threshold == threshold)
    drift = [c for c in (score_drift(seen, scores, now), acceptance_drift(history, now)) if c is not None]
    estimate = recall_estimate(scoped)
    report = TuningReport(
        threshold=threshold,
        threshold_set_at=set_at,
        threshold_reason=reason,
        scope=scope,
        audited_scope=audited,
        history=scoped,
        curve=points,
        current=current,
        estimate=estimate,
        load_since=since,
        span_weeks=span,
        stream_scores=scores,
        sources=source_figures(store, config, scoped, threshold),
        drift=drift,
        weekly=weekly_series(seen, scores, history, threshold, now, weeks),
        stream_works=len(scores),
        proxy=catalog_proxy(store) if proxy else None,
    )
    report.stream_needs, report.review_needs = missing(report, history, windows)
    return report


def missing(
    report: TuningReport, history: Sequence[Reviewed], windows: Sequence[tuple[datetime, datetime]]
) -> tuple[list[str], list[str]]:
    """What the stream and the reviews still lack, one sentence each, most basic first: the one home of
    these messages (``tune`` prints them, the stats page lists them, ``tune --recall/--budget`` refuse
    with them)."""
    stream: list[str] = []
    if not report.stream_scores:
        stream.append(
            "no scored work in the stream yet: crawl first, so the weekly load of each threshold can be measured"
        )
    elif report.span_weeks < 1:
        stream.append(
            f"the stream covers {report.span_weeks * 7:.1f} days ({report.stream_works} works): the weekly load is "
            "extrapolated from less than a week"
        )
    reviews: list[str] = []
    if not history:
        reviews.append(
            "no review decision yet: precision and recall from reviews need decided candidates "
            "(the review page, `rsiwatch review`, or accept/reject)"
        )
        return stream, reviews
    if windows and not report.audited_scope:
        first, last = min(a for a, _ in windows), max(b for _, b in windows)
        reviews.append(
            f"no decision yet on works from audited weeks ({first.date()} to {last.date()}): the "
            f"{_decisions(len(history))} so far are on works first seen outside them, so recall counts only what was "
            "reviewed"
        )
    if report.accepted == 0:
        reviews.append(f"no accepted work among the {_decisions(len(report.history))} yet: recall needs at least one")
    if len(report.history) < MIN_DECISIONS:
        reviews.append(
            f"only {_decisions(len(report.history))} so far: curves from fewer than {MIN_DECISIONS} are noise"
        )
    if report.estimate.audited == 0:
        reviews.append(
            "no audit decision yet: the weekly audit sample (works queued below the threshold) is what "
            "estimates how much the threshold misses"
        )
    return stream, reviews


def source_figures(store: Store, config: Config, history: Sequence[Reviewed], threshold: float) -> list[dict[str, Any]]:
    """Per source: candidates, accepted share and the audit's recall estimate for its works.

    The estimate restricts the weighted history to works the source mentioned (domain estimation: an
    audited work still stands for its week's population, so the sum over a source's audited works
    estimates that source's share of what was missed).  Few audits a source means a wide interval.
    """
    own = {s.name: s.threshold for s in config.sources}
    report = {r["name"]: r for r in store.sources.source_report()}
    names = sorted({*report, *(s for r in history for s in r.sources)} - {""})
    out = []
    for name in names:
        if name.startswith("catalog:"):
            continue
        row = report.get(name, {})
        est = recall_estimate([r for r in history if name in r.sources])
        out.append(
            {
                "source": name,
                "threshold": own.get(name) if own.get(name) is not None else threshold,
                "candidates": row.get("candidates", 0),
                "decided": row.get("decided", 0),
                "accepted": row.get("accepted", 0),
                "accepted_share": row.get("acceptance_rate"),
                "recall": est.recall,
                "recall_low": est.low,
                "recall_high": est.high,
                "audited": est.audited,
                "audit_positives": est.audit_positives,
            }
        )
    return out


def health_warnings(store: Store, config: Config, *, now: datetime | None = None) -> list[str]:
    """One line per thing the operator should look at: drift, a retrain that kept the old model,
    a recall below what the tuner asked for, a queue over budget, an audit not drawn lately."""
    now = now or datetime.now(UTC)
    report = build_report(store, config, now=now)
    target = store.models.setting(TARGET_SETTING) or {}
    found = [
        *(f"drift: {c.detail}" for c in report.drift if c.alert),
        _retrain_kept_old(store.models.setting(RETRAIN_SETTING)),
        _recall_below_target(report, target),
        _load_over_budget(report, target),
        _audit_stale(store, config, now),
    ]
    return [w for w in found if w]


def _retrain_kept_old(retrain: Any) -> str | None:
    if isinstance(retrain, dict) and not retrain.get("activated", True):
        return (
            f"retrain at {retrain.get('at', '?')[:16]} kept model {retrain.get('active_version')}: "
            f"{retrain.get('reason')}"
        )
    return None


def _recall_below_target(report: TuningReport, target: dict[str, Any]) -> str | None:
    est = report.estimate
    if target.get("recall") and est.high is not None and est.high < target["recall"]:
        return (
            f"estimated recall {est.recall:.0%} (95% CI {est.low:.0%}-{est.high:.0%}) is below the target "
            f"{target['recall']:.0%}; run `rsiwatch tune --recall {target['recall']}` again"
        )
    return None


def _load_over_budget(report: TuningReport, target: dict[str, Any]) -> str | None:
    if not (target.get("budget") and report.weekly and (report.weekly[-1]["works"] or 0)):
        return None
    last = report.weekly[-1]
    load = (last["above_threshold"] or 0.0) * last["works"]
    if load > BUDGET_OVERRUN * target["budget"]:
        return (
            f"{load:.0f} works scored above the threshold in the last 7 days against a budget of "
            f"{target['budget']:g} a week; run `rsiwatch tune --budget {target['budget']:g}` again"
        )
    return None


def _audit_stale(store: Store, config: Config, now: datetime) -> str | None:
    if not (config.review.audit_per_week > 0 and store.works.count("works")):
        return None
    draws = audit.draws(store)
    last_draw = parse_iso(draws[-1].drawn_at) if draws else None
    first = parse_iso(store.history.first_work_seen())
    if (last_draw is None and first and now - first > timedelta(days=14)) or (
        last_draw and now - last_draw > timedelta(days=14)
    ):
        return "no audit sample drawn in the last two weeks, so the recall estimate is going stale"
    return None
