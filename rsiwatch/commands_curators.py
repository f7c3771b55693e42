"""``curator``: who may sign in on the review page (argon2 hashes in config.yaml's ``review.curators``)."""

from __future__ import annotations

import sys

import click

from rsiwatch.cli import Env, Failure, cli, common, emit_json
from rsiwatch.commands_sources import _config_text, _write_config
from rsiwatch.config import ConfigError
from rsiwatch.curators import add_curator_text, hash_password

MIN_PASSWORD = 8


@cli.group()
def curator() -> None:
    """Curators who sign in on the review page and sign their decisions."""


@curator.command(name="add")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin instead of prompting."
)
@common
def curator_add(env: Env, name: str, password_stdin: bool) -> None:
    """Add NAME (or set a new password): prompts for the password and writes its argon2 hash to the config."""
    name = name.strip()
    if not name or len(name) > 100 or any(c in name for c in ":\n\r\t"):
        raise click.BadParameter("expected 1 to 100 characters, no colon, tab or line break", param_hint="NAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    if len(password) < MIN_PASSWORD:
        raise Failure(f"password too short: at least {MIN_PASSWORD} characters")
    text = _config_text(env)
    try:
        edited = add_curator_text(text, name, hash_password(password))
    except ConfigError as exc:
        raise Failure(f"{env.config_path}: {exc}") from None
    _write_config(env, edited)
    known = name in env.config.review.curators
    click.echo(
        f"{'updated' if known else 'added'} curator {name} in {env.config_path}; "
        "a running `rsiwatch serve` keeps its old settings until it is restarted; once restarted (or "
        "started), the review page asks curators to sign in",
        err=True,
    )


@curator.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def curator_list(env: Env, as_json: bool) -> None:
    """The curators who may sign in (names only)."""
    names = sorted(env.config.review.curators)
    if as_json:
        emit_json(names)
        return
    click.echo("\n".join(names) if names else "no curators: the review page is open on loopback only", err=not names)
