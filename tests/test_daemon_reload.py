"""Issue 21: config changes reach a running daemon.

A real daemon process, local feeds, a real SQLite file.  `sources add` / `remove` while it runs, then
SIGHUP: the new source is fetched and the removed one no longer is; a bad config is refused in one log
line and the running one kept; a change of the file without a signal is noticed too; SIGHUP still reopens
a log file moved away by logrotate.  Every wait is for an event, with a generous deadline.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_support import run_cli, run_json
from test_daemon import DEADLINE_S, quick_project, stop_daemon
from waiting import wait_until

pytestmark = pytest.mark.slow  # every test here runs the command line or a daemon as processes

FEED = (Path(__file__).parent / "fixtures" / "e2e" / "newsletter.xml").read_bytes()


def logged(project: Path) -> str:
    return "".join(p.read_text() for p in (project / "daemon.log.1", project / "daemon.log") if p.exists())


def wait_for(condition: Callable[[], bool], what: str, project: Path, daemon: subprocess.Popen[str]) -> None:
    wait_until(condition, what, deadline_s=DEADLINE_S, process=daemon, log=lambda: logged(project))


def test_sources_added_and_removed_reach_the_running_daemon_and_a_bad_config_is_refused(
    tmp_path: Path, local_server
) -> None:
    for name in ("a", "b", "c"):
        local_server.add(f"/{name}", body=FEED)
    hits = lambda name: len(local_server.hits(f"/{name}"))  # noqa: E731
    quick_project(tmp_path, [{"name": "a", "kind": "feed", "url": local_server.url + "/a", "every": "1s"}])
    daemon = subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", "daemon", "--log-file", "daemon.log"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for(lambda: hits("a") >= 2, "two fetches of a", tmp_path, daemon)

        # logrotate moves the file away and sends SIGHUP: a new file is opened (and the config reloaded).
        (tmp_path / "daemon.log").rename(tmp_path / "daemon.log.1")
        run_cli(
            "sources", "add", "b", "--kind", "feed", "--url", local_server.url + "/b", "--every", "1s", cwd=tmp_path
        )
        run_cli("sources", "remove", "a", cwd=tmp_path)
        daemon.send_signal(signal.SIGHUP)
        # The file watch may have reloaded after `add` already; either way a reload removes a.
        reloads = lambda: [line for line in logged(tmp_path).splitlines() if "config reloaded" in line]  # noqa: E731
        wait_for(
            lambda: any("removed source:a" in line for line in reloads()), "the reload removing a", tmp_path, daemon
        )
        a_at_reload = hits("a")
        wait_for(lambda: hits("b") >= 3, "three fetches of the added source", tmp_path, daemon)
        assert "log file reopened" in (tmp_path / "daemon.log").read_text()
        # In the time b was fetched three times, every second, a (every second too) was not fetched again
        # (one fetch under way at the reload may finish).
        assert hits("a") <= a_at_reload + 1, (hits("a"), a_at_reload)
        assert any("added source:b;" in line for line in reloads()), reloads()
        assert any("(SIGHUP)" in line for line in reloads()), reloads()
        status = run_json("status", cwd=tmp_path)["sources"]
        assert status["b"]["last_success"] and status["b"]["next_run"]
        assert status["a"]["state"] == "removed" and status["a"]["next_run"] is None

        # A config that does not load: one line, the running config kept.
        good = (tmp_path / "config.yaml").read_text()
        (tmp_path / "config.yaml").write_text(good.replace("every: 1s", "every: soon"))
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload refused" in logged(tmp_path), "the refusal", tmp_path, daemon)
        b_at_refusal = hits("b")
        wait_for(lambda: hits("b") >= b_at_refusal + 2, "b fetched on under the kept config", tmp_path, daemon)
        refusals = [line for line in logged(tmp_path).splitlines() if "config reload refused" in line]
        # One line per look at the bad file: the signal's, and the file watch's if it looked first (never
        # again on every poll while the file stays bad).
        assert 1 <= len(refusals) <= 2 and all("config.yaml" in r and "every" in r for r in refusals), refusals

        # An edit without a signal is noticed too (the daemon watches the file).
        config = yaml.safe_load(good)
        config["sources"].append({"name": "c", "kind": "feed", "url": local_server.url + "/c", "every": "1s"})
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        wait_for(lambda: hits("c") >= 1, "the source added by editing the file", tmp_path, daemon)
    finally:
        exit_status = stop_daemon(daemon)
    assert exit_status == 0, logged(tmp_path)
    assert "Traceback" not in logged(tmp_path)


def test_a_reload_that_changes_only_a_schedule_names_the_source_and_what_changed(tmp_path: Path, local_server) -> None:
    """A user walk: a reload that changed only sources' `every` logged "added none; removed none" and
    nothing of what had changed."""
    local_server.add("/a", body=FEED)
    local_server.add("/b", body=FEED)
    hits = lambda name: len(local_server.hits(f"/{name}"))  # noqa: E731
    quick_project(tmp_path, [{"name": "a", "kind": "feed", "url": local_server.url + "/a", "every": "1h"},
                             {"name": "b", "kind": "feed", "url": local_server.url + "/b", "every": "1h"}])
    daemon = subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", "daemon", "--log-file", "daemon.log"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        wait_for(lambda: hits("a") >= 1 and hits("b") >= 1, "the first fetch of each source", tmp_path, daemon)
        config = yaml.safe_load((tmp_path / "config.yaml").read_text())
        config["sources"][0]["every"] = "1s"
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        daemon.send_signal(signal.SIGHUP)
        reloads = lambda: [line for line in logged(tmp_path).splitlines() if "config reloaded" in line]  # noqa: E731
        wait_for(lambda: bool(reloads()), "the reload", tmp_path, daemon)
        wait_for(lambda: hits("a") >= 3, "a fetched on its new schedule", tmp_path, daemon)
    finally:
        exit_status = stop_daemon(daemon)
    assert exit_status == 0, logged(tmp_path)
    # The file watch may reload too, after the signal's reload: that one changes nothing.
    assert reloads()[0].endswith("added none; removed none; changed source:a (every 1h -> 1s)"), reloads()
    assert all(line.endswith("changed none") for line in reloads()[1:]), reloads()
    assert hits("b") == 1
