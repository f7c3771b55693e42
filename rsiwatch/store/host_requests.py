"""Each host's last request time in ``candidates.db``: the crawler's ``LastRequestStore``.

The crawler keeps hosts apart inside one process; this table carries the last request to the next
process (a second ``crawl --source``, a backfill resumed after a kill).  It has its own connection because
the polite client may run on the prefetch thread while the crawl's thread holds a write transaction on the
store's: a write that finds the database busy is kept and written with the next one (or on ``close``),
so a fetch never waits on the store, and a fetch never fails for it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

# Long enough to queue behind a crawl's short write transaction, short enough that a fetch never stalls.
WRITE_BUSY_TIMEOUT_S = 0.2


class HostRequestLog:
    """``crawler.politeness.LastRequestStore`` over the ``host_requests`` table (schema migration 12)."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(db_path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pending: dict[str, float] = {}  # times not written yet (the database was busy)
        self._seen: dict[str, float] = {}  # this process's latest time per key

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, timeout=WRITE_BUSY_TIMEOUT_S, isolation_level=None,
                                         check_same_thread=False)
            # Twice a request: no disk sync each time (a power cut forgets a few seconds of spacing at worst).
            self._conn.execute("PRAGMA synchronous = NORMAL")
        return self._conn

    def last_request(self, key: str) -> float | None:
        with self._lock:
            ours = self._seen.get(key)
            try:
                row = self._connection().execute("SELECT last_at FROM host_requests WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
        theirs = float(row[0]) if row else None
        known = [t for t in (ours, theirs) if t is not None]
        return max(known) if known else None

    def note_request(self, key: str, at: float) -> None:
        with self._lock:
            self._seen[key] = max(at, self._seen.get(key, at))
            self._pending[key] = self._seen[key]
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        try:
            self._connection().executemany(
                "INSERT INTO host_requests (key, last_at) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET last_at = MAX(last_at, excluded.last_at)",
                list(self._pending.items()),
            )
        except sqlite3.Error:
            return  # busy (or read-only): kept for the next write
        self._pending.clear()

    def close(self) -> None:
        """Write what is still pending (waiting for the database this time), then let go of it."""
        with self._lock:
            if self._conn is not None:
                if self._pending:
                    self._conn.execute(f"PRAGMA busy_timeout = {30_000}")
                    self._flush()
                self._conn.close()
                self._conn = None
