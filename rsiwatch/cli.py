"""The command line: a thin click layer over the library.

Every command takes ``--config`` and ``--db``; ``--json`` writes JSON to stdout and nothing else, while
progress and logs go to stderr.  Exit status: 0 success, 1 runtime failure, 2 bad usage or config, each
failure with one line that names its cause.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import math
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from rsiwatch import __version__
from rsiwatch.catalog import SEED_CATALOG as SEED_CATALOG  # the shipped starting catalog; commands take it from here
from rsiwatch.config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config, parse_duration
from rsiwatch.store import Store, StoreError, iso_ago
from rsiwatch.store.upgrade import echo_to_stderr, set_upgrade_reporter

DEFAULT_CONFIG_TEMPLATE = Path(__file__).with_name("templates") / "config.yaml"
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)  # a file argument that must be there


class Failure(click.ClickException):
    """A runtime failure: one line on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"rsiwatch: {self.format_message()}", err=True)


class BadConfig(Failure):
    exit_code = 2


class BadOption(Failure):
    """A value an option cannot take (an impossible date, an unknown source): one line, exit status 2."""

    exit_code = 2

    def __init__(self, option: str, value: object, why: str) -> None:
        super().__init__(f"{option} {value!r}: {why}")


@dataclass
class Env:
    """What every command receives: the config path, the database path, the loaded config.

    The one rule for finding them lives here: only ``init`` creates a database (``create_store``) or a
    config file.  Every other command opens what is there, and one run in the wrong folder (no
    ``config.yaml``, no ``candidates.db``) says so in one line naming the path, exit 1, instead of acting
    on an empty database it just made (a ``publish`` that empties a live site, a cron ``crawl`` of nothing).
    """

    config_path: Path
    db_override: Path | None
    config_required: bool = False
    _config: Config | None = None

    @property
    def config(self) -> Config:
        """The config file's settings.  A missing file is an error, except for a command given ``--db``
        (it names its database, so it is not guessing its folder: the defaults apply)."""
        if self._config is None:
            if self.db_override is None and not self.config_required and not self.config_path.exists():
                raise Failure(f"{self.config_path}: no config file here; run `rsiwatch init` in the folder that "
                              "should hold it, or give --config PATH")
            self._config = load_config(self.config_path, required=self.config_required)
        return self._config

    def config_or_defaults(self) -> Config:
        """The config file's settings, or the defaults where there is none (``evaluate`` needs no config)."""
        if self._config is None:
            self._config = load_config(self.config_path, required=self.config_required)
        return self._config

    def existing_config_path(self) -> Path:
        """The config file a command edits (``sources add``, ``curator add``): never written from nothing."""
        if not self.config_path.is_file():
            raise Failure(f"{self.config_path}: no config file here; run `rsiwatch init` first (it writes one), "
                          "or give --config PATH")
        return self.config_path

    @property
    def db_path(self) -> Path:
        if self.db_override is not None:
            return self.db_override
        database = Path(self.config.database)
        # A relative database path in a config file is relative to that file.
        return database if database.is_absolute() else self.config_path.parent / database

    def store(self) -> Store:
        """The existing database: never created here, so a folder without one or a mistyped ``--db`` says
        so instead of leaving (and acting on) an empty database."""
        return Store(self.existing_db_path())

    existing_store = store  # the older name, kept for callers

    def existing_db_path(self) -> Path:
        """The database's path once it is known to hold one: for a command that opens it by another way
        than ``store`` (``backup`` copies it with SQLite's backup API)."""
        path = self.db_path
        where = "--db" if self.db_override is not None else f"the database of {self.config_path}"
        if not path.is_file():
            raise Failure(f"{path}: no such database ({where}); run `rsiwatch init` here first, or give --db PATH")
        if path.stat().st_size == 0 and not path.with_name(path.name + "-wal").exists():
            # SQLite would take a 0-byte file (``touch``, a failed copy) for a new database and migrate it.
            raise Failure(f"{path}: an empty file, no database ({where}); run `rsiwatch init --db {path}` to make "
                          "one, or give --db PATH")
        return path

    def create_store(self) -> Store:
        """The database, created and migrated if it is not there: for ``init`` alone."""
        return Store(self.db_path)


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--config`` and ``--db`` to a command and turn expected errors into one-line exits."""

    @click.option(
        "--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG_PATH, show_default=True,
        help="The configuration file.",
    )
    @click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        default=None,
        help="The database (default: the config's, else ./candidates.db).",
    )
    @functools.wraps(func)
    def wrapper(config_path: Path, db_path: Path | None, **kwargs: Any) -> Any:
        explicit = click.get_current_context().get_parameter_source("config_path")
        env = Env(config_path, db_path, config_required=explicit == click.core.ParameterSource.COMMANDLINE)
        try:
            return func(env, **kwargs)
        except ConfigError as exc:
            raise BadConfig(str(exc)) from None
        except StoreError as exc:
            raise Failure(str(exc)) from None
        except sqlite3.Error as exc:
            # Every write is one transaction: whatever stopped here, the database holds all or none of it.
            raise Failure(f"{env.db_path}: database error: {exc}") from None
        except BrokenPipeError:
            # The reader of our output went away (`rsiwatch candidates | head`): nothing is wrong here.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise Failure(f"{where}{exc.strerror or exc}") from None

    return wrapper


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity as None: JSON has no NaN, and ``json.dumps`` would write one."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(json_safe(value), indent=2, ensure_ascii=False, default=str, allow_nan=False))


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None, *, compact: bool = False
) -> None:
    """A table on a terminal; piped or redirected, plain tab-separated lines with every value whole.

    rich fits a table to 80 columns when stdout is not a terminal, which cuts ids and titles: a
    pipeline (``rsiwatch candidates | cut -f2``) or an id copied from a log needs them entire.
    """
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        if compact:  # no vertical rules and no folding: one line per row at 80 columns (``status``)
            from rich import box

            table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        else:
            table = Table(title=title)
        for column in columns:
            table.add_column(column, overflow="fold", no_wrap=compact)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    # The title and the column names go to stderr: a person sees them, a pipeline gets only the rows.
    if title:
        click.echo(title, err=True)
    click.echo("\t".join(columns), err=True)
    for row in rows:
        click.echo("\t".join(" ".join(str(v).split()) for v in row))


def log_level(verbose: bool) -> int:
    """Commands print their own one-line outcomes; logs add detail only with -v (errors always show)."""
    return logging.INFO if verbose else logging.ERROR


def parse_day(value: str | None, option: str) -> str | None:
    """A ``YYYY-MM-DD`` option checked against the calendar (``2026-02-30`` is refused, not compared as text)."""
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadOption(option, value, "expected a date such as 2026-01-31")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadOption(option, value, "no such date") from None
    return value


def since_to_iso(since: str | None, option: str = "--since") -> str | None:
    """``7d`` / ``12h`` / an ISO date or time -> an ISO timestamp to compare with the store's."""
    if not since:
        return None
    if re.match(r"^\d{4}-\d{2}-\d{2}", since):
        if "T" not in since:
            return parse_day(since, option) + "T00:00:00Z"  # type: ignore[operator]
        try:
            datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise BadOption(option, since, "no such date and time (expected e.g. 2026-01-31T08:00Z)") from None
        return since
    try:
        seconds = parse_duration(since)
    except ValueError:
        raise BadOption(option, since, "expected a duration such as 7d or a date such as 2026-01-31") from None
    return iso_ago(seconds)


