"""What a config reload changed in the sources both configs keep: the daemon's reload line names them
("changed source:a (every 1h -> 30m)"), not only the sources added and removed.  Pure: two configs in, words out."""

from __future__ import annotations

from rsiwatch.config import Config, Source

SCHEDULE_FIELDS = ("every", "cron")  # said with their old and new values; any other field by its name


def _schedule(source: Source, field: str) -> str:
    value = getattr(source, field)
    return "default" if value is None else str(value)


def source_changes(old: Config, new: Config) -> list[str]:
    """One phrase per source present and enabled in both configs whose settings differ, in the new
    config's order: its name, then each changed schedule field with both values and any other changed
    field by name ("source:news (every 1h -> 30m; url)")."""
    before = {s.name: s for s in old.sources if s.enabled}
    said = []
    for source in new.sources:
        was = before.get(source.name)
        if not source.enabled or was is None or was == source:
            continue
        changed = [name for name in type(source).model_fields if getattr(was, name) != getattr(source, name)]
        words = [
            f"{name} {_schedule(was, name)} -> {_schedule(source, name)}" if name in SCHEDULE_FIELDS else name
            for name in changed
        ]
        said.append(f"source:{source.name} ({'; '.join(words)})")  # named as the reload names its jobs
    return said
