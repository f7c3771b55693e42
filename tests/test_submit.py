"""`rsiwatch submit URL`: one page read, scored and queued as submitted; private addresses refused.

Every request here goes to 127.0.0.1; the refusals are checked before any connection is made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from local_server import LocalServer, redirect
from store_support import sightings_since_decision, submissions

from crawler.netguard import AddressGuard, AddressRefused, forbidden_reason
from rsiwatch.cli import cli
from rsiwatch.config import parse_config
from rsiwatch.store import Store
from rsiwatch.submit import submit

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def config(allow_private: bool):
    return parse_config(yaml.safe_dump({
        "politeness": {"default_delay_s": 0, "per_host_delay_s": {}},
        "http": {"connect_timeout_s": 1, "read_timeout_s": 2, "total_timeout_s": 3, "retries": 0,
                 "allow_private_addresses": allow_private},
        "threshold": 0.99,
    }))


def test_address_classes() -> None:
    assert forbidden_reason("127.0.0.1") == "loopback" and forbidden_reason("::1") == "loopback"
    assert forbidden_reason("10.1.2.3") == "private" and forbidden_reason("169.254.169.254") == "link-local"
    assert forbidden_reason("::ffff:127.0.0.1") == "loopback" and forbidden_reason("fe80::1") == "link-local"
    assert forbidden_reason("0.0.0.0") is not None
    assert forbidden_reason("8.8.8.8") is None  # classified only: nothing is sent anywhere
    guard = AddressGuard(resolver=lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.7"):
        guard.check("mixed.example", 80)  # every address counts, not just the first


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_private_addresses_are_refused_before_connecting(tmp_path: Path, local_server: LocalServer, host: str) -> None:
    local_server.add("/post", body=(FIXTURES / "blog_post_kernels.html").read_bytes(), headers=HTML)
    url = f"http://{host}:{local_server.port}/post"
    with Store(tmp_path / "c.db") as store, pytest.raises(AddressRefused, match=r"loopback.*allow_private_addresses"):
        submit(config(False), store, url)
    assert local_server.requests == []


def test_cli_refusal_is_said_in_one_line_and_the_submission_kept(tmp_path: Path, local_server: LocalServer) -> None:
    """A refused address is said, never fetched, and the submission is kept as the public form keeps it."""
    (tmp_path / "config.yaml").write_text("politeness: {default_delay_s: 0}\nreview: {curator: carol}\n")
    Store(tmp_path / "candidates.db").close()  # the database `init` would have made
    url = f"http://127.0.0.1:{local_server.port}/x"
    result = CliRunner().invoke(cli, ["submit", url, "--config", str(tmp_path / "config.yaml"),
                                      "--db", str(tmp_path / "candidates.db")])
    assert result.exit_code == 0 and "refused" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert local_server.requests == []
    with Store(tmp_path / "candidates.db") as store:
        [kept] = submissions(store)
        assert kept["url"] == url and kept["submitter"] == "carol"


def test_cli_submission_offline_is_queued_with_its_error_and_its_submitter(tmp_path: Path) -> None:
    """Before: `submit` offline said "cannot resolve the host" (here: nothing listens) and kept nothing."""
    import json
    import socket

    with socket.socket() as probe:  # a port nothing listens on: the page cannot be read now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "config.yaml").write_text(
        "politeness: {default_delay_s: 0}\nhttp: {allow_private_addresses: true, retries: 0, connect_timeout_s: 2}\n"
        "review: {curator: carol}\n")
    args = ["--config", str(tmp_path / "config.yaml"), "--db", str(tmp_path / "candidates.db")]
    Store(tmp_path / "candidates.db").close()  # the database `init` would have made
    url = f"http://127.0.0.1:{port}/post"
    result = CliRunner().invoke(cli, ["submit", url, "--note", "agents writing kernels", "--by", "dana", *args])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"queued url:{url} unread: ") and "later crawl" in result.output
    listed = CliRunner().invoke(cli, ["candidates", "--json", *args])
    [work] = json.loads(listed.output)
    assert (work["queue_reason"], work["submitter"], work["note"]) == ("submitted", "dana", "agents writing kernels")
    with Store(tmp_path / "candidates.db") as store:
        [row] = [dict(r) for r in store.conn.execute("SELECT url, submitter, last_error FROM inbox")]
        assert row["url"] == url and row["submitter"] == "dana" and row["last_error"]  # tried again later
        assert submissions(store)[0]["fetch_error"]


def test_redirects_are_checked_hop_by_hop(tmp_path: Path, local_server: LocalServer) -> None:
    local_server.add("/hop", handler=redirect(f"http://127.0.0.2:{local_server.port}/post"))
    guard = AddressGuard(allowed=frozenset({"127.0.0.1"}))  # the test server itself, and nothing else
    with Store(tmp_path / "c.db") as store, pytest.raises(AddressRefused, match=r"127\.0\.0\.2"):
        submit(config(False), store, local_server.url + "/hop", guard=guard)
    assert [r.path for r in local_server.requests] == ["/hop"]


def test_submission_is_queued_whatever_its_score_and_linked(tmp_path: Path, local_server: LocalServer) -> None:
    url = local_server.add("/post", body=(FIXTURES / "blog_post_kernels.html").read_bytes(), headers=HTML)
    with Store(tmp_path / "c.db") as store:
        result = submit(config(True), store, url, note="kernels written by agents")
        # The post names one arXiv paper: the submission is that paper's work, the post its sighting.
        assert result.canonical_id == "arxiv:2611.04242" and result.queued and result.status == "new"
        work = store.works.work(result.canonical_id)
        assert work["queue_reason"] == "submitted" and work["queued_at"] and work["score"] is not None
        assert work["title"] == "Agents that write the kernels that train them"
        assert submissions(store)[0]["note"] == "kernels written by agents"
        sighting = store.works.sightings(result.canonical_id)[0]
        assert sighting["source"] == "submitted" and sighting["url"] == url
        store.decisions.decide(result.canonical_id, "reject", note="not about training")
        again = submit(config(True), store, url, note="please look again")
        assert not again.queued and again.status == "rejected"
        assert store.works.work(result.canonical_id)["status"] == "rejected"
        assert len(submissions(store, result.canonical_id)) == 2
        since = sightings_since_decision(store, result.canonical_id)
        assert since["decision"]["action"] == "reject"
