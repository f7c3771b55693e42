"""Issue 16: schedules mean what they say, and the commands about them tell the truth.

Through the real CLI against local servers: a crontab the scheduler would refuse is refused when the
config loads; a removed source is not "paused"; a paused source is crawled only with ``--force``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cli_support import run_cli, run_json, write_config

from crawler.scheduler import max_jitter_s
from rsiwatch.config import Source

FEED = (Path(__file__).parent / "fixtures" / "e2e" / "newsletter.xml").read_bytes()


# The jitter rule (pure) --------------------------------------------------------------------------------


def test_jitter_never_exceeds_a_tenth_of_the_interval() -> None:
    assert max_jitter_s(60, 3) == pytest.approx(0.3)
    assert max_jitter_s(60, 60) == pytest.approx(6)
    assert max_jitter_s(60, 86400) == 60  # a daily source: the configured jitter
    assert max_jitter_s(0, 3) == 0


def test_a_crontab_interval_is_the_gap_to_the_next_firing() -> None:
    monday_six = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    weekdays = Source(name="s", kind="feed", url="https://x.org/f", cron="0 6 * * mon-fri")
    assert weekdays.interval_at(monday_six) == 86400
    friday_six = datetime(2026, 12, 11, 6, 0, tzinfo=UTC)
    assert weekdays.interval_at(friday_six) == 3 * 86400  # Friday to Monday
    every_five = Source(name="s", kind="feed", url="https://x.org/f", every="*/5 * * * *")
    assert every_five.interval_at(monday_six) == 300
    assert Source(name="s", kind="feed", url="https://x.org/f", every="3s").interval_at(monday_six) == 3


# Crontabs refused at load --------------------------------------------------------------------------------

BAD_CRONTABS = [
    ("every", "99 * * * *", "99"),
    ("every", "0 6 * * funday", "funday"),
    ("cron", "0 6 * * funday", "funday"),
    ("cron", "0 0 31 2 *", "never fires"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("key", "crontab", "cause"), BAD_CRONTABS)
def test_a_crontab_the_scheduler_refuses_is_refused_when_the_config_loads(
    tmp_path: Path, key: str, crontab: str, cause: str
) -> None:
    write_config(
        tmp_path / "config.yaml", [{"name": "blog", "kind": "feed", "url": "http://127.0.0.1:9/f", key: crontab}]
    )
    # Every command that reads the config, for the first case; `status` alone for the others.
    commands = (
        [["status"], ["crawl"], ["daemon"], ["sources", "list"]] if crontab == BAD_CRONTABS[0][1] else [["status"]]
    )
    for command in commands:
        result = run_cli(*command, cwd=tmp_path, check=False, timeout=60)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (command, result.stderr)
        assert len(lines) == 1 and "Traceback" not in result.stderr, (command, result.stderr)
        assert "config.yaml" in lines[0] and f"sources[0].{key}" in lines[0] and crontab in lines[0], lines
        assert cause in lines[0], lines
    assert not (tmp_path / "candidates.db").exists()


def test_a_digest_crontab_the_scheduler_refuses_is_refused_when_the_config_loads(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [], schedule={"digest_every": "0 8 * * funday"})
    result = run_cli("status", cwd=tmp_path, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "rsiwatch: config.yaml: schedule.digest_every: '0 8 * * funday' is invalid: "
        'not a valid crontab: Invalid weekday name "funday"'
    ]


@pytest.mark.slow
def test_sources_add_checks_every_the_same_way(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", [])
    before = config.read_text()
    add_blog = ("sources", "add", "blog", "--kind", "feed", "--url", "https://blog.example.org/feed", "--every")
    result = run_cli(*add_blog, "99 * * * *", cwd=tmp_path, check=False)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "99" in result.stderr and "every" in result.stderr
    assert config.read_text() == before
    run_cli(*add_blog, "0 6 * * mon-fri", cwd=tmp_path)
    assert yaml.safe_load(config.read_text())["sources"][0]["every"] == "0 6 * * mon-fri"


# Removed is not paused; paused needs --force ---------------------------------------------------------------


@pytest.mark.slow
def test_a_source_removed_from_the_config_is_shown_as_removed_not_paused(tmp_path: Path, local_server) -> None:
    sources = [{"name": n, "kind": "feed", "url": f"{local_server.url}/{n}"} for n in ("kept", "gone")]
    for name in ("kept", "gone"):
        local_server.add(f"/{name}", body=FEED)
    write_config(tmp_path / "config.yaml", sources)
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", cwd=tmp_path)
    run_cli("sources", "remove", "gone", cwd=tmp_path)

    status = run_json("status", cwd=tmp_path)["sources"]
    assert status["gone"]["state"] == "removed" and status["gone"]["paused"] is False
    assert status["kept"]["state"] == "active" and status["kept"]["paused"] is False
    table = run_cli("status", cwd=tmp_path).stdout
    gone_rows = [line for line in table.splitlines() if "gone" in line]
    assert gone_rows and all("removed" in row and "paused" not in row for row in gone_rows), table
    assert "paused" not in table, table


@pytest.mark.slow
def test_crawling_a_paused_source_by_name_needs_force(tmp_path: Path, local_server) -> None:
    local_server.add("/feed", body=FEED)
    write_config(tmp_path / "config.yaml", [{"name": "blog", "kind": "feed", "url": local_server.url + "/feed"}])
    run_cli("init", cwd=tmp_path)
    run_cli("sources", "pause", "blog", cwd=tmp_path)

    refused = run_cli("crawl", "--source", "blog", cwd=tmp_path, check=False)
    assert refused.returncode == 1, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "blog" in lines[0] and "paused" in lines[0] and "--force" in lines[0], lines
    assert local_server.hits("/feed") == []  # nothing fetched

    forced = run_cli("crawl", "--source", "blog", "--force", cwd=tmp_path)
    assert "1 source (0 failed)" in forced.stderr, forced.stderr
    assert len(local_server.hits("/feed")) == 1
