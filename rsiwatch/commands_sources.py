"""Where items come from: the ``sources`` group (list, add, remove, test, pause, resume, OPML),
``backfill`` (arXiv's past over OAI-PMH) and ``submit`` (one page a person sends in)."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crawler.errors import CrawlError
from crawler.http import PoliteClient
from crawler.items import SourceResult, Validators
from crawler.link import link_by_references
from crawler.oai_pmh import DEFAULT_OAI_URL, METADATA_PREFIXES, category_problem
from crawler.parsing import parse_fetched
from crawler.settings import SOURCE_KINDS
from crawler.sources import collect, collect_feed, parse_spec, with_parsed
from crawler.stories import looks_like_newsletter, stories_per_issue
from rsiwatch.backfill import BackfillPlan, Progress as PageProgress, run_backfill
from rsiwatch.cli import EXISTING_FILE, BadOption, Env, Failure, cli, common, emit_json, log_level, parse_day
from rsiwatch.config import Selectors, Source, curator_name
from rsiwatch.config_file import ConfigFileError, read_config_text, write_config_text
from rsiwatch.files import write_atomically
from rsiwatch.intake import take_submission
from rsiwatch.lock import LockHeld, take_lock
from rsiwatch.logs import setup_logging
from rsiwatch.polite import polite_client
from rsiwatch.source_add import SourceOptionError, SourceRefused, SourceRequest, add_source, source_entry
from rsiwatch.source_list import (
    add_sources_text,
    export_opml,
    opml_entries,
    read_opml,
    remove_source_text,
    slug,
)
from rsiwatch.source_probe import PROBED_KINDS, guarded_client, probe
from rsiwatch.words import plural

stderr = Console(stderr=True)


def _config_text(env: Env) -> str:
    path = env.existing_config_path()  # only `init` writes a config from nothing
    _ = env.config  # validates the current file first (exit 2 on a broken one)
    try:
        return read_config_text(path)
    except ConfigFileError as exc:
        raise Failure(str(exc)) from None


def _write_config(env: Env, text: str) -> None:
    try:
        write_config_text(env.config_path, text)
    except ConfigFileError as exc:
        raise Failure(str(exc)) from None


# ---- the sources group ---------------------------------------------------------------------------


@cli.group()
def sources() -> None:
    """The configured sources: list, add, remove, test, pause, resume; OPML import and export."""


@sources.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def sources_list(env: Env, as_json: bool) -> None:
    """The sources in the config with their state."""
    config = env.config
    with env.store() as store:
        rows = []
        for source in config.sources:
            state = store.sources.source_state(source.name)
            rows.append({"name": source.name, "kind": source.kind, "url": source.url or source.endpoint,
                         "every": source.cron_expression or source.every, "enabled": source.enabled,
                         "paused": state.paused, "paused_reason": state.paused_reason})
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        flag = f" (paused: {r['paused_reason'] or 'by hand'})" if r["paused"] else ""
        click.echo(f"{r['name']:<24} {r['kind']:<10} {r['every'] or '1d':<8} {r['url']}{flag}")


@sources.command()
@click.argument("name")
@common
def resume(env: Env, name: str) -> None:
    """Bring a paused source back (its failure count starts again from zero)."""
    with env.store() as store:
        env.config.source(name)
        store.sources.ensure_sources(env.config.source_registrations)
        store.sources.set_paused(name, False)
    click.echo(f"resumed {name}", err=True)


@sources.command()
@click.argument("name")
@click.option("--reason", default="paused by hand", show_default=True, help="Shown in `rsiwatch status`.")
@common
def pause(env: Env, name: str, reason: str) -> None:
    """Pause a source: no fetches until `rsiwatch sources resume NAME`."""
    with env.store() as store:
        env.config.source(name)
        store.sources.ensure_sources(env.config.source_registrations)
        store.sources.set_paused(name, True, reason)
    click.echo(f"paused {name}", err=True)


def _selectors(select: tuple[str, ...]) -> dict[str, str]:
    selectors: dict[str, str] = {}
    for spec in select:
        field, sep, css = spec.partition("=")
        if not sep or field not in Selectors.model_fields:
            raise click.BadParameter(
                f"{spec!r}: expected FIELD=CSS with FIELD one of {', '.join(Selectors.model_fields)}",
                param_hint="--select",
            )
        selectors[field] = css
    return selectors


def _say(notes: list[str]) -> None:
    for note in notes:
        stderr.print(f"  {note}", highlight=False, markup=False, soft_wrap=True)


KIND_HELP = (
    "How to read the source. Default for a URL: a feed is a feed, a page that names its feed "
    "(<link rel=alternate>) becomes that feed, another page html."
)
SPLIT_HELP = (
    "feed: cut each newsletter issue into its stories (default: on when the feed's items look like newsletter issues)."
)


@sources.command(name="add")
@click.argument("name")
@click.option("--kind", type=click.Choice(SOURCE_KINDS), help=KIND_HELP)
@click.option("--url", help="The feed, page or endpoint (required except for arxiv_api).")
@click.option("--every", help="How often: 30m, 6h, 1d, or a crontab expression.")
@click.option("--query", help="arxiv_api: the search query; oai_pmh: the categories (cs.LG cs.AI).")
@click.option("--threshold", type=click.FloatRange(0, 1), help="A threshold of its own for this source.")
@click.option("--split-stories/--no-split-stories", default=None, help=SPLIT_HELP)
@click.option("--follow-links", is_flag=True, help="html: read each item's page for its summary and date.")
@click.option(
    "--select",
    "select",
    multiple=True,
    metavar="FIELD=CSS",
    help="html: a selector, e.g. item=article, title=h3, link=a@href, summary=p, date=time (repeatable).",
)
@common
def sources_add(
    env: Env,
    name: str,
    kind: str | None,
    url: str | None,
    every: str | None,
    query: str | None,
    threshold: float | None,
    split_stories: bool | None,
    follow_links: bool,
    select: tuple[str, ...],
) -> None:
    """Add a source to config.yaml (one line at the end of `sources:`, comments kept).

    Given a URL without --kind (or with --kind feed), it is fetched once to see what it is: a page that
    names its feed is read through that feed, a newsletter's feed is split into stories."""
    request = SourceRequest(
        name=name, kind=kind, url=url, every=every, query=query, threshold=threshold,
        split_stories=split_stories, follow_links=follow_links, selectors=_selectors(select),
    )
    try:
        # source_entry first: a missing --url is refused before the config file is read
        source_entry(request)
        added = add_source(env.config, _config_text(env), env.config_path, request)
    except SourceOptionError as exc:
        raise click.BadParameter(str(exc), param_hint=exc.option) from None
    except SourceRefused as exc:
        raise Failure(str(exc)) from None
    text, entry, notes = added.text, added.entry, added.notes
    _write_config(env, text)
    click.echo(
        f"added {name} ({entry['kind']}{', split_stories' if entry.get('split_stories') else ''}) "
        f"{entry.get('url') or entry.get('query')} to {env.config_path} (a running daemon follows within "
        f"seconds)",
        err=True,
    )
    _say(notes)


