"""A config.yaml emptied while the daemon runs is refused like any bad edit (found by a user walk).

An editor that truncates the file before writing it, or ``> config.yaml`` typed by mistake, left a file
with no settings; the daemon reloaded it as the defaults ("0 sources; removed source:a, ...") at info
level: every source stopped, and the threshold, rules and digest settings fell back to defaults.  A real
daemon process, a local feed, a real SQLite file; every wait is for an event, with a generous deadline.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from cli_support import run_json
from test_daemon import quick_project, start_daemon, stop_daemon, wait_until
from test_daemon_reload import FEED

from rsiwatch.config import ConfigError, load_config

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("text", ["", "\n", "# every line commented out\n# sources: []\n"])
def test_an_empty_config_is_refused_where_it_must_not_stand_for_the_defaults(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert load_config(path, required=True).sources == []  # a command given an empty file: the defaults
    with pytest.raises(ConfigError, match=r"config\.yaml: empty"):
        load_config(path, required=True, empty_ok=False)


def test_the_running_daemon_keeps_its_config_when_the_file_is_emptied(tmp_path: Path, local_server) -> None:
    local_server.add("/a", body=FEED)
    hits = lambda: len(local_server.hits("/a"))  # noqa: E731
    quick_project(tmp_path, [{"name": "a", "kind": "feed", "url": local_server.url + "/a", "every": "1s"}])
    good = (tmp_path / "config.yaml").read_text()
    daemon = start_daemon(tmp_path)
    log = lambda: (tmp_path / "daemon.stderr").read_text()  # noqa: E731
    refusals = lambda: [line for line in log().splitlines() if "config reload refused" in line]  # noqa: E731
    try:
        wait_until(lambda: hits() >= 2, "two fetches of a", tmp_path, daemon)
        for emptied in ("", "# sources: []\n"):
            before = len(refusals())
            (tmp_path / "config.yaml").write_text(emptied)
            daemon.send_signal(signal.SIGHUP)
            wait_until(lambda b=before: len(refusals()) > b, f"the refusal of {emptied!r}", tmp_path, daemon)
            at_refusal = hits()
            wait_until(lambda at=at_refusal: hits() >= at + 2, "a fetched on under the kept config", tmp_path, daemon)
        (tmp_path / "config.yaml").write_text(good)
        daemon.send_signal(signal.SIGHUP)
        wait_until(lambda: "config reloaded" in log(), "the good config reloaded", tmp_path, daemon)
    finally:
        exit_status = stop_daemon(daemon)
    assert exit_status == 0, log()
    assert all("config.yaml: empty" in line for line in refusals()), refusals()
    assert "removed source:a" not in log() and "Traceback" not in log(), log()
    assert run_json("status", cwd=tmp_path)["sources"]["a"]["state"] != "removed"
