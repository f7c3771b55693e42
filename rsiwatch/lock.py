"""One crawler per database: the daemon and ``rsiwatch crawl`` take the same lock, a file beside it.

An ``flock`` on ``candidates.db.lock``: the kernel releases it when the holder's process ends, however
it ends (SIGKILL and the OOM killer included), so a stale file never blocks anyone.  The file says who
holds it (pid, since when, which command), for the message of the one turned away.

The previous release's daemon locked ``candidates.db.daemon.lock`` instead.  During the transition both
names are taken, so a new ``crawl`` cannot run beside an old daemon still running (and an old daemon
started by mistake cannot run beside a new one); the old name can go once no 0.1 install is left.
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


def legacy_lock_path(db_path: Path) -> Path:
    """The lock the 0.1 daemon took (it wrote its bare pid there), beside the database's real file too."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".daemon.lock")


class HeldLock:
    """The held lock files; closing releases them (so does the end of the process, however it ends)."""

    def __init__(self, handle: IO[str], legacy: IO[str]) -> None:
        self.handle = handle
        self.legacy = legacy

    def close(self) -> None:
        self.legacy.close()
        self.handle.close()

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_holder(handle: IO[str], db_path: Path) -> str:
    """The refusal, naming the holder as it wrote itself into the file (pid, since when, which command)."""
    handle.seek(0)
    try:
        holder = json.loads(handle.read())
        return (f"another {holder['command']} is already running on {db_path} "
                f"(pid {holder['pid']} since {holder['since']})")
    except (ValueError, KeyError, TypeError):  # written by an older rsiwatch, or being written
        return f"another rsiwatch process is already running on {db_path}"


def describe_legacy_holder(handle: IO[str], db_path: Path) -> str:
    handle.seek(0)
    pid = handle.read().strip()
    return (f"an rsiwatch 0.1 daemon is still running on {db_path} (pid {pid or 'unknown'}, holding "
            f"{legacy_lock_path(db_path).name}); stop it or restart the service with the new release")


def _flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def take_lock(
    db_path: Path, command: str, *, wait: bool | float = False, on_wait: Callable[[str], None] | None = None
) -> HeldLock:
    """Hold the database's crawl lock (both its names) until the returned lock is closed (or the process
    ends).

    Raises ``LockHeld`` naming the holder, unless ``wait`` is set: then it tells ``on_wait`` who holds
    it, once, and waits for the lock: for at most ``wait`` seconds when it is a number (a crawl beside a
    daemon would otherwise wait for the daemon's whole life), then raises ``LockHeld`` saying so.
    """
    handle = open(lock_path(db_path), "a+")
    legacy = open(legacy_lock_path(db_path), "a+")
    told = False
    give_up = None if wait is True or wait is False else time.monotonic() + float(wait)
    while True:
        if _flock(handle):
            if _flock(legacy):
                break
            fcntl.flock(handle, fcntl.LOCK_UN)  # never hold one name while waiting for the other
            holder = describe_legacy_holder(legacy, db_path)
        else:
            holder = describe_holder(handle, db_path)
        if give_up is not None and time.monotonic() >= give_up:
            handle.close()
            legacy.close()
            raise LockHeld(f"gave up after waiting {float(wait):g} s: {holder}")
        if not wait:
            handle.close()
            legacy.close()
            raise LockHeld(holder)
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        time.sleep(WAIT_POLL_S)
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "since": utcnow(), "command": command}) + "\n")
    handle.flush()
    legacy.seek(0)
    legacy.truncate()
    legacy.write(str(os.getpid()))  # what a 0.1 daemon turned away prints as the holder
    legacy.flush()
    return HeldLock(handle, legacy)
