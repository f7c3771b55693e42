"""The daemon's reload line names what changed in the sources both configs keep (rsiwatch/source_changes.py)."""

from __future__ import annotations

from pathlib import Path

from cli_support import write_config

from rsiwatch.config import Config, load_config
from rsiwatch.source_changes import source_changes


def test_changed_sources_are_named_with_their_schedule_and_other_fields(tmp_path: Path) -> None:
    def config(name: str, sources: list[dict]) -> Config:
        return load_config(write_config(tmp_path / name, sources))

    feed = {"kind": "feed", "url": "https://example.org/feed"}
    old = config("old.yaml", [{"name": "a", **feed, "every": "1h"}, {"name": "b", **feed}, {"name": "c", **feed},
                              {"name": "off", **feed, "enabled": False}])
    new = config("new.yaml", [{"name": "c", **feed, "url": "https://example.org/other", "cron": "0 8 * * 1"},
                              {"name": "a", **feed, "every": "30m"}, {"name": "b", **feed},
                              {"name": "off", **feed, "every": "1m", "enabled": False}, {"name": "d", **feed}])
    assert source_changes(old, new) == ["source:c (url; cron default -> 0 8 * * 1)", "source:a (every 1h -> 30m)"]
    assert source_changes(new, new) == []
