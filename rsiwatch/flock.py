"""An exclusive ``flock`` on a file beside the database, for work that must run once at a time.

``flock`` locks belong to an open file, so two threads that each open the file exclude each other as two
processes do; the kernel lets go when the holder's process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def beside(db_path: Path, suffix: str) -> Path:
    """``candidates.db<suffix>`` next to the database's real file (a symlink names the same one)."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + suffix)


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold ``path``'s lock for the block, waiting for any other holder (thread or process) first."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
