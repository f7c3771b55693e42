"""Issue 17, running it for months: exit statuses cron can use, one crawler per database, logs that
rotate, bounded growth, no orphan processes.  The real CLI and daemon in subprocesses, a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer, Response
from test_prefetch import RSS, feed
from waiting import wait_until

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
DEADLINE_S = 60.0
QUICK = {"jitter_s": 0.1, "retrain_every": None, "digest_every": None}


def wait_for(condition: Callable[[], object], what: str, deadline_s: float = DEADLINE_S) -> object:
    """``condition``'s first truthy value, or fail naming ``what``."""
    return wait_until(condition, what, deadline_s=deadline_s)


def start(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", *args], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )


def stop(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def lock_holder(project: Path) -> dict | None:
    try:
        return json.loads((project / "candidates.db.lock").read_text())
    except (OSError, ValueError):
        return None


# Exit statuses ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_crawl_exits_1_when_every_source_failed_and_0_when_one_succeeded(tmp_path: Path, local_server) -> None:
    local_server.add("/ok", (FIXTURES / "newsletter.xml").read_bytes(), headers=RSS)
    local_server.add("/broken", handler=lambda request: Response(500, b"oops"))
    dead = f"http://127.0.0.1:{local_server.port}/gone"  # 404
    write_config(tmp_path / "config.yaml", [
        {"name": "broken", "kind": "feed", "url": local_server.url + "/broken"},
        {"name": "gone", "kind": "feed", "url": dead},
    ])
    run_cli("init", cwd=tmp_path)
    failed = run_cli("crawl", cwd=tmp_path, check=False)
    assert failed.returncode == 1, failed.stderr
    assert failed.stdout == ""  # cron's `2>>crawl.log` gets everything
    lines = failed.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["✗ broken", "✗ gone"], lines
    assert lines[-1].startswith("crawled 2 sources (2 failed)") and len(lines) == 3, lines

    nothing_due = run_cli("crawl", cwd=tmp_path, check=False)  # both back off: nothing is due
    assert nothing_due.returncode == 0 and "no source is due" in nothing_due.stderr

    write_config(tmp_path / "config.yaml", [
        {"name": "broken", "kind": "feed", "url": local_server.url + "/broken"},
        {"name": "ok", "kind": "feed", "url": local_server.url + "/ok"},
    ])
    mixed = run_cli("crawl", "--all", cwd=tmp_path, check=False)
    assert mixed.returncode == 0, mixed.stderr
    assert "✗ broken" in mixed.stderr and "✓ ok" in mixed.stderr and "(1 failed)" in mixed.stderr


# One crawler per database -----------------------------------------------------------------------------

@pytest.mark.slow
def test_crawl_is_refused_while_the_daemon_holds_the_database_and_waits_with_wait(tmp_path: Path, local_server) -> None:
    local_server.add("/feed", (FIXTURES / "newsletter.xml").read_bytes(), headers=RSS)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "news", "kind": "feed", "url": local_server.url + "/feed", "every": "1h"}],
        schedule=QUICK,
    )
    run_cli("init", cwd=tmp_path)
    daemon = start(tmp_path, "daemon")
    try:
        holder = wait_for(lambda: lock_holder(tmp_path), "the daemon's lock")
        assert holder["pid"] == daemon.pid and holder["command"] == "rsiwatch daemon"
        wait_for(lambda: local_server.hits("/feed"), "the daemon's first crawl")

        refused = run_cli("crawl", "--all", cwd=tmp_path, check=False)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            f"rsiwatch: another rsiwatch daemon is already running on candidates.db "
            f"(pid {daemon.pid} since {holder['since']})"
        )
        assert len(local_server.hits("/feed")) == 1  # the refused crawl fetched nothing

        waiting = start(tmp_path, "crawl", "--all", "--wait")
        try:
            assert waiting.stderr is not None
            assert waiting.stderr.readline().startswith("waiting: another rsiwatch daemon is already running")
            stopped_at = time.monotonic()
            assert stop(daemon) == 0
            assert waiting.wait(timeout=DEADLINE_S) == 0, waiting.stderr.read() if waiting.stderr else ""
        finally:
            stop(waiting)
        fetches = local_server.hits("/feed")
        assert len(fetches) == 2 and fetches[1].time >= stopped_at  # it crawled once the daemon had gone
    finally:
        stop(daemon)

    # A holder killed outright leaves no stale lock: the kernel releases it with the process.
    killed = start(tmp_path, "daemon")
    try:
        wait_for(lambda: (lock_holder(tmp_path) or {}).get("pid") == killed.pid, "the second daemon's lock")
        killed.kill()
        killed.wait(timeout=DEADLINE_S)
    finally:
        stop(killed)
    assert run_cli("crawl", "--all", cwd=tmp_path, check=False).returncode == 0


