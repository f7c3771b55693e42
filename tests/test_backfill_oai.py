"""OAI-PMH parsing and the resumable `rsiwatch backfill`, against a real endpoint on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cli_support import run_cli, write_config
from click.testing import CliRunner
from local_server import LocalServer
from oai_server import OaiEndpoint, error, expected_ids, page

from crawler.errors import CrawlError
from crawler.http import PoliteClient
from crawler.items import Validators
from crawler.oai_pmh import OaiError, list_records_url, parse_page, set_for, sets_for
from crawler.settings import HttpSettings, Politeness, SourceSpec
from crawler.sources import collect
from rsiwatch.backfill import BackfillPlan, run_backfill
from rsiwatch.cli import cli
from rsiwatch.config import parse_config
from rsiwatch.store import Store

FAST = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})


def test_parse_page_reads_arxiv_records_skips_deleted_and_filters_categories() -> None:
    result = parse_page(page(12, 12, 0), "http://x/oai", categories=["cs.LG"])
    ids = {i.canonical_id for i in result.items}
    assert ids == expected_ids(12)
    assert result.records == 12 and result.token is None and result.complete_size == 12
    first = next(i for i in result.items if i.canonical_id == "arxiv:2501.00000")
    assert first.title.startswith("Paper 0: language model agents")
    assert first.summary == "We study language model agents that optimise GPU kernels for training & report results."
    assert first.authors == ("Jane Doe", "Richard Roe") and first.url == "https://arxiv.org/abs/2501.00000"
    assert first.published == "2025-01-01T00:00:00Z" and first.key == "oai:arXiv.org:2501.00000"
    unfiltered = parse_page(page(12, 12, 0), "http://x/oai")
    assert len(unfiltered.items) == 12 - 2  # two deleted (3, 10)


def test_parse_page_token_oai_dc_and_errors() -> None:
    paged = parse_page(page(30, 10, 1), "http://x/oai")
    assert paged.token == "p2" and paged.complete_size == 30 and paged.cursor == 10 and paged.records == 10
    dc = parse_page(page(5, 5, 0, prefix="oai_dc"), "http://x/oai", categories=["cs.LG"])
    assert {i.canonical_id for i in dc.items} == {
        "arxiv:2501.00000",
        "arxiv:2501.00001",
        "arxiv:2501.00002",
        "arxiv:2501.00004",
    }
    assert dc.items[0].authors == ("Doe, Jane",) and dc.items[0].published == "2025-01-01T00:00:00Z"
    empty = parse_page(error("noRecordsMatch"), "http://x/oai")
    assert empty.items == [] and empty.token is None
    with pytest.raises(OaiError) as info:
        parse_page(error("badResumptionToken", "expired"), "http://x/oai")
    assert info.value.code == "badResumptionToken" and "expired" in str(info.value)
    with pytest.raises(Exception, match=r"not a well-formed|not an OAI-PMH"):
        parse_page(b"<html><body>nope</body></html>", "http://x/oai")
    # External entities are never resolved.
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&x;</ListRecords></OAI-PMH>'
    assert parse_page(evil, "http://x/oai").items == []


def test_urls_and_sets() -> None:
    first = list_records_url(
        "http://h/oai", metadata_prefix="arXiv", from_date="2025-01-01", until="2025-02-01", set_spec="cs"
    )
    assert first == "http://h/oai?verb=ListRecords&metadataPrefix=arXiv&from=2025-01-01&until=2025-02-01&set=cs"
    assert list_records_url("http://h/oai", token="a b") == "http://h/oai?verb=ListRecords&resumptionToken=a+b"
    assert set_for("cs.LG") == "cs" and set_for("hep-th") == "physics:hep-th" and set_for("stat.ML") == "stat"
    assert sets_for(["cs.LG", "cs.AI", "stat.ML"]) == ["cs", "stat"]


def test_scheduled_oai_source_is_incremental_from_the_last_success(local_server: LocalServer) -> None:
    endpoint = OaiEndpoint(total=25, size=10)
    url = local_server.add("/oai", handler=endpoint)
    source = SourceSpec(name="oai", kind="oai_pmh", url=url, query="cs.LG", max_results=1000)
    http = HttpSettings(connect_timeout_s=1, read_timeout_s=2, total_timeout_s=3, retries=0)
    with PoliteClient(http, FAST, "t@example.org") as client:
        result = collect(source, client, Validators(last_modified="2025-01-05"))
    assert {i.canonical_id for i in result.items} == expected_ids(25)
    assert result.requests == 3 and endpoint.pages_served == [0, 1, 2]
    assert local_server.requests[0].query["from"] == "2025-01-05" and local_server.requests[0].query["set"] == "cs"
    assert local_server.requests[1].query == {"verb": "ListRecords", "resumptionToken": "p1"}
    assert result.validators.last_modified and len(result.validators.last_modified) == 10


def test_oai_spacing_goes_through_the_arxiv_host_group(local_server: LocalServer) -> None:
    """The OAI host shares arXiv's budget: requests are spaced by the group's delay."""
    endpoint = OaiEndpoint(total=30, size=10)
    url = local_server.add("/oai", handler=endpoint)
    politeness = Politeness(
        default_delay_s=0, per_host_delay_s={"127.0.0.1": 0.3}, host_groups={"arxiv": ["127.0.0.1", "oaipmh.arxiv.org"]}
    )
    source = SourceSpec(name="oai", kind="oai_pmh", url=url, query="cs.LG", max_results=1000)
    http = HttpSettings(connect_timeout_s=1, read_timeout_s=2, total_timeout_s=3, retries=0)
    with PoliteClient(http, politeness, "t@example.org") as client:
        collect(source, client, Validators(last_modified="2025-01-01"))
    times = [r.time for r in local_server.requests]
    assert len(times) == 3 and all(b - a >= 0.28 for a, b in itertools.pairwise(times))


def _db(project: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(project / "candidates.db")
    conn.row_factory = sqlite3.Row
    return conn


@pytest.mark.slow
def test_backfill_killed_after_page_two_resumes_without_loss_or_duplicates(
    tmp_path: Path, local_server: LocalServer
) -> None:
    total, size = 100, 20
    endpoint = OaiEndpoint(total=total, size=size, hold_page=2)
    url = local_server.add("/oai", handler=endpoint)
    write_config(tmp_path / "config.yaml", [], threshold=0.5)
    run_cli("init", cwd=tmp_path)  # only init creates the database a backfill fills
    args = ["backfill", "--from", "2025-01-01", "--until", "2025-01-31", "--categories", "cs.LG", "cs.AI", "--url", url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", *args],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert endpoint.held.wait(60), "the harvest never asked for page 3"
        os.kill(proc.pid, signal.SIGKILL)  # pages 1 and 2 are stored; page 3 is in flight
        proc.wait(10)
    finally:
        endpoint.release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    conn = _db(tmp_path)
    row = conn.execute("SELECT token, pages, finished_at FROM backfills").fetchone()
    assert (row["token"], row["pages"], row["finished_at"]) == ("p2", 2, None)
    stored = {r[0] for r in conn.execute("SELECT work_id FROM sightings WHERE source = 'arxiv-backfill'")}
    assert stored == expected_ids(2 * size)

    endpoint.hold_page = None
    before = len(local_server.requests)
    done = run_cli(*args, cwd=tmp_path)
    resumed = local_server.requests[before:]
    assert resumed[0].query == {"verb": "ListRecords", "resumptionToken": "p2"}, "resumed from the saved token"
    assert len(resumed) == total // size - 2
    assert "backfill:" in done.stderr

    ids = {r[0] for r in conn.execute("SELECT work_id FROM sightings WHERE source = 'arxiv-backfill'")}
    assert ids == expected_ids(total)
    assert conn.execute("SELECT COUNT(*) FROM sightings WHERE source = 'arxiv-backfill'").fetchone()[0] == len(ids)
    unscored = conn.execute(
        "SELECT COUNT(*) FROM works w WHERE score IS NULL AND EXISTS "
        "(SELECT 1 FROM sightings g WHERE g.work_id = w.id AND g.source = 'arxiv-backfill')"
    ).fetchone()[0]
    assert unscored == 0, "every page scored"
    row = conn.execute("SELECT token, pages, records, finished_at FROM backfills").fetchone()
    assert row["token"] is None and row["finished_at"] and row["pages"] == total // size and row["records"] == total
    assert local_server.requests[0].query["set"] == "cs" and local_server.requests[0].query["until"] == "2025-01-31"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backfill_in_process_oai_dc_no_records_and_errors(tmp_path: Path, local_server: LocalServer) -> None:
    url = local_server.add("/oai", handler=OaiEndpoint(total=5, size=5))
    config = parse_config(yaml.safe_dump({"politeness": {"default_delay_s": 0, "per_host_delay_s": {}}}))
    with (
        Store(tmp_path / "c.db") as store,
        PoliteClient(config.http.settings, config.politeness.settings, config.contact) as client,
    ):
        dc = run_backfill(
            config, store, client, BackfillPlan(from_date="2025-01-01", endpoint=url, metadata_prefix="oai_dc")
        )
        assert (dc.records, dc.pages, dc.items) == (5, 1, 4)
        empty = run_backfill(config, store, client, BackfillPlan(from_date="2026-06-01", endpoint=url))
        assert (empty.records, empty.pages, empty.new_works) == (0, 1, 0)
        local_server.add("/broken", body=b"<html>not oai</html>", headers={"Content-Type": "text/html"})
        with pytest.raises(CrawlError, match="OAI-PMH"):
            run_backfill(
                config, store, client, BackfillPlan(from_date="2025-01-01", endpoint=local_server.url + "/broken")
            )


def test_backfill_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    for args, text in (
        (["--from", "2025-13-01"], "2025-13-01"),
        (["--from", "2025-01-01", "--categories", "CS LG!"], "CS"),
    ):
        result = runner.invoke(cli, ["backfill", *args, "--db", str(tmp_path / "c.db")])
        assert result.exit_code == 2 and text in result.output
