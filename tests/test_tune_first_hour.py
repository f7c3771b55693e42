"""Issue 16: `tune` and the stats page in a new user's first hour, through the real CLI and the review app.

Before any review the catalog stands in (each entry scored by a model trained without it, 5-fold),
labelled a proxy; a threshold measured on less than a week of stream or a handful of decisions is not
saved without --force; and the stats page says exactly what it still needs, in `tune`'s words.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, run_json
from stream_feed import arxiv_id, crawled_project

from rsiwatch.config import load_config
from rsiwatch.review.web import create_app

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def project(tmp_path: Path, local_server) -> Path:
    return crawled_project(tmp_path, local_server, threshold=0.5)


def proxy_scores(project: Path) -> list[float]:
    conn = sqlite3.connect(project / "candidates.db")
    row = conn.execute("SELECT value FROM settings WHERE key = 'catalog_recall_proxy' ORDER BY rowid DESC").fetchone()
    conn.close()
    return json.loads(row[0])["scores"]


def saved_threshold(project: Path) -> float:
    return run_json("tune", cwd=project)["threshold"]


@pytest.mark.slow
def test_tune_on_day_one_shows_the_catalog_recall_as_a_proxy(project: Path, tmp_path: Path) -> None:
    report = run_json("tune", cwd=project)
    proxy = report["catalog_recall"]
    assert proxy["label"] == "catalog recall (5-fold)" and proxy["method"] == "5-fold"
    assert proxy["proxy"] is True and proxy["replaced_by_reviews"] is False
    conn = sqlite3.connect(project / "candidates.db")
    entries = conn.execute("SELECT COUNT(*) FROM catalog").fetchone()[0]
    assert proxy["entries"] == entries == len(proxy_scores(project))
    # Each threshold's figure is the share of the entries' out-of-fold scores that reach it, beside the
    # stream's load at that threshold as the review curve counts it.
    scores = proxy_scores(project)
    by_threshold = {p["threshold"]: p for p in report["curve"]}
    for point in proxy["curve"]:
        assert point["catalog_recall"] == pytest.approx(sum(s >= point["threshold"] for s in scores) / len(scores))
        assert point["per_week"] == by_threshold[point["threshold"]]["per_week"]
    recalls = [p["catalog_recall"] for p in proxy["curve"]]
    assert recalls == sorted(recalls, reverse=True) and recalls[0] > recalls[-1]
    assert any("no review decision yet" in n for n in report["needs"])

    text = run_cli("tune", cwd=project).stdout
    assert "catalog recall (5-fold)" in text and "a proxy until reviews replace it" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("threshold  precision"))
    assert header.rstrip().endswith("catalog recall (5-fold)")
    for need in report["needs"]:
        assert f"still needed: {need}" in text

    plot = tmp_path / "tune.png"
    run_cli("tune", "--plot", str(plot), cwd=project)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_budget_and_recall_refuse_a_threshold_measured_on_too_little(project: Path) -> None:
    before = saved_threshold(project)
    budget = run_cli("tune", "--budget", "200", cwd=project, check=False)
    assert budget.returncode == 1 and len(budget.stderr.strip().splitlines()) == 1, budget.stderr
    assert "less than a week" in budget.stderr and "--force" in budget.stderr and "works)" in budget.stderr
    recall = run_cli("tune", "--recall", "0.5", cwd=project, check=False)
    assert recall.returncode == 1 and len(recall.stderr.strip().splitlines()) == 1, recall.stderr
    assert "no review decision yet" in recall.stderr and "catalog recall (5-fold)" in recall.stderr
    assert saved_threshold(project) == before

    # A first sitting: one accept and two rejects are too few to pick a threshold by recall.
    run_cli("accept", "arxiv:" + arxiv_id(0), cwd=project)
    for i in (1, 2):
        run_cli("reject", "arxiv:" + arxiv_id(i), cwd=project)
    few = run_cli("tune", "--recall", "0.9", cwd=project, check=False)
    assert few.returncode == 1 and "3 decisions (1 accepted)" in few.stderr and "--force" in few.stderr
    assert saved_threshold(project) == before

    forced = run_json("tune", "--budget", "200", "--force", cwd=project)
    assert forced["chosen"]["saved"] is True
    assert saved_threshold(project) == forced["chosen"]["threshold"] != before


@pytest.mark.slow
def test_a_first_sitting_is_not_called_no_accepted_work(project: Path) -> None:
    run_cli("accept", "arxiv:" + arxiv_id(0), cwd=project)
    run_cli("reject", "arxiv:" + arxiv_id(1), cwd=project)
    text = run_cli("tune", cwd=project).stdout
    assert "no accepted work" not in text
    # The crawl drew last week's audit; this sitting decided this week's works.
    assert "no decision yet on works from audited weeks" in text
    report = run_json("tune", cwd=project)
    assert report["decisions"] == 2 and report["accepted"] == 1
    assert report["current"]["reviewed"] >= 1  # the curves count the sitting


def stats_text(project: Path) -> tuple[str, object]:
    app = create_app(load_config(project / "config.yaml"), project / "candidates.db")
    client = app.test_client()
    page = client.get("/stats", base_url=BASE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()), client


@pytest.mark.slow
def test_the_stats_page_on_day_one_and_after_a_first_sitting(project: Path) -> None:
    text, client = stats_text(project)
    assert "catalog recall (5-fold)" in text and "a proxy until reviews replace it" in text
    for need in run_json("tune", cwd=project)["needs"]:
        assert " ".join(need.split()) in text
    assert client.get("/stats/tune.png", base_url=BASE).status_code == 200  # the proxy against the stream

    run_cli("accept", "arxiv:" + arxiv_id(0), cwd=project)
    for i in (1, 2, 3):
        run_cli("reject", "arxiv:" + arxiv_id(i), cwd=project)
    text, client = stats_text(project)
    assert "no accepted work" not in text
    assert "1 accepted" in text
    # This week's decisions are the sitting's four, not the seed catalog's 79 accepts.
    week = text[text.index("Decisions per week"):]
    assert re.search(r"\d{4}-\d\d-\d\d accept 1 ", week) and re.search(r"\d{4}-\d\d-\d\d reject 3", week), week
    assert "4 review decisions" in text
    # The curves are drawn after a first sitting, and the page says what it still needs in tune's words.
    assert 'class="tune-plot"' in client.get("/stats", base_url=BASE).get_data(as_text=True)
    picture = client.get("/stats/tune.png", base_url=BASE)
    assert picture.status_code == 200 and picture.data[:4] == b"\x89PNG"
    needs = run_json("tune", cwd=project)["needs"]
    assert any("no decision yet on works from audited weeks" in n for n in needs)
    for need in needs:
        assert " ".join(need.split()) in text
