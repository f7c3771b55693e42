"""Issue 20: the counts of catalog entries agree everywhere (init, status, the Stats and Catalog tabs,
export, publish): published entries, withdrawn ones named as such; a source nobody reviewed shows no
acceptance rate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli, run_json

from rsiwatch.config import load_config
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

pytestmark = pytest.mark.slow  # every test here runs the command line or a daemon as processes


def test_every_door_counts_the_same_catalog(tmp_path: Path) -> None:
    run_cli("init", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:
        first = store.catalog.entries()[0]["work_id"]
    run_cli("reject", first, "--note", "not an example after all", cwd=tmp_path)  # withdraws its entry
    published = len(json.loads(run_cli("catalog", "export", "--format", "json", cwd=tmp_path).stdout))

    summary = run_json("status", cwd=tmp_path)["summary"]
    assert (summary["catalog"], summary["catalog_withdrawn"]) == (published, 1)
    status = run_cli("status", cwd=tmp_path).stdout
    assert f"catalog: {published} published entries (1 withdrawn, kept off it)" in status
    assert f"published {published} entries" in run_cli("publish", "--out", "site", "--force", cwd=tmp_path).stderr

    client = create_app(load_config(tmp_path / "config.yaml"), tmp_path / "candidates.db").test_client()
    catalog_tab = client.get("/catalog", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert f"{published} published entries · 1 withdrawn" in catalog_tab
    stats = client.get("/stats", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "catalog entries (published)" in stats and "catalog entries withdrawn" in stats


def test_a_source_nobody_reviewed_shows_no_acceptance_rate(tmp_path: Path) -> None:
    run_cli("init", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:
        store.sources.ensure_sources([("quiet", "feed", "https://example.org/feed")])
    rows = run_json("status", cwd=tmp_path)["sources"]
    assert rows["quiet"]["acceptance_rate"] is None