@pytest.mark.slow
def test_two_crawls_do_not_overlap(tmp_path: Path, local_server) -> None:
    """A crawl holds the lock (its server answers only when the test says so); a second one started
    meanwhile is refused, naming it."""
    release = threading.Event()

    def held(request: object) -> Response:
        release.wait(DEADLINE_S)
        return Response(200, (FIXTURES / "newsletter.xml").read_bytes(), RSS)

    local_server.add("/slow", handler=held)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "slow", "kind": "feed", "url": local_server.url + "/slow"}],
        http={"connect_timeout_s": 5, "read_timeout_s": 90, "total_timeout_s": 120, "retries": 0},
    )
    run_cli("init", cwd=tmp_path)
    first = start(tmp_path, "crawl")
    try:
        wait_for(lambda: local_server.hits("/slow"), "the first crawl's fetch")
        second = run_cli("crawl", "--all", cwd=tmp_path, check=False)
        assert second.returncode == 1
        assert f"another rsiwatch crawl is already running on candidates.db (pid {first.pid} since" in second.stderr
        release.set()
        assert first.wait(timeout=DEADLINE_S) == 0
    finally:
        stop(first)
    assert len(local_server.hits("/slow")) == 1


# Logs that rotate -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_daemon_log_file_is_reopened_when_moved_and_on_sighup(tmp_path: Path, local_server) -> None:
    local_server.add("/feed", (FIXTURES / "newsletter.xml").read_bytes(), headers=RSS)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "news", "kind": "feed", "url": local_server.url + "/feed", "every": "1s"}],
        schedule=QUICK,
    )
    run_cli("init", cwd=tmp_path)
    log = tmp_path / "daemon.log"
    daemon = start(tmp_path, "daemon", "--log-file", str(log))
    try:
        wait_for(lambda: log.exists() and "news:" in log.read_text(), "a crawl logged")
        log.rename(tmp_path / "daemon.log.1")  # what logrotate does
        wait_for(lambda: log.exists() and "news:" in log.read_text(), "a crawl logged to a new daemon.log")

        log.rename(tmp_path / "daemon.log.2")
        daemon.send_signal(signal.SIGHUP)  # logrotate's postrotate
        wait_for(lambda: log.exists() and "log file reopened (SIGHUP)" in log.read_text(), "the reopen logged")
        assert daemon.poll() is None
        assert stop(daemon) == 0
    finally:
        stop(daemon)
    assert "news:" in (tmp_path / "daemon.log.1").read_text()
    assert "stopped" in log.read_text()


# No orphans -------------------------------------------------------------------------------------------


