"""The tests' one way of waiting for an event (tests/waiting.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from waiting import wait_until


def test_it_returns_the_first_truthy_value() -> None:
    looks = iter([None, 0, "found"])
    assert wait_until(lambda: next(looks), "a value", deadline_s=60) == "found"


def test_a_process_that_exits_ends_the_wait_naming_it_and_the_log() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    # the deadline is an hour: the wait ends because the process exited, not because time ran out
    with pytest.raises(AssertionError, match=r"exited 3 while waiting for the crawl:\nlast words"):
        wait_until(lambda: False, "the crawl", deadline_s=3600, process=process, log=lambda: "last words")


def test_the_deadline_ends_the_wait_naming_what() -> None:
    with pytest.raises(AssertionError, match="gave up after 0 s waiting for nothing at all"):
        wait_until(lambda: False, "nothing at all", deadline_s=0.2)
