"""Commands that set up and gather: ``init``, ``crawl``, ``status``."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from rsiwatch.catalog.formats import CatalogFormatError
from rsiwatch.cli import (
    DEFAULT_CONFIG_TEMPLATE,
    SEED_CATALOG,
    Env,
    Failure,
    cli,
    common,
    emit_json,
    log_level,
    print_table,
)
from rsiwatch.config import Source
from rsiwatch.crawl_run import SourcePaused, run_crawl
from rsiwatch.lock import LockHeld
from rsiwatch.logs import setup_logging
from rsiwatch.pipeline import SourceOutcome, next_due
from rsiwatch.scoring import effective_threshold
from rsiwatch.store import RETRAIN_SETTING, Store, iso
from rsiwatch.tuning.report import health_warnings

stderr = Console(stderr=True, soft_wrap=True)


def load_seed_catalog(store: Store, path: Path) -> int:
    """Load the starting catalog once (``rsiwatch.catalog.load.seed_catalog``), a broken file one line."""
    from rsiwatch.catalog.load import seed_catalog

    try:
        return seed_catalog(store, path)
    except CatalogFormatError as exc:
        raise Failure(str(exc)) from None


@cli.command()
@common
def init(env: Env) -> None:
    """Write a commented config.yaml if none exists, create the database, load the seed catalog."""
    if not env.config_path.exists():
        shutil.copyfile(DEFAULT_CONFIG_TEMPLATE, env.config_path)
        click.echo(f"wrote {env.config_path} (edit `contact` and the sources to taste)", err=True)
    else:
        click.echo(f"kept the existing {env.config_path}", err=True)
    config = env.config
    seed = Path(config.catalog_seed) if config.catalog_seed else SEED_CATALOG
    with env.store() as store:
        store.sources.ensure_sources(config.source_registrations)
        loaded = load_seed_catalog(store, seed)
        click.echo(
            f"database {env.db_path}: {store.works.count('catalog')} catalog entries"
            + (f" ({loaded} loaded from {seed.name})" if loaded else ""),
            err=True,
        )


def _print_outcome(outcome: SourceOutcome) -> None:
    if not outcome.ok:
        stderr.print(f"[red]✗[/red] {outcome.source}: {outcome.error}", highlight=False, markup=True)
    elif outcome.not_modified:
        stderr.print(f"[dim]=[/dim] {outcome.source}: not modified", highlight=False)
    else:
        stderr.print(
            f"[green]✓[/green] {outcome.source}: {outcome.items} items, {outcome.new_works} new works, "
            f"{outcome.new_candidates} new candidates",
            highlight=False,
        )
    for warning in outcome.warnings:
        stderr.print(f"  [yellow]![/yellow] {warning}", highlight=False)


@cli.command(name="crawl")
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable), due or not.")
@click.option("--all", "everything", is_flag=True, help="Crawl every active source, due or not.")
@click.option("--force", is_flag=True, help="With --source: crawl it even when it is paused.")
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON to stdout.")
@click.option(
    "--wait",
    is_flag=True,
    help="When the daemon or another crawl holds the database, wait for it instead of exiting 1.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each fetch to stderr.")
@common
def crawl_command(
    env: Env, names: tuple[str, ...], everything: bool, force: bool, as_json: bool, wait: bool, verbose: bool
) -> None:
    """One pass over the sources that are due: fetch, store, score, queue. A failing source is recorded
    and the others go on; the exit status is 1 when every source visited failed (0 when any succeeded or
    none was due), and 1 when the daemon or another crawl holds the database (see --wait)."""
    config = env.config
    setup_logging(config.logging, level=log_level(verbose))
    try:
        run = run_crawl(
            config, env.db_path, names=names, everything=everything, force=force, wait=wait,
            on_wait=lambda holder: stderr.print(f"waiting: {holder}", highlight=False),
            on_source=_print_outcome,
            on_nothing_due=lambda: stderr.print("no source is due (use --all to crawl them anyway)"),
            open_store=env.store,
        )
    except (LockHeld, SourcePaused, CatalogFormatError) as exc:
        raise Failure(str(exc)) from None
    report = run.report
    if as_json:
        emit_json(report.to_dict())
    else:
        totals = report.totals()
        stderr.print(
            f"crawled {len(report.sources)} sources ({len(report.failed)} failed): "
            f"{totals['new_works']} new works, "
            f"{totals['new_candidates'] + report.queued_after_retrain} new candidates; "
            + _suggestions(report.submissions_read, report.submissions_unread)
            + f"{run.works} works in {env.db_path}",
            highlight=False,
        )
    if report.sources and len(report.failed) == len(report.sources):
        raise SystemExit(1)  # every source failed: cron and systemd see it (each failure is on stderr above)


def _suggestions(read: int, unread: int) -> str:
    """The public form's suggestions this crawl took in, when there were any."""
    if not read and not unread:
        return ""
    return (
        f"{read + unread} suggestions from the public form queued"
        + (f" ({unread} whose page could not be read yet)" if unread else "")
        + "; "
    )