def children_of(pid: int) -> dict[int, str]:
    """Processes whose parent is ``pid``, with their command lines."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out[int(entry.name)] = cmdline
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_a_crawl_killed_mid_parse_leaves_no_process_behind(tmp_path: Path, local_server: LocalServer) -> None:
    sources = []
    for number in range(6):  # big feeds: each takes the parse worker a while
        url = local_server.add(f"/big{number}.xml", feed(number, 4000), headers=RSS)
        sources.append({"name": f"big{number}", "kind": "feed", "url": url})
    write_config(
        tmp_path / "config.yaml",
        sources,
        http={"connect_timeout_s": 5, "read_timeout_s": 30, "total_timeout_s": 60, "retries": 0},
    )
    run_cli("init", cwd=tmp_path)
    crawl = start(tmp_path, "crawl")
    try:

        def parsing_worker() -> int | None:
            for pid, cmdline in children_of(crawl.pid).items():
                if "resource_tracker" not in cmdline and "multiprocessing" in cmdline and cpu_seconds(pid) > 1.0:
                    return pid
            return None

        # Evidence, not a sleep: a parse worker that has spent a second of CPU on the feeds.
        wait_for(parsing_worker, "a parse worker busy parsing")
        started = children_of(crawl.pid)
        assert any("resource_tracker" in c for c in started.values()), started
        crawl.kill()
        crawl.wait(timeout=DEADLINE_S)
        try:
            wait_for(lambda: not any(alive(pid) for pid in started), f"{started} to exit after their parent's death")
        finally:
            for pid in filter(alive, started):  # leave no orphan behind even when the test fails
                os.kill(pid, signal.SIGKILL)
    finally:
        if crawl.poll() is None:
            crawl.kill()


# Bounded growth ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_retention_folds_old_fetches_and_prunes_model_blobs_but_never_decisions_or_the_active_model(
    tmp_path: Path, local_server
) -> None:
    local_server.add("/feed", (FIXTURES / "newsletter.xml").read_bytes(), headers=RSS)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "news", "kind": "feed", "url": local_server.url + "/feed"}],
        retention={"fetches": "30d", "models": 1},
    )
    run_cli("init", cwd=tmp_path)
    for _ in range(3):
        run_cli("crawl", "--all", cwd=tmp_path)  # the first crawl trains model 1
    queue = json.loads(run_cli("candidates", "--status", "all", "--limit", "5", "--json", cwd=tmp_path).stdout)
    for work in queue[:2]:
        run_cli("accept", work["canonical_id"], cwd=tmp_path)
    for _ in range(3):  # three more versions from the real classifier
        run_cli("train", cwd=tmp_path)
    for _ in range(2):  # rollbacks: the active version is older than the newest one
        run_cli("train", "--rollback", cwd=tmp_path)
    db = sqlite3.connect(tmp_path / "candidates.db")
    versions = [v for (v,) in db.execute("SELECT version FROM models ORDER BY version")]
    assert len(versions) == 4
    active = versions[1]
    assert db.execute("SELECT version FROM models WHERE active = 1").fetchone()[0] == active
    # Age the first two fetches past retention.fetches (the crawls wrote them just now).
    db.execute("UPDATE fetches SET started_at = '2020-01-0' || id || 'T00:00:00.000Z' WHERE id <= 2")
    db.commit()
    totals_before = db.execute("SELECT COUNT(*), SUM(items) FROM fetches").fetchone()
    decisions_before = db.execute("SELECT * FROM decisions ORDER BY id").fetchall()
    catalog_before = db.execute("SELECT * FROM catalog ORDER BY id").fetchall()
    active_blob = db.execute("SELECT blob FROM models WHERE active = 1").fetchone()[0]

    run_cli("crawl", cwd=tmp_path)  # nothing due; retention applies anyway

    assert db.execute("SELECT COUNT(*) FROM fetches WHERE started_at < '2021'").fetchone()[0] == 0
    summary = db.execute(
        "SELECT fetches, items, first_started_at, last_started_at FROM fetch_summaries WHERE source = 'news'"
    ).fetchone()
    assert summary[0] == 2 and summary[2:] == ("2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z")
    kept = db.execute("SELECT COUNT(*), SUM(items) FROM fetches").fetchone()
    assert (kept[0] + summary[0], kept[1] + summary[1]) == tuple(totals_before)

    blobs = {v: n for v, n in db.execute("SELECT version, length(blob) FROM models")}
    assert {v for v, n in blobs.items() if n} == {active, versions[-1]}
    assert db.execute("SELECT blob FROM models WHERE active = 1").fetchone()[0] == active_blob
    assert db.execute("SELECT * FROM decisions ORDER BY id").fetchall() == decisions_before
    assert db.execute("SELECT * FROM catalog ORDER BY id").fetchall() == catalog_before
    refused = run_cli("train", "--rollback", cwd=tmp_path, check=False)  # to versions[0]: pruned
    assert refused.returncode == 1 and f"model version {versions[0]} was pruned" in refused.stderr
    # The active model still scores.
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps({"id": "x", "title": "Neural architecture search by reinforcement learning", "summary": ""}) + "\n"
    )
    assert json.loads(run_cli("score", str(items), cwd=tmp_path).stdout.splitlines()[0])["id"] == "x"


# README's unit, cron line and first command -------------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"
OPERATIONS = README.parent / "docs" / "operations.md"  # README's "Running it for real" points here
# `systemd-analyze security` rates the unit at most this exposed (README's unit before issue 21: 8.5 EXPOSED).
MAX_EXPOSURE = 3.0


def readme_block(after: str, language: str, doc: Path = README) -> str:
    """The first ```language block after the line containing ``after`` in README.md (or ``doc``)."""
    text = doc.read_text()
    start = text.index(f"```{language}\n", text.index(after)) + len(f"```{language}\n")
    return text[start : text.index("```", start)]


