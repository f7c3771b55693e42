"""Commands for the curator: the queue, decisions from the terminal, the catalog in and out."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.ids import work_id
from rsiwatch.catalog.formats import FORMATS, CatalogFormatError, read_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.cli import BadOption, Env, Failure, cli, common, emit_json, print_table, since_to_iso
from rsiwatch.config import curator_name
from rsiwatch.files import write_atomically
from rsiwatch.present.text import CATEGORIES, readable_text
from rsiwatch.review.accepting import accept_work
from rsiwatch.review.candidates import candidate_records
from rsiwatch.store import QUEUE_STATUSES, Store, StoreError


@cli.command()
@click.option(
    "--status", type=click.Choice(QUEUE_STATUSES), default="new", show_default=True, help="Which decisions to list."
)
@click.option("--since", help="Only candidates queued since then: 7d, 24h, or a date (2026-01-31).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many.")
@click.option("--source", help="Only candidates this source mentioned.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this suggested category.")
@click.option("--json", "as_json", is_flag=True, help="Write a JSON array to stdout.")
@common
def candidates(
    env: Env, status: str, since: str | None, limit: int, source: str | None, category: str | None, as_json: bool
) -> None:
    """The review queue, best first (tab-separated lines, every id and title whole, when piped)."""
    since_iso = since_to_iso(since)
    with env.existing_store() as store:
        if source is not None:
            known = sorted({*(s.name for s in env.config.sources), *store.queue.source_names()})
            if source not in known:
                raise BadOption("--source", source, f"no such source (known: {', '.join(known) or 'none'})")
        rows = store.scores.candidates(status=status, since=since_iso, limit=limit, source=source, category=category)
        if as_json:
            emit_json(candidate_records(store, rows))
            return
    if not rows:
        click.echo(f"no {status} candidates" + (f" since {since}" if since else ""), err=True)
        return
    print_table(
        ("score", "canonical id", "title", "category"),
        [
            (
                f"{row['score']:.2f}" if row["score"] is not None else "-",
                row["id"],
                readable_text(row["title"]),
                row["category"] or "",
            )
            for row in rows
        ],
    )


def _by(env: Env, by: str | None) -> str:
    return by or curator_name(env.config.review)


BY_OPTION = click.option(
    "--by", help="Who takes the decision (default: review.curator in the config, else the OS user name)."
)


WORK_ID_HELP = (
    "ID names the work as `rsiwatch candidates` prints it or as it is pasted: arxiv:2401.01234v2, "
    "2401.01234, a link to the paper (arXiv, Hugging Face, alphaxiv, ar5iv), a DOI, a page's URL."
)


def resolve_work(store: Store, text: str) -> tuple[str, dict]:
    """(canonical id, work) for an id as a person gives it; a one-line error when it names no known work."""
    cid = work_id(text)
    if cid is None:
        raise click.BadParameter(
            f"{text!r} names no work: expected arxiv:2401.01234, 2401.01234, a link to the paper, a DOI or a URL",
            param_hint="ID",
        )
    work = store.works.work(cid)
    if work is None:
        shown = cid if cid == text.strip() else f"{cid} (read from {text.strip()!r})"
        raise Failure(f"no work with id {shown} (see `rsiwatch candidates`)")
    return cid, work


def _decision_command(action: str, help_text: str) -> None:
    @cli.command(name=action.replace("_", "-"), help=f"{help_text}\n\n{WORK_ID_HELP}")
    @click.argument("given_id", metavar="ID")
    @click.option("--category", type=click.Choice(CATEGORIES), help="The catalog category (accept).")
    @click.option("--note", help="Why: the curator's reason, kept with the decision and never published.")
    @BY_OPTION
    @common
    def command(
        env: Env, given_id: str, category: str | None, note: str | None, by: str | None, **more: str | None
    ) -> None:
        by = _by(env, by)
        with env.store() as store:
            canonical_id, work = resolve_work(store, given_id)
            if action == "accept":
                given = {"category": category, "description": more.get("description")}
                accepted = accept_work(
                    store, work, {k: v for k, v in given.items() if v}, origin="cli", by=by, note=note
                )
                decision_id, entry_id = accepted.decision_id, accepted.entry_id
                if accepted.kept_entry:
                    click.echo(
                        f"{canonical_id} keeps catalog entry {entry_id}; "
                        + (f"changed: {', '.join(accepted.changed)}" if accepted.changed else "nothing changed"),
                        err=True,
                    )
            else:
                decision_id = store.decisions.decide(
                    canonical_id, action, category=category, note=note, origin="cli", by=by
                )
        click.echo(f"{action} {canonical_id} (decision {decision_id})", err=True)

    if action == "accept":
        click.option(
            "--description",
            help="The entry's public description (default: the first sentence of the "
            "work's summary; an existing entry keeps its own).",
        )(command)


_decision_command("accept", "Accept a candidate: it joins the catalog (and the training data).")
_decision_command(
    "reject",
    "Reject a candidate: it will not come back, whichever source mentions it; its catalog entry, if any, leaves the "
    "published catalog (kept in its history).",
)
_decision_command("defer", "Defer a candidate to a later sitting.")
_decision_command("out_of_scope", "Mark a candidate out of the catalog's scope (a reject with its own reason).")


@cli.command(
    help="Reverse the latest standing decision about a work (appends a reversal; nothing is erased). "
    "Its catalog entry goes back to what it was before that decision."
    f"\n\n{WORK_ID_HELP}"
)
@click.argument("given_id", metavar="ID")
@BY_OPTION
@common
def undo(env: Env, given_id: str, by: str | None) -> None:
    by = _by(env, by)
    with env.store() as store:
        canonical_id, _ = resolve_work(store, given_id)
        status = store.decisions.undo(canonical_id, origin="cli", by=by)
    click.echo(f"undid the latest decision on {canonical_id}; it is {status} again", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Write a JSON array of the disagreements to stdout.")
@common
def doctor(env: Env, as_json: bool) -> None:
    """Check that the catalog and the standing decisions agree (exit 1 when they do not)."""
    with env.store() as store:
        problems = store.catalog.catalog_disagreements()
    if as_json:
        emit_json(problems)
    else:
        for line in problems:
            click.echo(line)
        click.echo(
            f"catalog and decisions {'disagree in ' + str(len(problems)) + ' places' if problems else 'agree'}",
            err=True,
        )
    if problems:
        raise SystemExit(1)


@cli.group()
def catalog() -> None:
    """The catalog in and out (CSV in the public list's columns, Markdown, JSON)."""


@catalog.command(name="export")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="csv", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file (atomically) instead of stdout.")
@common
def catalog_export(env: Env, fmt: str, out: Path | None) -> None:
    """Export the published catalog."""
    with env.store() as store:
        text = FORMATS[fmt](store.catalog.entries())
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomically(out, text)
    click.echo(f"wrote {out}", err=True)


@catalog.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what the import would do without writing anything.")
@BY_OPTION
@common
def catalog_import(env: Env, file: Path, dry_run: bool, by: str | None) -> None:
    """Import a catalog: CSV (the public list's columns or the seed file's; UTF-8 with or without BOM or
    Windows-1252; comma or semicolon), .xlsx, or our JSON. Rows match entries by their Source's work; no
    entry is deleted, no row dropped (see README, "Importing a catalog")."""
    try:
        entries = read_catalog(file)
    except CatalogFormatError as exc:
        raise Failure(str(exc)) from None
    by = _by(env, by)
    with env.store() as store:
        try:
            report = import_entries(store, entries, origin=f"import {file.name}", by=by, dry_run=dry_run)
        except StoreError as exc:
            raise Failure(str(exc)) from None
        total = len(store.catalog.entries())
    for line in report.lines(str(file), dry_run):
        click.echo(line, err=True)
    click.echo(f"the catalog holds {total} entries", err=True)