def source_state(source: Source | None, paused: bool) -> str:
    """What ``status`` says of a source: removed from the config, disabled there, paused, or active."""
    if source is None:
        return "removed"
    if not source.enabled:
        return "disabled"
    return "paused" if paused else "active"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def status(env: Env, as_json: bool) -> None:
    """Per source: last success, last error, consecutive failures, items, candidates, acceptance rate, next run."""
    config = env.config
    with env.existing_store() as store:
        store.sources.ensure_sources(config.source_registrations)
        configured = {s.name: s for s in config.sources}
        rows = []
        for row in store.sources.source_report():
            source = configured.get(row["name"])
            due = next_due(source, store) if source else None
            rows.append(
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "configured": source is not None,
                    "state": source_state(source, bool(row["paused"])),
                    "last_success": row["last_success"],
                    "last_error": row["last_error"],
                    "last_error_at": row["last_error_at"],
                    "consecutive_failures": row["consecutive_failures"],
                    "paused": bool(row["paused"]) and source is not None,  # a removed source is not paused
                    "paused_reason": row["paused_reason"],
                    "items": row["items"],
                    "candidates": row["candidates"],
                    "acceptance_rate": row["acceptance_rate"],
                    "next_run": iso(max(due, datetime.now(UTC))) if due else None,
                }
            )
        summary = {
            "database": str(env.db_path),
            "works": store.works.count("works"),
            "catalog": store.works.count("catalog"),
            "decisions": store.works.count("decisions"),
            "queue": store.queue.review_queue(status="new", limit=1)[1].count,  # a COUNT, not every row
            "threshold": effective_threshold(store, config),
            "model_version": (store.models.active_model() or (None,))[0],
            "retrain_last": store.models.setting(RETRAIN_SETTING),
            "warnings": health_warnings(store, config),
            "catalog_disagreements": len(store.catalog.catalog_disagreements()),
        }
    if as_json:
        emit_json({"summary": summary, "sources": {r["name"]: r for r in rows}})
        return
    print_table(
        ("source", "last success", "failures", "last error", "items", "cand.", "accept", "next run"),
        [
            (
                r["name"] + ("" if r["state"] == "active" else f" ({r['state']})"),
                r["last_success"] or "never",
                str(r["consecutive_failures"]),
                r["last_error"] or "",
                str(r["items"]),
                str(r["candidates"]),
                "" if r["acceptance_rate"] is None else f"{r['acceptance_rate']:.0%}",
                r["next_run"] or r["state"],
            )
            for r in rows
        ],
        title=f"rsiwatch: {summary['works']} works, {summary['queue']} in the queue, threshold {summary['threshold']}",
    )
    disagreements = summary["catalog_disagreements"]
    click.echo(
        f"catalog: {summary['catalog']} entries, "
        + (
            f"{disagreements} disagreements with the decisions (see `rsiwatch doctor`)"
            if disagreements
            else "agrees with the decisions"
        )
    )
    for warning in summary["warnings"]:
        stderr.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
