"""The crawler's polite client with the database's memory of each host's last request.

Every process that fetches for a database (``crawl``, ``backfill``, the daemon) opens its client here, so
the spacing configured per host (per host group: all of arXiv) holds across processes, not only inside one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crawler.http import PoliteClient
from rsiwatch.config import Config
from rsiwatch.store.host_requests import HostRequestLog


class RememberingClient(PoliteClient):
    """A ``PoliteClient`` whose host spacing is read from and written to ``candidates.db``."""

    def __init__(self, config: Config, db_path: Path, **kwargs: Any) -> None:
        self.host_log = HostRequestLog(db_path)
        super().__init__(config.http.settings, config.politeness.settings, config.contact, memory=self.host_log,
                         **kwargs)

    def close(self) -> None:
        super().close()
        self.host_log.close()


@contextmanager
def polite_client(config: Config, db_path: Path, **kwargs: Any) -> Iterator[PoliteClient]:
    client = RememberingClient(config, db_path, **kwargs)
    try:
        yield client
    finally:
        client.close()
