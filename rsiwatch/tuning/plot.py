"""The tuning picture: precision and recall against the threshold above, the weekly load below.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global state), so the review page
can render it from a request thread as safely as ``rsiwatch tune --plot`` does from the command line.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rsiwatch.tuning.threshold import CurvePoint, RecallEstimate, curve

if TYPE_CHECKING:
    from rsiwatch.tuning.report import TuningReport

FINE_GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))  # the curves are steps: draw them finely


PLOT_HINT = "drawing needs matplotlib, which README's install leaves out: pip install 'rsiwatch[plot]'"


def plot_available() -> bool:
    """Whether matplotlib can be imported here (it is an optional extra, not a dependency)."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        return False
    return True


def plot_png_bytes(
    points: Sequence[CurvePoint],
    *,
    current: float,
    chosen: float | None = None,
    estimate: RecallEstimate | None = None,
    budget: float | None = None,
    budget_label: str | None = None,
    proxy: tuple[str, Sequence[float]] | None = None,
    title: str = "rsiwatch: what each threshold costs and catches",
) -> bytes:
    """A PNG of the curve; marks the threshold in use, a newly chosen one, the audit estimate, a budget.

    ``budget`` is in works above the threshold a week (what the lower panel counts), so pass the net
    budget (``rsiwatch.tuning.threshold.net_budget``) and say so in ``budget_label``.  ``proxy`` is
    (label, recall per point of ``points``): the catalog's out-of-fold recall, drawn dashed as a proxy.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pts = sorted(points, key=lambda p: p.threshold)
    fig = Figure(figsize=(8.5, 7.5), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    fig.suptitle(title, fontsize=13)

    _draw_shares(top, pts, points, current, estimate, proxy)
    _draw_load(bottom, pts, budget, budget_label)

    for ax in (top, bottom):
        ax.axvline(current, color="black", ls="--", lw=1.4, label=f"in use: {current:.3f}")
        if chosen is not None and abs(chosen - current) > 1e-12:
            ax.axvline(chosen, color="#ff7f0e", ls="-", lw=2.0, label=f"chosen: {chosen:.3f}")
        ax.tick_params(labelsize=10)
        ax.legend(loc="best", fontsize=9, framealpha=0.9)
    bottom.set_xlim(0, 1)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _draw_shares(
    top: Any, pts: Sequence[CurvePoint], points: Sequence[CurvePoint], current: float,
    estimate: RecallEstimate | None, proxy: tuple[str, Sequence[float]] | None,
) -> None:
    """The upper panel: precision and recall (and the proxy, the audit estimate) against the threshold."""
    x = [p.threshold for p in pts]
    prec = [p.precision for p in pts]
    rec = [p.recall for p in pts]
    top.plot(x, [float("nan") if v is None else v for v in prec], color="#1f77b4", lw=2.2, label="precision")
    top.plot(x, [float("nan") if v is None else v for v in rec], color="#d62728", lw=2.2, label="recall")
    if proxy is not None:
        label, values = proxy
        top.plot(x, [values[i] for i in sorted(range(len(points)), key=lambda i: points[i].threshold)],
                 color="#9467bd", lw=2.0, ls="--", label=f"{label}: a proxy until reviews replace it")
    if estimate is not None and estimate.recall is not None and estimate.low is not None and estimate.high is not None:
        top.errorbar(
            [current], [estimate.recall], yerr=[[estimate.recall - estimate.low], [estimate.high - estimate.recall]],
            fmt="D", color="#7f0000", capsize=6, ms=7, lw=1.8,
            label=f"audit estimate of recall {estimate.recall:.0%} (95% CI {estimate.low:.0%}-{estimate.high:.0%})",
        )
    top.set_ylim(-0.02, 1.05)
    top.set_ylabel("share", fontsize=11)
    top.grid(True, alpha=0.3)


def _draw_load(
    bottom: Any, pts: Sequence[CurvePoint], budget: float | None, budget_label: str | None,
) -> None:
    """The lower panel: works a week at or above each threshold, and the budget."""
    from matplotlib.ticker import FuncFormatter

    x = [p.threshold for p in pts]
    load = [float("nan") if p.per_week is None else p.per_week for p in pts]
    bottom.plot(x, load, color="#2ca02c", lw=2.2, label="candidates per week")
    bottom.fill_between(x, load, color="#2ca02c", alpha=0.12)
    if budget is not None:
        bottom.axhline(budget, color="#555555", ls=":", lw=1.6, label=budget_label or f"budget {budget:g} a week")
    positive = [v for v in load if not math.isnan(v) and v > 0]
    if positive and max(positive) / min(positive) > 50:  # a long tail: keep the small loads readable
        bottom.set_yscale("symlog", linthresh=1.0)
        bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("works a week at or above", fontsize=11)
    bottom.set_xlabel("threshold (score 0..1: 0.25 = top 10% of the stream, 0.5 = top 1%)", fontsize=11)
    bottom.grid(True, alpha=0.3, which="both")


def report_png(
    report: TuningReport, *, chosen: float | None = None, budget: float | None = None, budget_label: str | None = None
) -> bytes:
    """The picture for a ``rsiwatch.tuning.report.TuningReport`` (what ``tune --plot`` and the stats view draw)."""
    points = curve(
        report.history, sorted({*FINE_GRID, report.threshold, *([chosen] if chosen is not None else [])}),
        stream_scores=report.stream_scores, span_weeks=report.span_weeks,
    )
    proxy = None
    if report.proxy is not None:
        proxy = (report.proxy.label, report.proxy.recall_at([p.threshold for p in points]))
    return plot_png_bytes(
        points, current=report.threshold, chosen=chosen, estimate=report.estimate, budget=budget,
        budget_label=budget_label, proxy=proxy,
    )
