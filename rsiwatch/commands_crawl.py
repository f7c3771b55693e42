"""Commands that set up and gather: ``init``, ``crawl``, ``status``."""

from __future__ import annotations

import shutil
from dataclasses import asdict
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
from rsiwatch.config import parse_duration
from rsiwatch.crawl_run import SourcePaused, run_crawl
from rsiwatch.lock import LockHeld
from rsiwatch.logs import setup_logging
from rsiwatch.pipeline import SourceOutcome
from rsiwatch.source_health import source_troubles
from rsiwatch.status_report import StatusReport, gather_status
from rsiwatch.status_view import TABLE_COLUMNS, catalog_lines, current_error_lines, table_row, table_title
from rsiwatch.store import INIT_SETTING, Store
from rsiwatch.words import plural

stderr = Console(stderr=True, soft_wrap=True)
# `crawl --wait` without a duration: long enough for a daemon's crawl to finish, short of waiting forever.
DEFAULT_WAIT = "10m"


def load_seed_catalog(store: Store, path: Path) -> int:
    """Load the starting catalog once (``rsiwatch.catalog.load.seed_catalog``), a broken file one line."""
    from rsiwatch.catalog.load import seed_catalog

    try:
        return seed_catalog(store, path)
    except CatalogFormatError as exc:
        raise Failure(str(exc)) from None



def catalog_line(store: Store) -> str:
    """The catalog's size as every command says it: published entries, and the withdrawn ones by name."""
    published, withdrawn = store.catalog.catalog_counts()
    kept_off = f" ({withdrawn} withdrawn, kept off it)" if withdrawn else ""
    return plural(published, "published catalog entry") + kept_off


def _refuse_missing_folders(env: Env) -> None:
    """Before writing anything: a config or database path in a folder that is not there is one line naming
    the folder (SQLite would say only "unable to open database file", after the config was written)."""
    paths = [env.config_path]
    if env.db_override is not None or env.config_path.exists():
        paths.append(env.db_path)  # else the new config's database, which lies beside the config
    for path in paths:
        folder = path.parent
        if not folder.is_dir():
            raise Failure(f"{folder}: no such folder (for {path}); create it first, or give another path")


@cli.command()
@common
def init(env: Env) -> None:
    """Write a commented config.yaml if none exists, create the database, load the seed catalog."""
    _refuse_missing_folders(env)
    if not env.config_path.exists():
        shutil.copyfile(DEFAULT_CONFIG_TEMPLATE, env.config_path)
        click.echo(f"wrote {env.config_path} (edit `contact` and the sources to taste)", err=True)
    else:
        click.echo(f"kept the existing {env.config_path}", err=True)
    config = env.config
    seed = Path(config.catalog_seed) if config.catalog_seed else SEED_CATALOG
    with env.create_store() as store:
        store.sources.ensure_sources(config.source_registrations)
        loaded = load_seed_catalog(store, seed)
        if store.models.setting(INIT_SETTING) is None:  # the daemon starts only on a database init made
            store.models.set_setting(INIT_SETTING, {"by": "init"}, "rsiwatch init")
        click.echo(
            f"database {env.db_path}: {catalog_line(store)}"
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
            f"[green]✓[/green] {outcome.source}: {plural(outcome.items, 'item')}, "
            f"{plural(outcome.new_works, 'new work')}, {plural(outcome.new_candidates, 'new candidate')}",
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
    "wait",
    is_flag=False,
    flag_value=DEFAULT_WAIT,
    default=None,
    metavar="[DURATION]",
    help=f"When the daemon or another crawl holds the database, wait for it (at most DURATION, e.g. 30s or 2h; "
    f"{DEFAULT_WAIT} when not given) instead of exiting 1; exit 1 when the time is up.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each fetch to stderr.")
@common
def crawl_command(
    env: Env, names: tuple[str, ...], everything: bool, force: bool, as_json: bool, wait: str | None, verbose: bool
) -> None:
    """One pass over the sources that are due: fetch, store, score, queue. A failing source is recorded
    and the others go on; the exit status is 1 when every source visited failed (0 when any succeeded or
    none was due), and 1 when the daemon or another crawl holds the database (see --wait)."""
    config = env.config
    setup_logging(config.logging, level=log_level(verbose))
    env.store().close()  # a missing database is said before a lock file is left beside it
    try:
        wait_s = parse_duration(wait) if wait is not None else False
    except ValueError:
        raise click.BadParameter(f"{wait!r}: expected a duration such as 30s, 10m or 2h", param_hint="--wait") from None
    try:
        run = run_crawl(
            config, env.db_path, names=names, everything=everything, force=force, wait=wait_s,
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
            f"crawled {plural(len(report.sources), 'source')} ({len(report.failed)} failed): "
            f"{plural(totals['new_works'], 'new work')}, "
            + plural(totals["new_candidates"] + report.queued_after_retrain + report.queued_discussed, "new candidate")
            + (f" ({report.queued_discussed} for their discussion)" if report.queued_discussed else "")
            + "; "
            + _suggestions(report.submissions_read, report.submissions_unread)
            + f"{plural(run.works, 'work')} in {env.db_path}",
            highlight=False,
        )
    # A source that keeps failing or was paused is said on every crawl, so cron's mail carries it even
    # when the crawl itself did nothing ("no source is due" while every source backs off).
    with env.store() as store:
        states = [store.sources.source_state(s.name) for s in config.sources]
    for trouble in source_troubles(
        [asdict(state) for state in states],
        {s.name: s for s in config.sources},
        config.schedule.warn_after_failures,
    ):
        stderr.print(f"warning: {trouble.line}", highlight=False, markup=False)
    if report.sources and len(report.failed) == len(report.sources):
        raise SystemExit(1)  # every source failed: cron and systemd see it (each failure is on stderr above)


def _suggestions(read: int, unread: int) -> str:
    """The public form's suggestions this crawl took in, when there were any."""
    if not read and not unread:
        return ""
    return (
        f"{plural(read + unread, 'suggestion')} from the public form queued"
        + (f" ({unread} whose page could not be read yet)" if unread else "")
        + "; "
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when a source is paused or has failed schedule.warn_after_failures times in a row "
    "(for cron and monitoring: `rsiwatch status --check || mail ...`).",
)
@common
def status(env: Env, as_json: bool, check: bool) -> None:
    """Per source: last success, last error, consecutive failures, items, candidates, acceptance rate, next run."""
    config = env.config
    now = datetime.now(UTC)
    with env.existing_store() as store:
        report = gather_status(store, config, env.db_path, now)
    if as_json:
        emit_json(report.to_dict())
    else:
        _print_status(report, now)
    if check and report.needs_attention:
        raise SystemExit(1)  # a paused or long-failing source: cron mails, monitoring alerts


def _print_status(report: StatusReport, now: datetime) -> None:
    """The table on stdout, then the current errors and the catalog's lines; the warnings on stderr."""
    summary = report.summary
    print_table(
        TABLE_COLUMNS, [table_row(s, now) for s in report.sources], title=table_title(summary), compact=True
    )
    for line in [*current_error_lines(report.sources, now), *catalog_lines(summary)]:
        click.echo(line)
    for warning in summary["warnings"]:
        stderr.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, markup=True, soft_wrap=True)
