"""Saving the threshold ``rsiwatch tune`` picks: the pick (``rsiwatch.tuning.choose``, which refuses one from
thin data), its figures, the reason kept with it, and the recent works a lowered threshold lets in.

``tune`` parses its options into this and prints what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rsiwatch.config import Config, Review
from rsiwatch.scoring import explain_works
from rsiwatch.store import THRESHOLD_SETTING, Store, iso_ago
from rsiwatch.tuning.choose import choose_threshold
from rsiwatch.tuning.report import TARGET_SETTING, TuningReport
from rsiwatch.tuning.threshold import CAUGHT, CurvePoint, curve, net_budget


@dataclass(frozen=True, kw_only=True)
class ThresholdAsked:
    """What ``tune`` was asked to do with the threshold (at most one of recall, budget and value)."""

    recall: float | None = None
    budget: float | None = None
    value: float | None = None
    note: str | None = None  # --reason: why, kept with the change beside the figures
    dry_run: bool = False
    force: bool = False  # save a --recall/--budget pick even from thin data
    requeue_days: int = 0


@dataclass(frozen=True)
class TuneOutcome:
    chosen: CurvePoint | None = None  # the threshold picked, with its figures
    saved: str | None = None  # the reason recorded with it, when it was saved
    requeued: list[str] = field(default_factory=list)  # works queued because the threshold went down

    def chosen_json(self) -> dict[str, Any] | None:
        """``tune --json``'s ``chosen``: the pick's figures, whether it was saved, and the reason kept."""
        if self.chosen is None:
            return None
        return {**self.chosen.to_dict(), "saved": self.saved is not None, "reason": self.saved}


def pct(value: float | None) -> str:
    """A share as ``tune`` writes it: a whole percent, or a dash when unknown."""
    return "–" if value is None else f"{value:.0%}"


def threshold_reason(target: dict[str, Any], point: CurvePoint, note: str | None) -> str:
    """The reason saved with a threshold: what was asked, the figures it rests on, and the user's note."""
    asked = (
        f"target recall {target['recall']:g}"
        if "recall" in target
        else f"budget {target['budget']:g} a week"
        if "budget" in target
        else "set by hand"
    )
    figures = f"precision {pct(point.precision)}, recall {pct(point.recall)}, " + (
        f"{point.per_week:.1f} a week" if point.per_week is not None else "load unknown"
    )
    return f"rsiwatch tune: {asked}; {figures}" + (f"; {note}" if note else "")


def requeue_above(store: Store, threshold: float, days: int) -> list[str]:
    """Queue the recent undecided works a lowered threshold now lets in, with their why-terms."""
    queued = store.history.queue_works(store.history.unqueued_at_or_above(threshold, iso_ago(days * 86400)), CAUGHT)
    explain_works(store, queued)
    return queued


def apply_threshold(store: Store, config: Config, report: TuningReport, asked: ThresholdAsked) -> TuneOutcome:
    """Pick the threshold asked for and, unless a dry run, save it with its target and reason; a lowered
    threshold also queues the works of the last ``requeue_days`` that now reach it.  A dry run is never
    refused for thin data (it saves nothing); ``ThresholdRefused`` says why a pick was refused."""
    picked = choose_threshold(
        report, config.review, asked.recall, asked.budget, asked.value, asked.force or asked.dry_run
    )
    if picked is None:
        return TuneOutcome()
    value, target = picked
    chosen = curve(report.history, [value], stream_scores=report.stream_scores, span_weeks=report.span_weeks)[0]
    if asked.dry_run:
        return TuneOutcome(chosen)
    why = threshold_reason(target, chosen, asked.note)
    store.models.set_setting(THRESHOLD_SETTING, value, why)
    store.models.set_setting(TARGET_SETTING, target, why)
    lowered = value < report.threshold and asked.requeue_days
    return TuneOutcome(chosen, why, requeue_above(store, value, asked.requeue_days) if lowered else [])


def budget_line(budget: float | None, review: Review) -> tuple[float | None, str | None]:
    """Where the plot draws a weekly budget, and its label: the net left above the threshold once the
    audit and the uncertainty picks are taken out (None, None without a budget)."""
    if budget is None:
        return None, None
    net = net_budget(budget, review.audit_per_week, review.uncertain_share)
    return net, f"budget {budget:g} a week = {net:.1f} above the threshold + audit + uncertain"
