"""``rsiwatch tune``: what each threshold costs and catches, and moving it on evidence.

The figures come from ``rsiwatch.tuning.report`` (the review history weighted by the audit); this module
only picks, saves and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rsiwatch.cli import Env, Failure, cli, common, emit_json
from rsiwatch.files import write_atomically
from rsiwatch.tuning.choose import ThresholdRefused
from rsiwatch.tuning.plot import PLOT_HINT, plot_available
from rsiwatch.tuning.report import TuningReport, build_report
from rsiwatch.tuning.save import ThresholdAsked, TuneOutcome, apply_threshold, budget_line, pct
from rsiwatch.tuning.threshold import CurvePoint
from rsiwatch.words import plural


def _recall_line(report: TuningReport) -> str:
    """What the figures say of recall: unknown, among the reviewed only, or estimated with the audit."""
    est = report.estimate
    if est.recall is None:
        return (
            f"estimated recall: unknown "
            f"({report.review_needs[0] if report.review_needs else 'no accepted work in scope'})"
        )
    if est.low is None:
        return (
            f"recall among reviewed works: {pct(est.recall)} (no audit decisions yet, so no estimate of what is "
            "missed)"
        )
    return (
        f"estimated recall: {pct(est.recall)} (95% CI {pct(est.low)}-{pct(est.high)}): {est.caught} caught, "
        f"{est.found_below} found below the threshold, ~{est.missed:.1f} missed "
        f"(audit: {est.audit_positives} relevant in {est.audited} decisions standing for {est.population:.0f} "
        "works)"
    )


def _print_sources(report: TuningReport) -> None:
    """Per source: its threshold, candidates, accepted share and audited recall."""
    if not report.sources:
        return
    click.echo("")
    for line in source_table(report.sources):
        click.echo(line)


def source_table(sources: list[dict[str, Any]]) -> list[str]:
    """The per-source table's lines, its first column as wide as the longest name (the default config's
    ``arxiv-kernels-compilers`` is 23 characters: a fixed 22 pushed its row out of line)."""
    width = max(22, *(len(s["source"]) for s in sources))
    lines = [f"  {'source':<{width}} threshold  candidates  accepted share  recall (audit, 95% CI)"]
    for s in sources:
        ci = (
            f" ({pct(s['recall_low'])}-{pct(s['recall_high'])}, {s['audited']} audited)"
            if s["recall_low"] is not None
            else ""
        )
        lines.append(
            f"  {s['source']:<{width}} {s['threshold']:9.3f}  {s['candidates']:10d}  "
            f"{pct(s['accepted_share']):>14}  {pct(s['recall'])}{ci}"
        )
    return lines


def _print(report: TuningReport, chosen: CurvePoint | None, saved: bool) -> None:
    echo = click.echo
    when = f"set {report.threshold_set_at[:16]}, " if report.threshold_set_at else ""
    echo(f"threshold {report.threshold:.3f} ({when}{report.threshold_reason or 'no reason given'})")
    echo(f"evidence: {report.scope}")
    echo(_recall_line(report))
    proxy = report.proxy
    if proxy is not None:
        standing = "replaced by the reviews' recall" if report.reviews_suffice else "a proxy until reviews replace it"
        echo(
            f"{proxy.label}: {pct(proxy.recall_at([report.threshold])[0])} of the {len(proxy.scores)} catalog entries "
            f"reach the threshold when scored by a model trained without them ({standing})"
        )
    echo(f"weekly load over {report.span_weeks:.1f} weeks since {report.load_since[:10]}")
    for need in report.needs:
        echo(f"still needed: {need}")
    echo("")
    proxy_head = f"  {proxy.label}" if proxy is not None else ""
    echo(f"  threshold  precision  recall  per week  reviewed  accepted{proxy_head}")
    marks = {report.threshold: "in use"}
    if chosen is not None:
        marks[chosen.threshold] = "saved" if saved else "chosen"
    rows = sorted(
        {p.threshold: p for p in [*report.curve, *([chosen] if chosen else [])]}.values(), key=lambda p: p.threshold
    )
    proxied = (
        dict(zip([p.threshold for p in rows], proxy.recall_at([p.threshold for p in rows]), strict=False))
        if proxy
        else {}
    )
    width = len(proxy_head) - 2
    for p in rows:
        load = "–" if p.per_week is None else f"{p.per_week:8.1f}"
        mark = marks.get(p.threshold, "")
        extra = f"  {pct(proxied[p.threshold]):>{width}}" if proxy is not None else ""
        echo(
            f"{'→' if mark else ' '} {p.threshold:9.3f}  {pct(p.precision):>9}  {pct(p.recall):>6}  {load:>8}  "
            f"{p.reviewed:8d}  {p.accepted:8d}{extra}  {mark}".rstrip()
        )
    _print_sources(report)
    for check in report.drift:
        echo(("WARNING drift: " if check.alert else "drift ok: ") + check.detail, err=check.alert)


def _print_rules(effects: list[dict[str, Any]]) -> None:
    """What each rule did beside the model: works it queued, took out or kept out, and their decisions."""
    if not effects:
        return
    click.echo("")
    click.echo("  rule                                   added  removed  kept out  accepted  rejected")
    for e in effects:
        click.echo(
            f"  {e['rule'][:38]:<38} {e['added']:6d}  {e['removed']:7d}  {e['kept_out']:8d}  "
            f"{e['accepted']:8d}  {e['rejected']:8d}"
        )


@cli.command()
@click.option(
    "--recall",
    "target_recall",
    type=click.FloatRange(0, 1, min_open=True),
    help="Pick the highest threshold whose estimated recall reaches this (e.g. 0.95) and save it.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, min_open=True),
    help="Pick the lowest threshold that keeps the review load within this many works a week (audit and uncertainty "
         "picks included) and save it.",
)
@click.option("--set", "new_threshold", type=click.FloatRange(0, 1), help="Set the threshold by hand and save it.")
@click.option("--reason", default=None, help="Why, kept with the change beside the figures.")
@click.option("--dry-run", is_flag=True, help="Show what --recall/--budget/--set would choose without saving it.")
@click.option(
    "--requeue-days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="When the saved threshold is lower than before, also queue the undecided works first seen in these last days "
         "that now reach it (0: none).",
)
@click.option(
    "--weeks",
    default=8,
    show_default=True,
    type=click.IntRange(1, 520),
    help="Weeks of the stream the weekly load is measured over.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Save a --recall/--budget threshold even when it rests on less than a week of stream or a handful of "
         "decisions.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw precision/recall and the weekly load against the threshold into this PNG.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the figures as JSON to stdout.")
@common
def tune(
    env: Env,
    target_recall: float | None,
    budget: float | None,
    new_threshold: float | None,
    reason: str | None,
    dry_run: bool,
    requeue_days: int,
    weeks: int,
    force: bool,
    plot_path: Path | None,
    as_json: bool,
) -> None:
    """Show precision, recall and weekly load per threshold from the review history, the audit's
    estimate of the recall achieved, and per-source figures; pick and save a threshold by target
    recall (--recall 0.95), weekly budget (--budget 40) or by hand (--set 0.3).

    Before any review, the catalog stands in: each entry scored by a model trained without it (5-fold),
    shown as "catalog recall (5-fold)" beside the weekly load, a proxy until reviews replace it."""
    if sum(v is not None for v in (target_recall, budget, new_threshold)) > 1:
        raise click.UsageError("give only one of --recall, --budget and --set")
    if plot_path is not None and not plot_available():
        raise Failure(f"--plot {plot_path}: {PLOT_HINT}")  # said before anything is computed or saved
    config = env.config
    asked = ThresholdAsked(
        recall=target_recall, budget=budget, value=new_threshold, note=reason, dry_run=dry_run, force=force,
        requeue_days=requeue_days,
    )
    with env.store() as store:
        report = build_report(store, config, weeks=weeks, proxy=True)
        rule_effects = store.rule_matches.effects()
        try:
            outcome = apply_threshold(store, config, report, asked)
        except ThresholdRefused as exc:
            raise Failure(str(exc)) from None
    chosen = outcome.chosen
    if plot_path is not None:
        _write_plot(plot_path, report, chosen, *budget_line(budget, config.review))
    if as_json:
        out = report.to_dict()
        out["chosen"] = outcome.chosen_json()
        out["plot"] = str(plot_path) if plot_path else None
        out["requeued"] = len(outcome.requeued)
        out["rules"] = rule_effects
        emit_json(out)
        return
    _print(report, chosen, outcome.saved is not None)
    _print_rules(rule_effects)
    _print_saved(outcome, requeue_days)
    if plot_path:
        click.echo(f"wrote {plot_path}", err=True)


def _write_plot(
    path: Path, report: TuningReport, chosen: CurvePoint | None, budget: float | None, budget_label: str | None
) -> None:
    from rsiwatch.tuning.plot import report_png

    png = report_png(report, chosen=chosen.threshold if chosen else None, budget=budget, budget_label=budget_label)
    try:
        write_atomically(path, png)
    except OSError as exc:
        raise Failure(f"{path}: cannot write the plot: {exc.strerror}") from None


def _print_saved(outcome: TuneOutcome, requeue_days: int) -> None:
    """The threshold saved and the works it queued, on stderr."""
    if not (outcome.saved and outcome.chosen is not None):
        return
    click.echo(
        f"saved threshold {outcome.chosen.threshold:.4f}: {outcome.saved} (applies to works scored from now on)",
        err=True,
    )
    if outcome.requeued:
        click.echo(
            f"queued {plural(len(outcome.requeued), 'undecided work')} first seen in the last "
            f"{plural(requeue_days, 'day')} that now reach it",
            err=True,
        )
