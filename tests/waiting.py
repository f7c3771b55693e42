"""Waiting for an event in a test: look until it holds, with a generous deadline, and fail naming what
was awaited (and why: the process died, or the deadline passed).  Never a fixed sleep that counts what
happened in it: the pause between looks waits on the process's exit when there is one, so a dead daemon
is seen at once."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
LOOK_EVERY_S = 0.1  # how often to look; the deadline, not this, bounds the wait


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    deadline_s: float,
    process: subprocess.Popen[str] | subprocess.Popen[bytes] | None = None,
    log: Callable[[], str] = lambda: "",
) -> T:
    """``condition()``'s first truthy value; ``AssertionError`` naming ``what`` (with the tail of ``log()``)
    if ``process`` exits first or ``deadline_s`` passes."""
    give_up = time.monotonic() + deadline_s
    idle = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process exited {process.returncode} while waiting for {what}:\n{log()[-3000:]}")
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up after {deadline_s:.0f} s waiting for {what}:\n{log()[-3000:]}")
        if process is not None:
            try:
                process.wait(timeout=LOOK_EVERY_S)  # returns at once if it exits
            except subprocess.TimeoutExpired:
                pass
        else:
            idle.wait(LOOK_EVERY_S)
