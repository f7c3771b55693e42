"""docs/cli.md is generated from --help (the sqlite-utils habit) and must match the commands."""

from pathlib import Path

from rsiwatch.reference import render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_cli_reference_is_current() -> None:
    assert DOC.read_text() == render(), "docs/cli.md is stale: run `python -m rsiwatch.reference > docs/cli.md`"
