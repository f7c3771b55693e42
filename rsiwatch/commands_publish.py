"""``rsiwatch publish``: the catalog as a static site (index, a page per entry, Atom feed, CSV, JSON)."""

from __future__ import annotations

from pathlib import Path

import click

from rsiwatch.cli import Env, Failure, cli, common, emit_json
from rsiwatch.present.text import safe_url
from rsiwatch.site.build import DEFAULT_FEED_SIZE, DEFAULT_TITLE, SiteOptions
from rsiwatch.site.publish import SiteRefused, publish_site
from rsiwatch.tuning.trend import MIN_AUDITED
from rsiwatch.words import plural


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The site's folder (created if needed). Files rsiwatch does not write there (.git, CNAME) are left alone.",
)
@click.option(
    "--base-url",
    help="Where the site will be served (https://you.github.io/list/): the feed's links and entry ids become absolute. "
         "Keep it fixed: feed readers know entries by these ids.",
)
@click.option("--title", help=f"The site's title [default: the config's public.title, else {DEFAULT_TITLE!r}].")
@click.option(
    "--feed-size",
    default=DEFAULT_FEED_SIZE,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="The newest this many entries go into feed.xml.",
)
@click.option(
    "--submit-url",
    help='The public submission form (where `rsiwatch serve --public` answers /submit), linked from every page as '
         '"Suggest an example".',
)
@click.option(
    "--force",
    is_flag=True,
    help="Publish even over a site written from another database, or one with more entries than this catalog (it says "
         "which entries go).",
)
@click.option("--json", "as_json", is_flag=True, help="Write what was published as JSON to stdout.")
@common
def publish(
    env: Env,
    out_dir: Path,
    base_url: str | None,
    title: str | None,
    feed_size: int,
    submit_url: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write the catalog as a static site any static host serves: index.html (every entry, the trend),
    entries/ID.html, feed.xml (Atom), catalog.csv and catalog.json.  The same catalog gives the same
    bytes, so the site can live in git."""
    if base_url is not None and not safe_url(base_url):
        raise click.BadParameter(f"{base_url!r}: expected an absolute http(s) URL", param_hint="--base-url")
    if (
        submit_url is not None
        and not (submit_url.startswith("/") and not submit_url.startswith("//"))
        and not safe_url(submit_url)
    ):
        raise click.BadParameter(
            f"{submit_url!r}: expected an http(s) URL or a path such as /submit", param_hint="--submit-url"
        )
    with env.store() as store:
        try:
            published = publish_site(
                store,
                out_dir,
                SiteOptions(
                    title=title or env.config.public.title,
                    base_url=base_url,
                    feed_size=feed_size,
                    submit_url=submit_url,
                    show_reviewers=env.config.public.show_reviewers,
                ),
                force=force,
            )
        except SiteRefused as exc:
            raise Failure(str(exc)) from None
    entries, files, result, shares = published.entries, published.files, published.written, published.shares
    estimated = sum(s.share is not None for s in shares)
    if as_json:
        emit_json(
            {
                "out": str(out_dir),
                "entries": len(entries),
                "files": len(files),
                "written": result.written,
                "unchanged": result.unchanged,
                "removed": result.removed,
                "removed_entries": published.removed_ids,
                "withdrawn_entries": published.withdrawn_ids,
                "quarters_estimated": estimated,
            }
        )
        return
    click.echo(
        f"published {plural(len(entries), 'entry')} to {out_dir}: {plural(result.written, 'file')} written, "
        f"{result.unchanged} unchanged, {result.removed} removed; "
        + (f"the share estimated for {plural(estimated, 'quarter')}" if estimated else
           f"no share estimated yet (a quarter needs {MIN_AUDITED} works with audit decisions)"),
        err=True,
    )
    if published.removed_ids:
        removed = published.removed_ids
        withdrawn = published.withdrawn_ids
        because = f" ({len(withdrawn)} withdrawn by a decision: {', '.join(map(str, withdrawn))})" if withdrawn else ""
        click.echo(f"removed {plural(len(removed), 'entry')} from the site: {', '.join(map(str, removed))}{because}",
                   err=True)
