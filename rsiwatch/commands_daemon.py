"""``daemon``: the schedule in the foreground (the ``sources`` group lives in ``commands_sources``)."""

from __future__ import annotations

import click

from rsiwatch.cli import Env, Failure, cli, common
from rsiwatch.daemon import EXIT_SCHEMA_NEWER, run_daemon
from rsiwatch.lock import LockHeld
from rsiwatch.logs import setup_logging
from rsiwatch.store import INIT_SETTING, SchemaTooNew


@cli.command()
@click.option("--log-format", type=click.Choice(["human", "json"]), help="Override logging.format from the config.")
@click.option("--log-file", help="Log to this file instead of stderr.")
@common
def daemon(env: Env, log_format: str | None, log_file: str | None) -> None:
    """Run the schedule in the foreground until SIGTERM/SIGINT, then stop cleanly (exit 0).

    SIGHUP (`systemctl reload`) reopens the log file and reloads the config: sources added, removed or
    changed are scheduled at once (a config that does not load is refused in one log line and the running
    one kept); a change of the config file is noticed within seconds without a signal too.  Exit status 3:
    the database was upgraded by a newer rsiwatch (a unit's Restart= starts the new release)."""
    config = env.config
    try:
        with env.store() as store:
            initialised = store.models.setting(INIT_SETTING) is not None
    except SchemaTooNew as exc:
        # Its own status, so the service manager restarts it (with the new release, once installed).
        click.echo(f"rsiwatch: {exc}", err=True)
        raise SystemExit(EXIT_SCHEMA_NEWER) from None
    if not initialised:
        raise Failure(f"{env.db_path}: not a database `rsiwatch init` set up (no seed catalog, no models worth "
                      f"running); run `rsiwatch init --config {env.config_path} --db {env.db_path}` first")
    settings = config.logging.model_copy(
        update={k: v for k, v in (("format", log_format), ("file", log_file)) if v is not None}
    )
    setup_logging(settings)
    try:
        raise SystemExit(run_daemon(config, env.db_path, config_path=env.config_path))
    except LockHeld as exc:
        raise Failure(str(exc)) from None
    except SchemaTooNew as exc:
        # Its own status, so the service manager restarts it (with the new release, once installed).
        click.echo(f"rsiwatch: {exc}", err=True)
        raise SystemExit(EXIT_SCHEMA_NEWER) from None

