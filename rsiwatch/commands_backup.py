"""``backup``: an online copy of the database, safe while the daemon or a crawl writes."""

from __future__ import annotations

from pathlib import Path

import click

from rsiwatch.cli import Env, Failure, cli, common
from rsiwatch.store.upgrade import backup_database


@cli.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
@common
def backup(env: Env, target: Path, force: bool) -> None:
    """Copy the database to TARGET with SQLite's online backup API: consistent even while the daemon or a
    crawl writes (a plain `cp` of a WAL database is not).  Restore by stopping rsiwatch and putting TARGET
    in the database's place.  A copy is also taken automatically before a schema migration."""
    source = env.existing_db_path()  # a missing or 0-byte file is no database to copy
    if target.exists() and not force:
        raise Failure(f"{target}: already exists; give another name or --force")
    if target.resolve() == source.resolve():
        raise Failure(f"{target}: that is the database itself")
    backup_database(source, target)
    click.echo(f"backed up {source} to {target} ({target.stat().st_size:,} bytes)", err=True)