@sources.command(name="remove")
@click.argument("name")
@common
def sources_remove(env: Env, name: str) -> None:
    """Remove a source from config.yaml (its sightings and history stay in the database)."""
    text = remove_source_text(_config_text(env), name, env.config_path)
    _write_config(env, text)
    click.echo(f"removed {name} from {env.config_path} (a running daemon follows within seconds)", err=True)


def _test_source(
    env: Env, target: str, kind: str | None, selectors: dict[str, str], split_stories: bool | None, follow_links: bool
) -> tuple[Source, PoliteClient, bool]:
    """The source ``sources test`` reads, the client to read it with, and whether it was given as a URL
    (then the client is guarded: the URL and the feed a page names come from outside the config)."""
    config = env.config
    if not re.match(r"^https?://", target, re.IGNORECASE):
        if kind or selectors or split_stories is not None or follow_links:
            raise click.BadParameter(
                "--kind, --select, --split-stories and --follow-links go with a URL; "
                f"{target!r} is a configured source",
                param_hint="NAME_OR_URL",
            )
        return (
            config.source(target),
            PoliteClient(config.http.settings, config.politeness.settings, config.contact),
            False,
        )
    if kind is None and selectors:
        kind = "html"
    entry: dict[str, Any] = {
        "name": slug(urlsplit(target).hostname or "source"),
        "kind": kind or "feed",
        "url": target,
        "split_stories": bool(split_stories),
        "follow_links": follow_links,
    }
    if selectors:
        entry["select"] = selectors
    try:
        Source.model_validate(entry)
    except ValidationError as exc:
        raise click.BadParameter(
            exc.errors()[0]["msg"].removeprefix("Value error, "), param_hint="NAME_OR_URL"
        ) from None
    return Source.model_validate(entry), guarded_client(config), True


