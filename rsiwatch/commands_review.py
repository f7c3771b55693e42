"""Commands for the curator: the queue, decisions from the terminal, the catalog in and out."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.ids import work_id
from rsiwatch.review.catalog import FORMATS, CatalogFormatError, read_catalog
from rsiwatch.review.catalog_store import import_entries
from rsiwatch.review.present import CATEGORIES, entry_prefill
from rsiwatch.store import QUEUE_STATUSES, Store, StoreError
from rsiwatch.files import write_atomically
from rsiwatch.cli import Env, Failure, cli, common, emit_json, since_to_iso



@cli.command()
@click.option("--status", type=click.Choice(QUEUE_STATUSES), default="new", show_default=True, help="Which decisions to list.")
@click.option("--since", help="Only candidates queued since then: 7d, 24h, or a date (2026-01-31).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many.")
@click.option("--source", help="Only candidates this source mentioned.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this suggested category.")
@click.option("--json", "as_json", is_flag=True, help="Write a JSON array to stdout.")
@common
def candidates(env: Env, status: str, since: str | None, limit: int, source: str | None, category: str | None,
               as_json: bool) -> None:
    """The review queue, best first."""
    with env.store() as store:
        rows = store.candidates(status=status, since=since_to_iso(since), limit=limit, source=source, category=category)
        if as_json:
            out = []
            for row in rows:
                latest = store.latest_score(row["id"]) or {}
                out.append(
                    {
                        "canonical_id": row["id"], "title": row["title"], "url": row["url"], "score": row["score"],
                        "status": row["status"], "category": row["category"], "queued_at": row["queued_at"],
                        "queue_reason": row["queue_reason"], "published": row["published"],
                        "model_version": row["model_version"], "why": [t for t, _ in latest.get("why", [])],
                        "sources": sorted({s["source"] for s in store.sightings(row["id"])}),
                    }
                )
            emit_json(out)
            return
    if not rows:
        click.echo(f"no {status} candidates" + (f" since {since}" if since else ""), err=True)
        return
    table = Table(show_lines=False)
    for column in ("score", "canonical id", "title", "category"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(f"{row['score']:.2f}" if row["score"] is not None else "-", row["id"], row["title"][:100],
                      row["category"] or "")
    Console().print(table)


WORK_ID_HELP = ("ID names the work as `rsiwatch candidates` prints it or as it is pasted: arxiv:2401.01234v2, "
                "2401.01234, a link to the paper (arXiv, Hugging Face, alphaxiv, ar5iv), a DOI, a page's URL.")


def resolve_work(store: Store, text: str) -> tuple[str, dict]:
    """(canonical id, work) for an id as a person gives it; a one-line error when it names no known work."""
    cid = work_id(text)
    if cid is None:
        raise click.BadParameter(f"{text!r} names no work: expected arxiv:2401.01234, 2401.01234, a link to the "
                                 "paper, a DOI or a URL", param_hint="ID")
    work = store.work(cid)
    if work is None:
        shown = cid if cid == text.strip() else f"{cid} (read from {text.strip()!r})"
        raise Failure(f"no work with id {shown} (see `rsiwatch candidates`)")
    return cid, work


def _decision_command(action: str, help_text: str) -> None:
    @cli.command(name=action.replace("_", "-"), help=f"{help_text}\n\n{WORK_ID_HELP}")
    @click.argument("given_id", metavar="ID")
    @click.option("--category", type=click.Choice(CATEGORIES), help="The catalog category (accept).")
    @click.option("--note", help="Why: kept with the decision.")
    @common
    def command(env: Env, given_id: str, category: str | None, note: str | None) -> None:
        with env.store() as store:
            canonical_id, work = resolve_work(store, given_id)
            if action == "accept":
                decision_id, _ = store.accept(canonical_id, entry_from_work(work, category, note), note=note)
            else:
                decision_id = store.decide(canonical_id, action, category=category, note=note, origin="cli")
        click.echo(f"{action} {canonical_id} (decision {decision_id})", err=True)


def entry_from_work(work: dict, category: str | None, note: str | None) -> dict:
    """An accepted work's catalog entry: the review page's prefill, with the CLI's category and note."""
    entry = entry_prefill(work)
    if category:
        entry["category"] = category
    if note:
        entry["description"] = note
    return entry


_decision_command("accept", "Accept a candidate: it joins the catalog (and the training data).")
_decision_command("reject", "Reject a candidate: it will not come back, whichever source mentions it.")
_decision_command("defer", "Defer a candidate to a later sitting.")
_decision_command("out_of_scope", "Mark a candidate out of the catalog's scope (a reject with its own reason).")


@cli.command(help="Reverse the latest standing decision about a work (appends a reversal; nothing is erased)."
             f"\n\n{WORK_ID_HELP}")
@click.argument("given_id", metavar="ID")
@common
def undo(env: Env, given_id: str) -> None:
    with env.store() as store:
        canonical_id, _ = resolve_work(store, given_id)
        status = store.undo(canonical_id, origin="cli")
    click.echo(f"undid the latest decision on {canonical_id}; it is {status} again", err=True)


@cli.group()
def catalog() -> None:
    """The catalog in and out (CSV in the public list's columns, Markdown, JSON)."""


@catalog.command(name="export")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="csv", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file (atomically) instead of stdout.")
@common
def catalog_export(env: Env, fmt: str, out: Path | None) -> None:
    """Export the catalog."""
    with env.store() as store:
        text = FORMATS[fmt](store.catalog())
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomically(out, text)
    click.echo(f"wrote {out}", err=True)


@catalog.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common
def catalog_import(env: Env, file: Path) -> None:
    """Import catalog entries from a CSV (the public list's columns, or the seed file's) or our JSON."""
    try:
        entries = read_catalog(file)
    except CatalogFormatError as exc:
        raise Failure(str(exc)) from None
    with env.store() as store:
        try:
            count = import_entries(store, entries, origin="import")
        except StoreError as exc:
            raise Failure(str(exc)) from None
        total = store.count("catalog")
    click.echo(f"imported {count} entries from {file}; the catalog holds {total}", err=True)