def test_readme_systemd_unit_is_sound_and_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = readme_block("## As a service", "ini", OPERATIONS)
    settings = [line.strip() for line in unit.splitlines() if "=" in line]
    for required in (
        "Wants=network-online.target",
        "After=network-online.target",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=rsiwatch",
        "ReadWritePaths=/var/lib/rsiwatch",
        # Issue 21: a config error (exit 2) is not restarted every 30 s forever; the cheap hardening.
        "RestartPreventExitStatus=2",
        "UMask=0027",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "PrivateDevices=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "LockPersonality=yes",
        "RestrictRealtime=yes",
        "SystemCallFilter=@system-service",
        "CapabilityBoundingSet=",
    ):
        assert required in settings, required
    assert any(s.startswith("User=") for s in settings) and any(s.startswith("Group=") for s in settings)
    assert "--db /var/lib/rsiwatch/candidates.db" in unit  # the database lives where the unit may write
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed")
    # The only change: ExecStart names this checkout's rsiwatch, since verify checks that it is executable.
    here = Path(sys.executable).parent / "rsiwatch"
    (tmp_path / "rsiwatch.service").write_text(unit.replace("/srv/rsiwatch/.venv/bin/rsiwatch", str(here)))
    result = subprocess.run(
        [verify, "verify", str(tmp_path / "rsiwatch.service")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_service_unit_rates_below_the_exposure_bound_in_systemd_analyze_security(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = readme_block("## As a service", "ini", OPERATIONS)
    (tmp_path / "rsiwatch.service").write_text(unit)
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(tmp_path / "rsiwatch.service")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "--offline" in result.stderr and "unrecognized" in result.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 250)")
    found = re.search(r"Overall exposure level for rsiwatch\.service: ([0-9.]+)", result.stdout + result.stderr)
    assert found, result.stdout[-2000:] + result.stderr[-2000:]
    assert float(found.group(1)) < MAX_EXPOSURE, result.stdout


def test_readme_cron_line_and_first_command_and_ci_agree() -> None:
    cron = readme_block("## Or cron", "cron", OPERATIONS)
    assert "flock" not in cron and "rsiwatch crawl 2>>crawl.log ||" in cron
    first = readme_block("## Two commands", "sh").strip()
    setup, _, rest = first.partition(" && .venv/bin/rsiwatch init")
    assert rest.endswith(" && .venv/bin/rsiwatch crawl; .venv/bin/rsiwatch candidates")  # the queue even offline
    ci = (README.parent / ".ci" / "run").read_text()
    assert setup + "\n" in ci and "rsiwatch crawl" not in ci
