"""Commands for the weekly sitting: the review page (``serve``), terminal review and the digest."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import click

from rsiwatch.cli import BadConfig, Env, Failure, cli, common, since_to_iso
from rsiwatch.config import curator_name
from rsiwatch.files import write_atomically
from rsiwatch.present.security import UnsafeBind
from rsiwatch.present.text import CATEGORIES
from rsiwatch.review.digest import DEFAULT_TOP, DigestError, build_digest, send_digest, to_html, to_markdown, to_text
from rsiwatch.words import plural


@cli.command()
@click.option(
    "--host",
    help="Address to bind (default: review.host in the config, 127.0.0.1; public.host with --public). Off loopback the "
         "review page needs review.password or curators.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port (default: review.port in the config, 8765; public.port with --public, 8080).",
)
@click.option(
    "--public",
    is_flag=True,
    help="Serve the published catalog and the submission form instead, and nothing of the review page.",
)
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --public: the published site to serve (default: public.site_dir; published there first if empty).",
)
@common
def serve(env: Env, host: str | None, port: int | None, public: bool, site: Path | None) -> None:
    """The review page: the queue, keyboard decisions, the catalog and its exports (--public: the public site)."""
    config = env.config
    if public:
        app, host, port = _public_app(env, host, port, site)
        label = "public site and form"
    else:
        from rsiwatch.review.web import create_app

        host = host or config.review.host
        port = config.review.port if port is None else port
        try:
            # A relative export folder in a config file is relative to that file, like the database.
            app = create_app(
                config, env.db_path, host=host, port=port, export_dir=_beside_config(env, config.review.export_dir)
            )
        except UnsafeBind as exc:
            raise BadConfig(str(exc)) from None
        env.store().close()  # create and migrate the database now: a bad path fails before serving
        label = "review page"
    _serve_forever(app, host, port, label)


def _beside_config(env: Env, folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else env.config_path.parent / path


def _public_app(env: Env, host: str | None, port: int | None, site: Path | None) -> tuple[Any, str, int]:
    from rsiwatch.site.public import create_public_app

    config = env.config
    site = site or _beside_config(env, config.public.site_dir)
    with env.store() as store:  # created and migrated now: a bad path fails before serving
        if not (site / "index.html").is_file():
            from rsiwatch.site.build import SiteOptions
            from rsiwatch.site.publish import publish_site

            published = publish_site(
                store,
                site,
                SiteOptions(
                    title=config.public.title, submit_url="/submit", show_reviewers=config.public.show_reviewers
                ),
            )
            click.echo(
                f"published {plural(len(published.entries), 'entry')} to {site} (rsiwatch publish --out {site} "
                "--submit-url /submit refreshes it)",
                err=True,
            )
    host = host or config.public.host
    return create_public_app(config, env.db_path, site), host, config.public.port if port is None else port


def _serve_forever(app: Any, host: str, port: int, label: str) -> None:
    from werkzeug.serving import make_server

    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    binding = app.extensions.get("rsiwatch_binding")
    if binding is not None:
        binding.port = server.server_port
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"{label} on http://{shown}:{server.server_port}/ (Ctrl-C stops)", err=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.option(
    "--status",
    type=click.Choice(["new", "deferred"]),
    default="new",
    show_default=True,
    help="Which candidates to step through.",
)
@click.option("--source", help="Only candidates this source mentioned.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this suggested category.")
@click.option("--by", help="Who takes the decisions (default: review.curator in the config, else the OS user name).")
@common
def review(env: Env, status: str, source: str | None, category: str | None, by: str | None) -> None:
    """Review the queue in the terminal: j/k move, a accept, r reject, o out of scope, d defer, u undo, q quit.

    Keys are read one at a time (stdin may be a pipe); a, r and o then read one line (category or reason).
    """
    from rsiwatch.review.tui import review_terminal

    with env.store() as store:
        counts = review_terminal(
            store, status=status, source=source, category=category, by=by or curator_name(env.config.review)
        )
    done = ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in counts.items()) or "no decisions"
    click.echo(f"review finished: {done}", err=True)


@cli.command()
@click.option("--since", default="7d", show_default=True, help="The period: a duration (7d) or a date (2026-01-31).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE.html or FILE.md (default: Markdown on stdout).",
)
@click.option(
    "--top", type=click.IntRange(1, 500), default=DEFAULT_TOP, show_default=True, help="How many top candidates."
)
@click.option("--send", is_flag=True, help="Also mail it by SMTP to digest.to in the config.")
@common
def digest(env: Env, since: str, out: Path | None, top: int, send: bool) -> None:
    """The week's top candidates, what was accepted, and per-source counts."""
    if out is not None and out.suffix.lower() not in (".html", ".htm", ".md"):
        raise click.BadParameter(f"{out}: expected a file name ending in .html or .md", param_hint="--out")
    since_iso = since_to_iso(since) or ""
    with env.existing_store() as store:
        result = build_digest(store, since_iso, top=top, config=env.config)
    html, markdown = to_html(result), to_markdown(result)
    if out is None and not send:
        click.echo(markdown, nl=False)
    if out is not None:
        _write_atomic(out, html if out.suffix.lower() in (".html", ".htm") else markdown)
        click.echo(f"wrote {out}", err=True)
    if send:
        try:
            recipients = send_digest(
                env.config.digest, result, html=html, text=to_text(result), contact=env.config.contact
            )
        except DigestError as exc:
            raise Failure(str(exc)) from None
        click.echo(f"sent the digest to {', '.join(recipients)}", err=True)


def _write_atomic(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise Failure(f"{path}: cannot write: {exc.strerror or exc}") from None


__all__ = ["digest", "review", "serve"]
