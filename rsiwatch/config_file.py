"""Editing config.yaml in place, for the commands that change it (``sources add/remove/import``,
``curators``): the text read as it is (comments kept by the editors in ``source_list``), written back
atomically, a failure one line naming the file."""

from __future__ import annotations

from pathlib import Path

from rsiwatch.files import write_atomically


class ConfigFileError(Exception):
    """The config file cannot be read or written (one line, naming it)."""


def read_config_text(path: Path) -> str:
    """The file's text; an absent file is an empty config."""
    try:
        return path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.strerror}") from None


def write_config_text(path: Path, text: str) -> None:
    """Replace the file with ``text`` in one rename: a reader sees the old file or the new, never half."""
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot write: {exc.strerror}") from None
