"""Issue 21: upgrades are safe and visible.

A database as the previous release left it (schema 8, built by replaying the old migrations), commands
started together on it, a backup taken before the migration and an account of what it changed, a daemon
of an older release meeting a newer schema, the 0.1 lock name, notes that 0.1 copied into descriptions.
"""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import run_cli
from click.testing import CliRunner
from store_support import database_at_schema
from test_daemon import DEADLINE_S, daemon_log, quick_project, start_daemon, stop_daemon, wait_until

from rsiwatch.cli import cli
from rsiwatch.store import SchemaTooNew, Store
from rsiwatch.store.schema import MIGRATIONS

PREVIOUS_SCHEMA = 8  # 0.1: before one truth per work (9) and the external-content search index (10)
FEED = (Path(__file__).parent / "fixtures" / "e2e" / "newsletter.xml").read_bytes()


def previous_release_database(path: Path) -> None:
    """A small 0.1 database: an accepted work in the catalog, and a rejected one still in it (0.1 let a
    decision and the catalog disagree; migration 9 withdraws such an entry)."""
    conn = database_at_schema(path, PREVIOUS_SCHEMA)
    config = path.parent / "config.yaml"
    if not config.exists():  # the release's install had one (a command without it refuses: issue 20)
        config.write_text("contact: ops@example.org\n")
    works = [("arxiv:2501.00001", "Learned optimizers that train themselves", "accepted"),
             ("arxiv:2501.00002", "A rejected paper that stayed listed", "rejected")]
    for work_id, title, status in works:
        conn.execute(
            "INSERT INTO works (id, title, summary, url, first_seen, last_seen, status) "
            "VALUES (?, ?, '', ?, '2025-01-01', '2025-01-01', ?)",
            (work_id, title, "https://arxiv.org/abs/" + work_id[6:], status),
        )
        conn.execute(
            "INSERT INTO decisions (work_id, action, decided_at) VALUES (?, ?, '2025-01-02')",
            (work_id, "accept" if status == "accepted" else "reject"),
        )
        conn.execute(
            "INSERT INTO catalog (work_id, title, origin, added_at) VALUES (?, ?, 'accept', '2025-01-02')",
            (work_id, title),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@pytest.mark.slow
def test_commands_started_together_on_a_previous_release_database_all_succeed(tmp_path: Path) -> None:
    """0.1 -> 0.2 with three commands racing: one failed in 8 runs of 10 ("duplicate column name: doc")."""
    for round_ in range(4):
        project = tmp_path / f"round{round_}"
        project.mkdir()
        previous_release_database(project / "candidates.db")
        commands = [["status", "--json"], ["candidates", "--json", "--status", "all"], ["doctor"]]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "rsiwatch", *args],
                cwd=project,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for args in commands
        ]
        outputs = [(p.args, *p.communicate(timeout=300), p.returncode) for p in procs]
        for args, _out, err, code in outputs:
            assert "duplicate column" not in err and "Traceback" not in err, (args, err)
            # doctor exits 0 here: the migration brought catalog and decisions into agreement.
            assert code == 0, (args, err)
        with sqlite3.connect(project / "candidates.db") as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Exactly one of them migrated: one backup, and one account of the upgrade, on its stderr.
        backups = sorted(project.glob(f"candidates.db.schema{PREVIOUS_SCHEMA}-*.bak"))
        assert len(backups) == 1, backups
        told = [err for *_rest, err, _code in outputs if "upgraded the schema" in err]
        assert len(told) == 1, [o[2] for o in outputs]
        assert f"from version {PREVIOUS_SCHEMA} to {len(MIGRATIONS)}" in told[0] and str(backups[0].name) in told[0]
        assert "withdrew 1 catalog entry whose" in told[0] and "A rejected paper that stayed listed" in told[0], told[0]
        # The backup is the database exactly as 0.1 left it, and opens on its own.
        with sqlite3.connect(backups[0]) as old:
            assert old.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS_SCHEMA
            assert old.execute("SELECT COUNT(*) FROM catalog").fetchone()[0] == 2
            assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_command_copies_online_while_another_process_writes(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        store.models.set_setting("probe", {"n": 0}, "test")
    # A writer in another process holds write transactions again and again while the backup runs.
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"""
import sqlite3, time
conn = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=30)
for n in range(1, 100000):
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO settings (key, value, set_at) VALUES ('probe', ?, 'now')", (str(n),))
    conn.execute("COMMIT")
""",
        ]
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while sqlite3.connect(db, timeout=30).execute("SELECT COUNT(*) FROM settings").fetchone()[0] < 50:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy.db"), "--db", str(db)], catch_exceptions=False)
    finally:
        writer.kill()
        writer.wait()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM settings").fetchone()[0] >= 50
    again = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy.db"), "--db", str(db)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.slow
