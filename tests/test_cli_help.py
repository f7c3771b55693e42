"""Every command has help text (the sqlite-utils habit), and --help never needs a config or database."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from rsiwatch.cli import cli


def subcommand(group: click.Group, name: str) -> click.Command:
    command = group.get_command(click.Context(group), name)
    assert command is not None, name
    return command


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name in group.list_commands(click.Context(group)):
        command = subcommand(group, name)
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*prefix, name)))
    return found


def test_the_design_commands_exist() -> None:
    names = {" ".join(c) for c in all_commands(cli)}
    for expected in ("init", "crawl", "status", "candidates", "accept", "reject", "defer", "catalog export",
                     "catalog import", "train", "tune", "score", "evaluate"):
        assert expected in names


@pytest.mark.parametrize("path", all_commands(cli), ids=lambda p: " ".join(p))
def test_every_command_has_help(path: tuple[str, ...], tmp_path) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = cli
    for part in path:
        command = subcommand(command, part)
    assert command.help and len(command.help.strip()) > 15, f"{' '.join(path)} has no help text"


def test_every_registered_command_is_listed_where_it_lives() -> None:
    """COMMAND_MODULES names each command's module: every module's commands, and nothing else."""
    import importlib

    from rsiwatch.cli import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"rsiwatch.{module}")
    registered = {
        name: command.callback.__module__ if command.callback else "" for name, command in cli.commands.items()
    }
    assert set(registered) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        if not isinstance(cli.commands[name], click.Group):
            assert registered[name] == f"rsiwatch.{module}", name


def test_a_quick_command_loads_neither_the_crawler_nor_the_review_page(tmp_path) -> None:
    import subprocess
    import sys

    from rsiwatch.store import Store

    Store(tmp_path / "c.db").close()  # `candidates` only reads: the database must exist
    script = (
        "import sys\n"
        "from rsiwatch.cli import cli\n"
        f"cli.main(['candidates', '--json', '--db', {str(tmp_path / 'c.db')!r}, '--config', "
        f"{str(tmp_path / 'none.yaml')!r}],"
        " standalone_mode=False)\n"
        "print(sorted(m for m in ('flask', 'bs4', 'feedparser', 'httpx2', 'apscheduler', 'numpy') if m in "
        "sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
