"""Every command has help text (the sqlite-utils habit), and --help never needs a config or database."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from rsiwatch.cli import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
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
        command = command.commands[part]
    assert command.help and len(command.help.strip()) > 15, f"{' '.join(path)} has no help text"
