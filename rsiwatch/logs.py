"""Logging to stderr or a file, one line per event: human by default, JSON lines on request."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import threading
from datetime import UTC, datetime

from rsiwatch.config import Logging


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: Logging, *, level: int = logging.INFO) -> None:
    # A watched file is reopened when logrotate (or anyone) moves it away; SIGHUP reopens it too (daemon).
    handler: logging.Handler = (
        logging.handlers.WatchedFileHandler(settings.file) if settings.file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(
        JsonLines()
        if settings.format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler narrates every job at INFO; our own lines say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def reopen_log_files() -> None:
    """Reopen every log file now (the file may have been moved, copied or recreated)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.acquire()
            try:
                if handler.stream is not None:
                    handler.stream.close()
                handler.stream = handler._open()
                if isinstance(handler, logging.handlers.WatchedFileHandler):
                    handler._statstream()  # the new file is the one to watch
            finally:
                handler.release()
    logging.getLogger("rsiwatch.logs").info("log file reopened (SIGHUP)")


def reopen_log_files_soon() -> None:
    """For a signal handler: reopen on another thread, since the interrupted one may hold a handler's lock."""
    threading.Thread(target=reopen_log_files, name="rsiwatch-reopen-logs", daemon=True).start()