def _read_url(
    client: PoliteClient, source: Source, url: str, kind: str | None, split_stories: bool | None
) -> tuple[Source, SourceResult, list[str]]:
    """A URL read as `sources add` would add it: (the source as settled by the probe, its items, notes)."""
    probed = probe(client, url, kind, split_stories)
    source = source.model_copy(update=probed.fields)
    if probed.found is None:  # a page without a feed, read as html
        return source, collect(source.spec, client, Validators()), probed.notes
    fetched = probed.found.fetched  # the feed was fetched to settle it: parse that response
    result = SourceResult(requests=probed.found.requests, bytes_read=len(fetched.body))
    return (
        source,
        with_parsed(result, parse_fetched(parse_spec(source.spec), fetched.body, fetched.headers, fetched.url)),
        probed.notes,
    )


def _read_source(client: PoliteClient, source: Source) -> tuple[SourceResult, list[int]]:
    """A configured source's pass, and the stories per issue of a feed read whole (for the newsletter hint)."""
    if source.kind == "feed" and not source.split_stories:  # the same one request, read twice
        result, fetched = collect_feed(source.spec, client, Validators())
        return result, stories_per_issue(fetched.body, fetched.headers, fetched.url) if fetched is not None else []
    return collect(source.spec, client, Validators()), []


