"""``daemon`` and the ``sources`` group (list, pause, resume)."""

from __future__ import annotations

import click

from rsiwatch.cli import Env, Failure, cli, common, emit_json
from rsiwatch.daemon import AlreadyRunning, run_daemon
from rsiwatch.logs import setup_logging


@cli.command()
@click.option("--log-format", type=click.Choice(["human", "json"]), help="Override logging.format from the config.")
@click.option("--log-file", help="Log to this file instead of stderr.")
@common
def daemon(env: Env, log_format: str | None, log_file: str | None) -> None:
    """Run the schedule in the foreground until SIGTERM/SIGINT, then stop cleanly (exit 0)."""
    config = env.config
    settings = config.logging.model_copy(
        update={k: v for k, v in (("format", log_format), ("file", log_file)) if v is not None}
    )
    setup_logging(settings)
    try:
        raise SystemExit(run_daemon(config, env.db_path))
    except AlreadyRunning as exc:
        raise Failure(str(exc)) from None


@cli.group()
def sources() -> None:
    """The configured sources: list them, pause one, resume a paused one."""


@sources.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def sources_list(env: Env, as_json: bool) -> None:
    """The sources in the config with their state."""
    config = env.config
    with env.store() as store:
        rows = []
        for source in config.sources:
            state = store.source_state(source.name)
            rows.append({"name": source.name, "kind": source.kind, "url": source.url or source.endpoint,
                         "every": source.cron_expression or source.every, "enabled": source.enabled,
                         "paused": state.paused, "paused_reason": state.paused_reason})
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        flag = " (paused: " + (r["paused_reason"] or "by hand") + ")" if r["paused"] else ""
        click.echo(f"{r['name']:<24} {r['kind']:<10} {r['every'] or '1d':<8} {r['url']}{flag}")


@sources.command()
@click.argument("name")
@common
def resume(env: Env, name: str) -> None:
    """Bring a paused source back (its failure count starts again from zero)."""
    env.config.source(name)
    with env.store() as store:
        store.ensure_sources((s.name, s.kind, s.url or s.endpoint) for s in env.config.sources)
        store.set_paused(name, False)
    click.echo(f"resumed {name}", err=True)


@sources.command()
@click.argument("name")
@click.option("--reason", default="paused by hand", show_default=True, help="Shown in `rsiwatch status`.")
@common
def pause(env: Env, name: str, reason: str) -> None:
    """Pause a source: no fetches until `rsiwatch sources resume NAME`."""
    env.config.source(name)
    with env.store() as store:
        store.ensure_sources((s.name, s.kind, s.url or s.endpoint) for s in env.config.sources)
        store.set_paused(name, True, reason)
    click.echo(f"paused {name}", err=True)