# Commands live in their own modules, one area each, imported when a command of theirs is named: a quick
# command (candidates, accept) does not load the crawler, the review page and the daemon.
COMMAND_MODULES = {
    "init": "commands_crawl",
    "crawl": "commands_crawl",
    "status": "commands_crawl",
    "daemon": "commands_daemon",
    "train": "commands_model",
    "score": "commands_model",
    "evaluate": "commands_model",
    "candidates": "commands_review",
    "accept": "commands_review",
    "reject": "commands_review",
    "defer": "commands_review",
    "out-of-scope": "commands_review",
    "undo": "commands_review",
    "catalog": "commands_review",
    "doctor": "commands_review",
    "sources": "commands_sources",
    "backfill": "commands_sources",
    "submit": "commands_sources",
    "tune": "commands_tune",
    "publish": "commands_publish",
    "serve": "commands_web",
    "review": "commands_web",
    "digest": "commands_web",
    "curator": "commands_curators",
    "rules": "commands_rules",
    "backup": "commands_backup",
    "vacuum": "commands_vacuum",
}


class LazyGroup(click.Group):
    """A group whose commands are registered by importing their module the first time one is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"rsiwatch.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rsiwatch")
def cli() -> None:
    """rsiwatch finds new examples of AI improving AI development in arXiv, newsletters and blogs,
    scores them, queues the promising ones for review, and keeps the catalog."""
    # An upgrade of the database (the backup's path, what a migration changed) is told on stderr, whatever
    # the command's log level: it happens once, and the operator must see it.
    set_upgrade_reporter(echo_to_stderr)


def main() -> None:
    cli.main(prog_name="rsiwatch")
