"""Logging to stderr or a file, one line per event: human by default, JSON lines on request."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from rsiwatch.config import Logging


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: Logging, *, level: int = logging.INFO) -> None:
    handler: logging.Handler = logging.FileHandler(settings.file) if settings.file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines() if settings.format == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler narrates every job at INFO; our own lines say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