@sources.command(name="test")
@click.argument("target", metavar="NAME_OR_URL")
@click.option("--kind", type=click.Choice(SOURCE_KINDS), help=KIND_HELP + " (with a URL)")
@click.option(
    "--select",
    "select",
    multiple=True,
    metavar="FIELD=CSS",
    help="html: a selector, as for `sources add` (with a URL).",
)
@click.option("--split-stories/--no-split-stories", default=None, help=SPLIT_HELP + " (with a URL)")
@click.option("--follow-links", is_flag=True, help="html: read each item's page (with a URL).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Show at most this many items."
)
@click.option("--json", "as_json", is_flag=True, help="Write the items as JSON to stdout.")
@common
def sources_test(
    env: Env,
    target: str,
    kind: str | None,
    select: tuple[str, ...],
    split_stories: bool | None,
    follow_links: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Fetch and parse a source once and print what would be stored; stores nothing.

    NAME_OR_URL: a configured source, or a URL to try before adding it (a feed, or a page: the feed it
    names is used, else the page is read as html)."""
    source, client, from_url = _test_source(env, target, kind, _selectors(select), split_stories, follow_links)
    stories: list[int] = []
    notes: list[str] = []
    try:
        with client:
            if from_url and source.kind != "html" and kind in PROBED_KINDS:
                source, result, notes = _read_url(client, source, target, kind, split_stories)
            else:
                result, stories = _read_source(client, source)
    except CrawlError as exc:
        raise Failure(str(exc)) from None
    name = source.name
    items = [link_by_references(i) for i in result.items]
    hint = None
    if looks_like_newsletter(stories):
        hint = (
            f"its items look like newsletter issues (up to {max(stories)} stories each); 'split_stories: true' "
            "in its config entry reads them story by story"
        )
    if as_json:
        emit_json(
            {
                "source": name,
                "kind": source.kind,
                "url": source.url,
                "split_stories": source.split_stories,
                "items": [asdict(i) for i in items[:limit]],
                "count": len(items),
                "warnings": result.warnings,
                "hint": hint,
                "notes": notes,
            }
        )
        return
    stderr.print(f"{name}: {plural(len(items), 'item')}, {plural(result.requests, 'request')}, "
                 f"{plural(result.bytes_read, 'byte')}", highlight=False)
    _say(notes)
    for warning in result.warnings:
        stderr.print(f"  ! {warning}", highlight=False, markup=False)
    if hint:
        stderr.print(f"  hint: {hint}", highlight=False, markup=False)
    for item in items[:limit]:
        click.echo(
            f"{item.canonical_id}\n  {item.title}\n  {item.url}"
            + (f"  (via {item.via})" if item.via else "")
            + (f"\n  {item.published}" if item.published else "")
            + (f"\n  {item.summary[:160]}" if item.summary else "")
        )


@sources.command(name="import-opml")
@click.argument("file", type=EXISTING_FILE)
@click.option("--every", help="Schedule for the imported feeds (default: the config's default, daily).")
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
@common
def import_opml(env: Env, file: Path, every: str | None, dry_run: bool) -> None:
    """Add the feeds of an OPML subscription list (from any feed reader) as sources; known URLs are skipped."""
    found = read_opml(file.read_bytes(), file)
    entries, skipped = opml_entries(found, env.config, every)
    if not dry_run and entries:
        _write_config(env, add_sources_text(_config_text(env), entries, env.config_path))
    for entry in entries:
        click.echo(f"{'would add' if dry_run else 'added'} {entry['name']} ({entry['kind']}) {entry['url']}", err=True)
    click.echo(f"{plural(len(entries), 'feed')} {'to add' if dry_run else 'added'}, {len(skipped)} already configured",
               err=True)


@sources.command(name="export-opml")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
@common
def export_opml_command(env: Env, output: Path | None) -> None:
    """The feed sources as OPML, for any feed reader."""
    text = export_opml(env.config)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {output}", err=True)


# ---- backfill --------------------------------------------------------------------------------------


@cli.command()
@click.option("--from", "from_date", required=True, help="First day to harvest (YYYY-MM-DD, by OAI datestamp).")
@click.option("--until", help="Last day to harvest (YYYY-MM-DD); default: up to now.")
@click.option(
    "--categories",
    multiple=True,
    metavar="CAT...",
    help="arXiv categories to keep, e.g. --categories cs.LG cs.AI (the sets they belong to are harvested).",
)
@click.option("--url", "endpoint", default=DEFAULT_OAI_URL, show_default=True, help="The OAI-PMH endpoint.")
@click.option(
    "--format",
    "metadata_prefix",
    type=click.Choice(METADATA_PREFIXES),
    default="arXiv",
    show_default=True,
    help="Metadata format to ask for.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON to stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Log each request to stderr.")
@click.argument("more_categories", nargs=-1, metavar="")
@common
def backfill(
    env: Env,
    from_date: str,
    until: str | None,
    categories: tuple[str, ...],
    endpoint: str,
    metadata_prefix: str,
    as_json: bool,
    verbose: bool,
    more_categories: tuple[str, ...],
) -> None:
    """Harvest arXiv's past over OAI-PMH, store and score it; interrupt it any time and run the same
    command again to resume where it stopped."""
    setup_logging(env.config.logging, level=log_level(verbose))
    cats = tuple(c for spec in (*categories, *more_categories) for c in spec.replace(",", " ").split())
    for cat in cats:
        if not re.fullmatch(r"[a-z][a-z\-]*(\.[A-Za-z\-]+)?", cat):
            raise click.BadParameter(f"{cat!r}: expected an arXiv category such as cs.LG", param_hint="--categories")
        problem = category_problem(cat)
        if problem:
            raise click.BadParameter(f"{cat!r}: {problem}", param_hint="--categories")
    first, last = parse_day(from_date, "--from") or "", parse_day(until, "--until")
    if last is not None and first > last:
        raise BadOption("--from", from_date, f"after --until {until}: nothing to harvest")
    plan = BackfillPlan(
        from_date=first, until=last, categories=cats, endpoint=endpoint, metadata_prefix=metadata_prefix
    )
    config = env.config
    env.store().close()  # a database `init` made, before any lock file is left beside a missing one
    try:  # one crawler per database: a backfill beside the daemon or a crawl would double the requests
        lock = take_lock(env.db_path, "rsiwatch backfill")
    except LockHeld as exc:
        raise Failure(str(exc)) from None
    with lock, env.store() as store, polite_client(config, env.db_path) as client:
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=stderr,
            disable=as_json and not stderr.is_terminal,
        )
        tasks: dict[str | None, Any] = {}

        def on_page(p: PageProgress) -> None:
            detail = (f"{plural(p.pages, 'page')}, {plural(p.new_works, 'new work')}, "
                      f"{plural(p.new_candidates, 'candidate')}")
            if p.set_spec not in tasks:
                tasks[p.set_spec] = progress.add_task(
                    f"set {p.set_spec or 'all'}" + (" (resumed)" if p.resumed else ""),
                    total=p.complete_size,
                    detail=detail,
                )
            progress.update(tasks[p.set_spec], completed=p.records, total=p.complete_size, detail=detail)

        try:
            with progress:
                report = run_backfill(config, store, client, plan, on_page)
        except KeyboardInterrupt:
            raise Failure("interrupted; run the same command again to resume where it stopped") from None
        except CrawlError as exc:
            raise Failure(f"{exc} (what was harvested is kept; run the same command again to resume)") from None
    if as_json:
        emit_json(asdict(report))
        return
    for warning in report.warnings:
        stderr.print(f"! {warning}", highlight=False, markup=False)
    stderr.print(
        f"backfill: {plural(report.records, 'record')} in {plural(report.pages, 'page')}, "
        f"{plural(report.new_works, 'new work')}, {plural(report.new_candidates, 'new candidate')}",
        highlight=False,
    )


# ---- submit ----------------------------------------------------------------------------------------


@cli.command(name="submit")
@click.argument("url")
@click.option("--note", help="Why it is worth a look (kept with the submission).")
@click.option("--by", help="Who sends it in (the Submitter column); default: review.curator, else the OS user.")
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON to stdout.")
@common
def submit_command(env: Env, url: str, note: str | None, by: str | None, as_json: bool) -> None:
    """Read one page (title, summary, date from its metadata), score it, and queue it as submitted.  A page
    that cannot be read now (offline, an error page) is queued anyway with the fetch error, as the public
    form's are, and read by a later crawl."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadOption("URL", url, "expected an http(s) address such as https://arxiv.org/abs/2401.01234")
    config = env.config
    with env.store() as store:
        result, error = take_submission(config, store, url.strip(), note, by or curator_name(config.review))
    if as_json:
        emit_json({**asdict(result), "fetch_error": error})
        return
    if error is not None:
        click.echo(f"queued {result.canonical_id} unread: {error}; a later crawl reads the page again")
    elif result.queued:
        click.echo(
            f"queued {result.canonical_id}: {result.title} (score {result.score:.2f})"
            if result.score is not None
            else f"queued {result.canonical_id}: {result.title}"
        )
    else:
        click.echo(
            f"{result.canonical_id} was already decided ({result.status}); the submission is recorded next to it"
        )