def test_a_daemon_meeting_a_newer_schema_exits_3_once_and_commands_say_so_in_one_line(
    tmp_path: Path, local_server
) -> None:
    local_server.add("/feed", body=FEED)
    quick_project(tmp_path, [{"name": "news", "kind": "feed", "url": local_server.url + "/feed", "every": "1s"}])
    daemon = start_daemon(tmp_path)
    try:
        wait_until(lambda: len(local_server.hits("/feed")) >= 1, "a first fetch", tmp_path, daemon)
        # A newer release migrates the database under the running daemon.
        with sqlite3.connect(tmp_path / "candidates.db", timeout=30) as conn:
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        daemon.wait(timeout=DEADLINE_S)
    finally:
        if daemon.poll() is None:
            stop_daemon(daemon)
    assert daemon.returncode == 3, daemon_log(tmp_path)
    log = daemon_log(tmp_path)
    assert log.count("newer than this rsiwatch") == 1 and "Traceback" not in log, log
    # Started again with the old code, it exits 3 at once, in one line.
    again = run_cli("daemon", cwd=tmp_path, check=False)
    assert again.returncode == 3 and len(again.stderr.strip().splitlines()) == 1, again.stderr
    for args in (["status"], ["candidates"], ["crawl"]):
        proc = run_cli(*args, cwd=tmp_path, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "newer than this rsiwatch" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (
            args,
            proc.stderr,
        )


@pytest.mark.slow
def test_the_0_1_lock_name_is_honoured_both_ways(tmp_path: Path, local_server) -> None:
    local_server.add("/feed", body=FEED)
    quick_project(tmp_path, [{"name": "news", "kind": "feed", "url": local_server.url + "/feed", "every": "1d"}])
    # An 0.1 daemon: an flock on candidates.db.daemon.lock, its pid written there.
    old = open(tmp_path / "candidates.db.daemon.lock", "a+")
    fcntl.flock(old, fcntl.LOCK_EX | fcntl.LOCK_NB)
    old.write("4242")
    old.flush()
    try:
        crawl = run_cli("crawl", cwd=tmp_path, check=False)
        assert crawl.returncode == 1 and "rsiwatch 0.1 daemon is still running" in crawl.stderr, crawl.stderr
        assert "4242" in crawl.stderr and local_server.hits("/feed") == []
    finally:
        old.close()
    # A new daemon holds the old name too, so an 0.1 daemon or crawl cannot start beside it.
    daemon = start_daemon(tmp_path)
    try:

        def old_name_held() -> bool:
            with open(tmp_path / "candidates.db.daemon.lock", "a+") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                return False

        wait_until(lambda: "daemon started" in daemon_log(tmp_path), "the daemon to start", tmp_path, daemon)
        assert old_name_held()
        assert (tmp_path / "candidates.db.daemon.lock").read_text().strip() == str(daemon.pid)
    finally:
        assert stop_daemon(daemon) == 0, daemon_log(tmp_path)


def test_descriptions_0_1_filled_from_a_private_note_are_flagged(tmp_path: Path) -> None:
    from review_fixtures import make_config

    from rsiwatch.review.web import create_app

    db = tmp_path / "candidates.db"
    conn = database_at_schema(db, PREVIOUS_SCHEMA)
    for work_id, note in (
        ("arxiv:2501.00001", "Strong paper; my colleague's group, be kind"),
        ("arxiv:2501.00002", None),
    ):
        conn.execute(
            "INSERT INTO works (id, title, summary, url, first_seen, last_seen, status) "
            "VALUES (?, 'A title', 'Summary.', 'https://x.org', '2025-01-01', '2025-01-01', 'accepted')",
            (work_id,),
        )
        conn.execute(
            "INSERT INTO decisions (work_id, action, note, decided_at) VALUES (?, 'accept', ?, '2025-01-02')",
            (work_id, note),
        )
        # 0.1's `accept --note`: the note became the public description.
        conn.execute(
            "INSERT INTO catalog (work_id, title, description, origin, added_at) "
            "VALUES (?, 'A title', ?, 'accept', '2025-01-02')",
            (work_id, note or "A public description."),
        )
    conn.close()
    with Store(db) as store:
        assert list(store.catalog.note_descriptions().values()) == ["arxiv:2501.00001"]
        flagged = next(iter(store.catalog.note_descriptions()))
    doctor = CliRunner().invoke(cli, ["doctor", "--db", str(db)])
    assert f"catalog entry {flagged} (arxiv:2501.00001): its description is the private note" in doctor.output
    assert "arxiv:2501.00002" not in doctor.output
    app = create_app(make_config(tmp_path), db)
    page = app.test_client().get("/catalog", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert page.count('class="error-text note-description"') == 1
    row = page[page.index(f'id="entry-{flagged}"') :]
    assert row.index("note-description") < row.index("</tr>")
    # Rewritten by the curator, the flag goes.
    with Store(db) as store:
        store.catalog.catalog_edit(flagged, {"description": "Learned optimizers, trained by themselves."}, origin="web")
        assert store.catalog.note_descriptions() == {}


def test_version_tells_releases_apart() -> None:
    from importlib.metadata import version

    proc = subprocess.run([sys.executable, "-m", "rsiwatch", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"rsiwatch, version {version('rsiwatch')}"
    assert version("rsiwatch") != "0.1.0"


def test_a_newer_schema_is_its_own_error(tmp_path: Path) -> None:
    with Store(tmp_path / "candidates.db") as store:
        store.conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    try:
        Store(tmp_path / "candidates.db")
    except SchemaTooNew as exc:
        assert "newer than this rsiwatch" in str(exc) and "\n" not in str(exc)  # noqa: PT017 - and said in one line
    else:
        raise AssertionError("a newer schema was opened")
