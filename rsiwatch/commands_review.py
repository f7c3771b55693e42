"""Commands for the curator: the queue, decisions from the terminal, the catalog in and out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from crawler.ids import work_id
from rsiwatch.catalog.entry_rules import check_entry, problem_lines
from rsiwatch.catalog.formats import FORMATS, CatalogFormatError, read_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.cli import EXISTING_FILE, BadOption, Env, Failure, cli, common, emit_json, print_table, since_to_iso
from rsiwatch.config import curator_name
from rsiwatch.files import write_atomically
from rsiwatch.present.text import CATEGORIES, EntryError, readable_text
from rsiwatch.review.accepting import accept_work
from rsiwatch.review.candidates import candidate_records
from rsiwatch.store import QUEUE_ORDERS, QUEUE_STATUSES, Store, StoreError, Work
from rsiwatch.words import plural


@cli.command()
@click.option(
    "--status", type=click.Choice(QUEUE_STATUSES), default="new", show_default=True, help="Which decisions to list."
)
@click.option("--since", help="Only candidates queued since then: 7d, 24h, or a date (2026-01-31).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many.")
@click.option("--source", help="Only candidates this source mentioned.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this suggested category.")
@click.option(
    "--sort",
    "order",
    type=click.Choice(sorted(QUEUE_ORDERS)),
    default="score",
    show_default=True,
    help="Best score first, or the works most independent sources discuss first.",
)
@click.option("--json", "as_json", is_flag=True, help="Write a JSON array to stdout.")
@common
def candidates(
    env: Env,
    status: str,
    since: str | None,
    limit: int,
    source: str | None,
    category: str | None,
    order: str,
    as_json: bool,
) -> None:
    """The review queue, best first (tab-separated lines, every id and title whole, when piped)."""
    since_iso = since_to_iso(since)
    with env.store() as store:
        if source is not None:
            known = sorted({*(s.name for s in env.config.sources), *store.queue.source_names()})
            if source not in known:
                raise BadOption("--source", source, f"no such source (known: {', '.join(known) or 'none'})")
        rows = store.scores.candidates(
            status=status, since=since_iso, limit=limit, source=source, category=category, order=order
        )
        if len(rows) == limit:  # cut by --limit: say so on stderr, so a pipe never silently covers part
            total = store.scores.candidate_count(status=status, since=since_iso, source=source, category=category)
            if total > len(rows):
                click.echo(f"showing {len(rows):,} of {total:,} (--limit)", err=True)
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


def resolve_work(store: Store, text: str) -> tuple[str, Work]:
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
            entry_news = None
            if action == "accept":
                decision_id = _accept(store, work, category, note, by, **more)
            else:
                before = store.decisions.work_entry(canonical_id)
                decision_id = store.decisions.decide(
                    canonical_id, action, category=category, note=note, origin="cli", by=by
                )
                entry_news = entry_change(before, store.decisions.work_entry(canonical_id))
        click.echo(f"{action} {canonical_id} (decision {decision_id})", err=True)
        if entry_news:
            click.echo(entry_news, err=True)

    if action == "accept":
        click.option(
            "--description",
            help="The entry's public description (default: the first sentence of the "
            "work's summary; an existing entry keeps its own).",
        )(command)
        click.option(
            "--date",
            "date_published",
            help="Date Published as the list shows it (2025-03-21, April 2023, "
            "2016; default: the work's date). A date that is not a real one, or in the future, is refused.",
        )(command)


class BadEntry(Failure):
    """An entry the rules refuse (an empty description, 2025-02-30): one line naming the field, exit 2."""

    exit_code = 2


def checked(entry: dict, stored: Mapping[str, Any] | None) -> dict:
    """``entry_rules.check_entry`` (the same check as the review page's forms), as a command's error."""
    try:
        return check_entry(entry, stored)
    except EntryError as exc:
        raise BadEntry(str(exc)) from None


def _accept(
    store: Store, work: Work, category: str | None, note: str | None, by: str, **more: str | None
) -> int:
    """``accept ID``: the one accept rule (``review.accepting``) with what the command gives; a work that has
    an entry keeps it, and the command says what changed on it.  Returns the decision id."""
    given: dict[str, Any] = {"category": category, "description": more.get("description"),
                             "date_published": more.get("date_published")}
    try:
        accepted = accept_work(store, work, {k: v for k, v in given.items() if v}, origin="cli", by=by, note=note)
    except EntryError as exc:
        raise BadEntry(str(exc)) from None
    if accepted.kept_entry:
        click.echo(
            f"{work['id']} keeps catalog entry {accepted.entry_id}; "
            + (f"changed: {', '.join(accepted.changed)}" if accepted.changed else "nothing changed"),
            err=True,
        )
    return accepted.decision_id


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
        before = store.decisions.work_entry(canonical_id)
        status = store.decisions.undo(canonical_id, origin="cli", by=by)
        entry_news = entry_change(before, store.decisions.work_entry(canonical_id))
    click.echo(f"undid the latest decision on {canonical_id}; it is {status} again", err=True)
    if entry_news:
        click.echo(entry_news, err=True)


def entry_change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
    """What a decision did to the work's catalog entry, when it took it off the published catalog or put it
    back (a curator should not learn it from the next publish)."""
    if before is None or after is None or bool(before["withdrawn_at"]) == bool(after["withdrawn_at"]):
        return None
    if after["withdrawn_at"]:
        return (f"catalog entry {after['id']} withdrawn: off the published catalog (kept; the next `publish` "
                "takes it off the site)")
    return f"catalog entry {after['id']} published again"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Write a JSON array of the disagreements to stdout.")
@common
def doctor(env: Env, as_json: bool) -> None:
    """Check that the catalog and the standing decisions agree, and warn about what makes the queue
    meaningless or the catalog wrong: an empty catalog, an active model trained on no positives, entries an
    import kept flagged (an unknown category, an impossible date).  Exit 1 when anything is found."""
    with env.store() as store:
        disagreements = store.catalog.catalog_disagreements()
        entries = store.catalog.entries()
        warnings = [*service_warnings(len(entries), store.models.versions()), *problem_lines(entries)]
        news = store.scholarly.flags()
        private = store.catalog.note_descriptions()
    for flag in news:  # news, not disagreement: the exit status stays the catalog's
        click.echo(
            f"entry {flag['entry_id']} ({flag['work_id']}): {flag['detail']} "
            f"(rsiwatch catalog flags apply {flag['id']} | dismiss {flag['id']})",
            err=True,
        )
    problems = [*disagreements, *(f"warning: {w}" for w in warnings)]
    if as_json:
        emit_json(problems)
    else:
        for line in problems:
            click.echo(line)
        click.echo(
            f"catalog and decisions "
            f"{'disagree in ' + plural(len(disagreements), 'place') if disagreements else 'agree'}"
            + (f"; {plural(len(warnings), 'warning')}" if warnings else ""),
            err=True,
        )
    for entry_id, private_work in private.items():
        # A flag for the curator, not a disagreement: the entry is sound, but its public text is a note.
        click.echo(
            f"warning: catalog entry {entry_id} ({private_work}): its description is the private note of its "
            f"accept decision (rsiwatch 0.1 copied notes there); rewrite it on the Catalog tab",
            err=True,
        )
    if problems:
        raise SystemExit(1)


def service_warnings(catalog_size: int, models: list[dict]) -> list[str]:
    """An install that cannot find anything: no catalog (the positives), or a model that learnt from none."""
    out = []
    if catalog_size == 0:
        out.append(
            "the catalog is empty: the model has no examples to learn from (was this database made by "
            "`rsiwatch init`? it loads the seed catalog)"
        )
    active = [m for m in models if m["active"]]
    if active:
        trained = active[-1]["trained_on"]
        if int(trained.get("positives", 0)) + int(trained.get("catalog", 0)) == 0:
            out.append(
                f"the active model (version {active[-1]['version']}) was trained on no positives: its scores "
                "mean nothing; accept some candidates or import a catalog, then `rsiwatch train`"
            )
    return out


@cli.group()
def catalog() -> None:
    """The catalog in and out (CSV in the public list's columns, Markdown, JSON; BibTeX, RIS and CSL-JSON for
    reference managers)."""


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


@catalog.command(name="edit")
@click.argument("entry_id", metavar="ID", type=int)
@click.option("--description", help="The public description (one sentence).")
@click.option("--category", help=f"The category: one of {', '.join(CATEGORIES)}.")
@click.option("--date", "date_published", help="Date Published as the list shows it (2025-03-21, April 2023, 2016).")
@click.option("--year", type=int, help="The year (it must agree with the date).")
@click.option("--title", help="The title.")
@BY_OPTION
@common
def catalog_edit(
    env: Env,
    entry_id: int,
    description: str | None,
    category: str | None,
    date_published: str | None,
    year: int | None,
    title: str | None,
    by: str | None,
) -> None:
    """Edit catalog entry ID: the fields given change (each change logged with the old value); the entry is
    checked as the review page checks it (a description, a known category, a real date the year agrees with)."""
    given = {
        "description": description,
        "category": category,
        "date_published": date_published,
        "year": year,
        "title": title,
    }
    fields = {k: v for k, v in given.items() if v is not None}
    if not fields:
        raise click.UsageError("nothing to change: give --description, --category, --date, --year or --title")
    by = _by(env, by)
    with env.store() as store:
        stored = store.catalog.catalog_entry(entry_id)
        if stored is None:
            raise Failure(f"catalog entry {entry_id}: no such entry (see `rsiwatch catalog export`)")
        if "date_published" in fields and "year" not in fields:
            stored = {**stored, "year": None}  # the year follows the new date
        changed = store.catalog.catalog_edit(entry_id, checked(fields, stored), origin="cli", by=by)
    click.echo(
        f"catalog entry {entry_id}: " + (f"changed {', '.join(changed)}" if changed else "nothing changed"), err=True
    )


@catalog.command(name="import")
@click.argument("file", type=EXISTING_FILE)
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
    click.echo(f"the catalog holds {plural(total, 'entry')}", err=True)


# ---- the catalog kept current (issue 24): arXiv's news of catalog works, flagged for the curator --------


@catalog.command(name="check")
@click.option("--json", "as_json", is_flag=True, help="Write the outcome as JSON to stdout.")
@common
def catalog_check(env: Env, as_json: bool) -> None:
    """Ask arXiv (by id_list, a hundred ids a request) what changed for the catalog's papers: a new version,
    a withdrawal, a journal reference or DOI, a new title. Each news is a flag (`catalog flags`); nothing in
    an entry changes until the curator applies it. The daemon runs this every scholarly.check_every."""
    from crawler.http import PoliteClient
    from rsiwatch.scholarly import check_catalog

    config = env.config
    with env.store() as store, PoliteClient(config.http.settings, config.politeness.settings, config.contact) as client:
        report = check_catalog(store, client, config)
    if as_json:
        emit_json(
            {"checked": report.checked, "requests": report.requests, "flags": report.flags, "errors": report.errors}
        )
    else:
        click.echo(
            f"checked {plural(report.checked, 'catalog paper')} on arXiv in {plural(report.requests, 'request')}: "
            f"{plural(report.flags, 'new flag')} (rsiwatch catalog flags)",
            err=True,
        )
    if report.errors:
        for error in report.errors:
            click.echo(error, err=True)
        raise SystemExit(1)


@catalog.command(name="flags")
@click.argument("action", required=False, type=click.Choice(["apply", "dismiss"]))
@click.argument("flag_id", required=False, type=int)
@click.option("--all", "show_all", is_flag=True, help="List resolved flags too.")
@click.option("--json", "as_json", is_flag=True, help="Write the flags as JSON to stdout.")
@BY_OPTION
@common
def catalog_flags(
    env: Env, action: str | None, flag_id: int | None, show_all: bool, as_json: bool, by: str | None
) -> None:
    """The news found for catalog entries ("v3 since accepted", "withdrawn on arXiv", "published in ICML
    2026"); `flags apply N` writes it into the entry as a recorded catalog edit, `flags dismiss N` drops it."""
    from rsiwatch.scholarly import apply_flag

    with env.store() as store:
        if action is not None:
            if flag_id is None:
                raise click.UsageError(f"`catalog flags {action}` needs the flag's number")
            if action == "dismiss":
                if not store.scholarly.resolve_flag(flag_id, "dismissed", _by(env, by)):
                    raise BadOption("FLAG_ID", flag_id, "no open flag with this number")
                click.echo(f"dismissed flag {flag_id}", err=True)
                return
            try:
                click.echo(apply_flag(store, flag_id, _by(env, by)), err=True)
            except ValueError as exc:
                raise BadOption("FLAG_ID", flag_id, str(exc)) from None
            return
        flags = store.scholarly.flags(open_only=not show_all)
    if as_json:
        emit_json(flags)
        return
    if not flags:
        click.echo("no open flags: the catalog's papers are as accepted", err=True)
        return
    print_table(
        ("#", "entry", "work", "news", "found", "resolved"),
        [
            (
                str(f["id"]),
                str(f["entry_id"]),
                f["work_id"],
                f["detail"],
                f["found_at"][:10],
                f"{f['resolution']} by {f['resolved_by']}" if f["resolution"] else "",
            )
            for f in flags
        ],
    )
