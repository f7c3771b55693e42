"""Which threshold ``rsiwatch tune`` saves for a recall target, a weekly budget or a value given, and when it
refuses: a threshold measured on too little (less than a week of stream for a budget, fewer than
``MIN_DECISIONS`` decisions or no accept for a recall) is refused unless forced, saying how little there is."""

from __future__ import annotations

from typing import Any

from rsiwatch.config import Review
from rsiwatch.tuning.report import MIN_DECISIONS, TuningReport
from rsiwatch.tuning.threshold import net_budget, threshold_for_budget, threshold_for_recall


class ThresholdRefused(Exception):
    """No threshold is saved: one line saying why, and what would help."""


def _proxy_hint(report: TuningReport, recall: float) -> str:
    """Where the catalog proxy would put a recall target, for a refusal to act on."""
    if report.proxy is None:
        return ""
    grid = [p.threshold for p in report.curve]
    reached = [t for t, r in zip(grid, report.proxy.recall_at(grid), strict=False) if r >= recall - 1e-9]
    if not reached:
        return ""
    t = max(reached)
    return f"; {report.proxy.label}, a proxy, reaches {recall:.0%} at {t:.2f}: `rsiwatch tune --set {t:.2f}` uses it"


def choose_threshold(
    report: TuningReport, review: Review, recall: float | None, budget: float | None, value: float | None, force: bool
) -> tuple[float, dict[str, Any]] | None:
    """The threshold asked for and the target to remember, or None when nothing is to change.

    Without ``force``, a threshold measured on too little (less than a week of stream for a budget,
    fewer than MIN_DECISIONS decisions or no accept for a recall) is refused, saying how little there is.
    """
    if recall is not None:
        chosen = threshold_for_recall(report.history, recall)
        if chosen is None or (not force and not report.reviews_suffice):
            short = f"{len(report.history)} decisions ({report.accepted} accepted) in scope"
            why = "; ".join(report.review_needs) or "the decisions hold no accepted work"
            more = "" if chosen is None else f" (fewer than {MIN_DECISIONS} with an accept; --force saves it anyway)"
            raise ThresholdRefused(
                f"cannot pick a threshold for recall {recall:g} from {short}{more}: {why}{_proxy_hint(report, recall)}"
            )
        return chosen, {"recall": recall}
    if budget is not None:
        net = net_budget(budget, review.audit_per_week, review.uncertain_share)
        if report.stream_scores and report.span_weeks < 1 and not force:
            raise ThresholdRefused(
                f"the weekly load would be measured on {report.span_weeks * 7:.1f} days of stream "
                f"({report.stream_works} works), less than a week: crawl for a week first, or pass --force"
            )
        chosen = threshold_for_budget(report.stream_scores, report.span_weeks, net)
        if chosen is None:
            raise ThresholdRefused(
                f"a budget of {budget:g} a week leaves {net:.1f} for works above the threshold (after "
                f"{review.audit_per_week} audit works and the {review.uncertain_share:.0%} uncertainty share), "
                "which not even the best-scoring work of the window fits; raise --budget"
                if report.stream_scores
                else "no scored works yet: crawl first, then tune by budget"
            )
        return chosen, {"budget": budget}
    if value is not None:
        return value, {}
    return None
