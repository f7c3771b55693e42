"""One crawler per database: the daemon and ``rsiwatch crawl`` take the same lock, a file beside it.

An ``flock`` on ``candidates.db.lock``: the kernel releases it when the holder's process ends, however
it ends (SIGKILL and the OOM killer included), so a stale file never blocks anyone.  The file says who
holds it (pid, since when, which command), for the message of the one turned away.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rsiwatch.store import utcnow

WAIT_POLL_S = 0.5  # how often a waiting crawl tries the lock again


class LockHeld(Exception):
    """Another rsiwatch process crawls this database."""


def lock_path(db_path: Path) -> Path:
    """The lock beside the database's real file: a symlink to it, or another spelling of its path, names
    the same lock (a crawl through a symlink once ran beside the daemon)."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".lock")


def describe_holder(handle: IO[str], db_path: Path) -> str:
    """The refusal, naming the holder as it wrote itself into the file (pid, since when, which command)."""
    handle.seek(0)
    try:
        holder = json.loads(handle.read())
        return (f"another {holder['command']} is already running on {db_path} "
                f"(pid {holder['pid']} since {holder['since']})")
    except (ValueError, KeyError, TypeError):  # written by an older rsiwatch, or being written
        return f"another rsiwatch process is already running on {db_path}"


def take_lock(
    db_path: Path, command: str, *, wait: bool | float = False, on_wait: Callable[[str], None] | None = None
) -> IO[str]:
    """Hold the database's crawl lock until the returned file is closed (or the process ends).

    Raises ``LockHeld`` naming the holder, unless ``wait`` is set: then it tells ``on_wait`` who holds
    it, once, and waits for the lock: for at most ``wait`` seconds when it is a number (a crawl beside a
    daemon would otherwise wait for the daemon's whole life), then raises ``LockHeld`` saying so.
    """
    handle = open(lock_path(db_path), "a+")
    told = False
    give_up = None if wait is True or wait is False else time.monotonic() + float(wait)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if give_up is not None and time.monotonic() >= give_up:
                message = f"gave up after waiting {float(wait):g} s: {describe_holder(handle, db_path)}"
                handle.close()
                raise LockHeld(message) from None
            if not wait:
                message = describe_holder(handle, db_path)
                handle.close()
                raise LockHeld(message) from None
            if on_wait is not None and not told:
                on_wait(describe_holder(handle, db_path))
                told = True
            time.sleep(WAIT_POLL_S)
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "since": utcnow(), "command": command}) + "\n")
    handle.flush()
    return handle
