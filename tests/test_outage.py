"""Issue 21: an outage is survived and noticed.

0.1 paused every source for good after five failures in a row (about 75 minutes of outage with the
default backoff), and nothing said so.  Here the clock is driven with time-machine (never a sleep) through
a real local server that goes down for seven hours and comes back, crawled with the real pipeline on a
real SQLite file, with the default schedule settings.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from cli_support import write_config
from click.testing import CliRunner
from local_server import Response

from rsiwatch.cli import cli
from rsiwatch.config import MAX_BACKOFF_S, load_config
from rsiwatch.pipeline import crawl, due_sources, next_due, retry_wait_s
from rsiwatch.review.digest import build_digest, to_markdown
from rsiwatch.store import Store

FEED = (Path(__file__).parent / "fixtures" / "e2e" / "newsletter.xml").read_bytes()
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def status_check(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["status", "--check", "--config", str(config)], catch_exceptions=False)
    return result.exit_code, result.output


def test_a_seven_hour_outage_is_retried_at_a_capped_interval_noticed_and_recovered(
    tmp_path: Path, local_server, caplog: pytest.LogCaptureFixture
) -> None:
    down = {"now": False}
    local_server.add("/feed", handler=lambda request: Response(503, b"down") if down["now"] else Response(200, FEED))
    config_path = write_config(tmp_path / "config.yaml",
                               [{"name": "news", "kind": "feed", "url": local_server.url + "/feed", "every": "1h"}])
    config = load_config(config_path)
    assert (config.schedule.backoff_base_s, config.schedule.backoff_max_s, config.schedule.warn_after_failures) == (
        300, 3600, 5)  # the defaults the outage of the issue met
    from crawler.http import PoliteClient

    caplog.set_level(logging.INFO)
    with time_machine.travel(T0, tick=False) as clock, Store(tmp_path / "candidates.db") as store, \
            PoliteClient(config.http.settings, config.politeness.settings, config.contact) as client:
        source = config.sources[0]
        assert [o.ok for o in crawl(config, store, client, due_sources(config, store)).sources] == [True]
        down["now"] = True
        outage_ends = T0 + timedelta(hours=8)  # seven hours down from the first failing fetch
        waits, noticed_at = [], None
        while True:
            due = next_due(source, store)
            assert due is not None, "the source was paused by a transient outage"
            clock.move_to(due)
            if due >= outage_ends:
                break
            assert [s.name for s in due_sources(config, store)] == ["news"]  # never "no source is due"
            before = due
            (outcome,) = crawl(config, store, client, due_sources(config, store)).sources
            assert not outcome.ok and "HTTP 503" in outcome.error
            waits.append((next_due(source, store) - before).total_seconds())
            failures = store.sources.source_state("news").consecutive_failures
            code, output = status_check(config_path)
            if failures >= config.schedule.warn_after_failures:
                noticed_at = noticed_at or failures
                assert code == 1 and "source news has failed" in output, output
                digest = build_digest(store, "2026-11-01T00:00:00Z", config=config)
                assert any("news" in line and "HTTP 503" in line for line in digest.troubles)
                assert "Sources needing attention" in to_markdown(digest)
            else:
                assert code == 0, output
        # 5 min, 10, 20, 40, then an hour apart for as long as it fails: never a pause, never longer.
        assert waits[:4] == [300, 600, 1200, 2400], waits
        assert len(waits) > 6 and all(w == 3600 for w in waits[4:]), waits
        assert noticed_at == 5
        warnings = [
            r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "failing" in r.getMessage()
        ]
        assert warnings == ["news: failing: 5 failures in a row; retried every 1 h until it recovers"]
        assert not store.sources.source_state("news").paused

        # The outage ends: the next due time fetches it, the log says it recovered, and the warnings clear.
        down["now"] = False
        failed = store.sources.source_state("news").consecutive_failures
        (outcome,) = crawl(config, store, client, due_sources(config, store)).sources
        assert outcome.ok
        assert store.sources.source_state("news").consecutive_failures == 0
        code, output = status_check(config_path)
        assert code == 0, output
        assert build_digest(store, "2026-11-01T00:00:00Z", config=config).troubles == []
        # Once: the next successful fetch says nothing of it.
        clock.move_to(next_due(source, store))
        assert [o.ok for o in crawl(config, store, client, due_sources(config, store)).sources] == [True]
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in recovered] == [
        (logging.WARNING, f"news: recovered after {failed} failures in a row")
    ]
    assert recovered[0].fields == {"source": "news", "outcome": "recovered", "failures_before": failed}


def test_a_source_that_never_crossed_the_warning_line_recovers_silently(
    tmp_path: Path, local_server, caplog: pytest.LogCaptureFixture
) -> None:
    down = {"now": True}
    local_server.add("/feed", handler=lambda request: Response(503, b"down") if down["now"] else Response(200, FEED))
    config = load_config(write_config(tmp_path / "config.yaml",
                                      [{"name": "news", "kind": "feed", "url": local_server.url + "/feed"}]))
    from crawler.http import PoliteClient

    caplog.set_level(logging.INFO)
    with time_machine.travel(T0, tick=False) as clock, Store(tmp_path / "candidates.db") as store, \
            PoliteClient(config.http.settings, config.politeness.settings, config.contact) as client:
        for _ in range(config.schedule.warn_after_failures - 1):
            assert [o.ok for o in crawl(config, store, client, due_sources(config, store)).sources] == [False]
            clock.move_to(next_due(config.sources[0], store))
        down["now"] = False
        assert [o.ok for o in crawl(config, store, client, due_sources(config, store)).sources] == [True]
    assert not [r for r in caplog.records if "recovered" in r.getMessage() or "failing" in r.getMessage()]


def test_retry_waits_are_capped_at_a_day_even_when_configured_or_asked_longer(tmp_path: Path) -> None:
    config_path = write_config(tmp_path / "config.yaml", [], schedule={"backoff_base_s": 3600, "backoff_max_s": 10**7})
    config = load_config(config_path)
    assert retry_wait_s(config, 1, None) == 3600
    assert retry_wait_s(config, 40, None) == MAX_BACKOFF_S == 86400
    assert retry_wait_s(config, 1, 10**9) == 86400  # a Retry-After of thirty years
    assert retry_wait_s(config, 1, 7200) == 7200


def test_the_old_setting_name_still_loads_and_means_a_warning(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "config.yaml", [], schedule={"pause_after_failures": 2}))
    assert config.schedule.warn_after_failures == 2


def test_410_gone_pauses_the_source_says_so_in_the_log_and_in_status_check(
    tmp_path: Path, local_server, caplog: pytest.LogCaptureFixture
) -> None:
    """Paused now means: by hand, or the server said the feed is gone for good (HTTP 410)."""
    local_server.add("/gone", status=410, body=b"gone")
    local_server.add("/missing", status=404, body=b"not here")
    config_path = write_config(
        tmp_path / "config.yaml",
        [
            {"name": "gone", "kind": "feed", "url": local_server.url + "/gone"},
            {"name": "missing", "kind": "feed", "url": local_server.url + "/missing"},
        ],
    )
    config = load_config(config_path)
    from crawler.http import PoliteClient

    caplog.set_level(logging.INFO)
    with (
        Store(tmp_path / "candidates.db") as store,
        PoliteClient(config.http.settings, config.politeness.settings, config.contact) as client,
    ):
        crawl(config, store, client, due_sources(config, store))
        assert (
            store.sources.source_state("gone").paused and "410 Gone" in store.sources.source_state("gone").paused_reason
        )
        assert not store.sources.source_state("missing").paused  # a 404 may end: retried
        assert next_due(config.sources[1], store) is not None
    assert any(
        r.levelno == logging.WARNING and r.getMessage().startswith("gone: paused: the server answered 410")
        for r in caplog.records
    )
    code, output = status_check(config_path)
    assert code == 1 and "source gone is paused (the server answered 410 Gone" in output, output
    assert "source missing" not in output  # one failure is not yet "failing for long"
    # A crawl with nothing due says so, and still names the paused source (cron mails it).
    crawl_run = CliRunner().invoke(cli, ["crawl", "--config", str(config_path)], catch_exceptions=False)
    assert crawl_run.exit_code == 0 and "no source is due" in crawl_run.output, crawl_run.output
    assert "warning: source gone is paused" in crawl_run.output, crawl_run.output


def test_a_source_0_1_paused_after_failures_is_resumed_by_the_upgrade(tmp_path: Path, capsys) -> None:
    from store_support import database_at_schema

    from rsiwatch.store.schema import MIGRATIONS

    marker = "'resumed by the upgrade (was: '"
    before = next(n for n, script in enumerate(MIGRATIONS) if marker in script)
    conn = database_at_schema(tmp_path / "old.db", before)
    conn.executemany(
        "INSERT INTO sources (name, kind, paused, paused_reason) VALUES (?, 'feed', 1, ?)",
        [
            ("flaky", "paused after 5 consecutive failures; last: HTTP 503"),
            ("by-hand", "on holiday"),
        ],
    )
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert not store.sources.source_state("flaky").paused
        assert (
            store.sources.source_state("by-hand").paused
            and store.sources.source_state("by-hand").paused_reason == "on holiday"
        )
