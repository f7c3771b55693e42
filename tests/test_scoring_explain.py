"""Explanations where a curator looks: queued works, audit picks and submissions get why-terms and nearest
catalog entries; the many works below the threshold are scored without them (real model, real database)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_support import catalog_add

from crawler.items import Item
from rsiwatch.config import Config
from rsiwatch.scoring import explain_works, explanations, score_works, train_and_save
from rsiwatch.store import Store, iso
from rsiwatch.tuning.audit import queue_weekly

ON = ["neural architecture search", "learned optimizer", "AI-designed chip placement", "self-improving code agent",
      "compiler autotuning with reinforcement learning", "synthetic training data from a model"]
OFF = ["medical image segmentation", "traffic forecasting", "speech enhancement", "crop yield estimation",
       "legal document retrieval", "weather nowcasting radar", "protein folding benchmark"]


def items(prefix: str, n: int, rng: random.Random, relevant_share: float) -> list[Item]:
    out = []
    for i in range(n):
        topic = rng.choice(ON if rng.random() < relevant_share else OFF)
        work_id = f"url:https://x.org/{prefix}{i}"
        out.append(
            Item(work_id, f"A study of {topic}", f"We present work on {topic}, with experiments.", work_id[4:], work_id)
        )
    return out


@pytest.fixture
def store(tmp_path: Path) -> Store:
    rng = random.Random(3)
    with Store(tmp_path / "candidates.db") as s:
        for topic in ON:
            catalog_add(
                s,
                {"title": f"Catalog: {topic}", "description": f"An example of {topic}.", "category": None},
                origin="seed",
            )
        s.works.ingest("feed", items("pool", 200, rng, 0.05))
        train_and_save(s, "test")
        yield s


def latest(store: Store, work_id: str) -> dict:
    found = store.scores.latest_score(work_id)
    assert found is not None
    return found


def test_only_works_at_or_above_their_threshold_are_explained(store: Store) -> None:
    new = items("new", 120, random.Random(4), 0.3)
    store.works.ingest("feed", new)
    config = Config(threshold=0.5)
    run = score_works(store, config, [i.canonical_id for i in new])
    above = {i.canonical_id for i in new if latest(store, i.canonical_id)["score"] >= 0.5}
    assert above and len(above) < len(new)  # the corpus has both kinds: the test can tell them apart
    assert set(run.queued) == above
    for item in new:
        row = latest(store, item.canonical_id)
        if item.canonical_id in above:
            assert row["why"] and row["nearest"], item.title
            assert any(term in item.title.lower() for term, _ in row["why"])
        else:
            assert row["why"] == [] and row["nearest"] == []


def test_a_queued_work_below_the_threshold_stays_explained_after_a_rescore(store: Store) -> None:
    new = items("q", 40, random.Random(5), 0.0)
    store.works.ingest("feed", new)
    ids = [i.canonical_id for i in new]
    config = Config(threshold=0.99)
    assert score_works(store, config, ids).queued == []
    picked = store.history.queue_works(ids[:3], "audit")
    assert picked == ids[:3]
    train_and_save(store, "retrained")  # a new model version rescores the open works
    run = score_works(store, config, ids)
    assert run.queued == [] and run.model_version == latest(store, ids[0])["model_version"]
    for work_id in ids:
        row = latest(store, work_id)
        assert row["score"] < 0.99
        assert bool(row["why"]) == (work_id in picked), work_id


def test_audit_picks_below_the_threshold_get_explained(store: Store) -> None:
    now = datetime.now(UTC)
    last_week = now - timedelta(days=7)
    new = items("a", 80, random.Random(6), 0.0)
    store.works.ingest("feed", new, now=iso(last_week))
    config = Config(threshold=0.99)
    score_works(store, config, [i.canonical_id for i in new])
    draw = queue_weekly(store, audit_per_week=5, uncertain_share=0.0, now=now, rng=random.Random(1))
    assert draw is not None and len(draw.audit) == 5
    assert all(latest(store, w)["why"] == [] for w in draw.audit)
    assert explain_works(store, draw.audit + draw.uncertain) == 5
    for work_id in draw.audit:
        row = latest(store, work_id)
        assert row["why"] and row["nearest"]
        assert row["score"] < 0.99  # explained, not rescored


def test_crawl_writes_skip_the_disk_sync_and_decisions_never_do(store: Store) -> None:
    def level() -> int:  # the connection's synchronous setting, as the last transaction left it
        return store.conn.execute("PRAGMA synchronous").fetchone()[0]

    work = items("d", 1, random.Random(7), 1.0)[0]
    store.works.ingest("feed", [work])
    assert level() == 1  # NORMAL: a power cut may lose this, and the next crawl brings it back
    store.decisions.decide(work.canonical_id, "reject", note="off topic")
    assert level() == 2  # FULL: synced, with every crawl write before it
    score_works(store, Config(), [work.canonical_id])
    assert level() == 1
    store.models.set_setting("threshold", 0.4, "test")
    assert level() == 2


def test_the_review_page_explains_a_searched_work_that_was_never_queued(store: Store, tmp_path: Path) -> None:
    from review_fixtures import make_config

    from rsiwatch.review.web import create_app

    work = Item(
        "url:https://x.org/searched",
        "A study of crop yield estimation",
        "We present work on crop yield estimation from weather radar, with experiments.",
        "https://x.org/searched",
        "k",
    )
    store.works.ingest("feed", [work])
    assert score_works(store, Config(threshold=0.99), [work.canonical_id]).queued == []
    assert latest(store, work.canonical_id)["why"] == []
    client = create_app(make_config(tmp_path), store.path).test_client()
    html = client.get("/?q=crop+yield&status=all", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert 'data-id="url:https://x.org/searched"' in html
    why = re.search(r'<div class="row why">(.*?)</div>', html, re.S)
    assert why is not None
    terms = re.findall(r'<span class="term (?:pos|neg)"[^>]*>([^<]+)</span>', why.group(1))
    assert {t for t, _ in explanations(store, [work.canonical_id])[work.canonical_id].why} == set(terms)
    assert latest(store, work.canonical_id)["why"] == []  # shown, not written by a page view


def test_lowering_the_threshold_queues_this_weeks_works_that_now_reach_it(store: Store, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from rsiwatch.cli import cli

    recent = items("w", 60, random.Random(8), 0.3)
    store.works.ingest("feed", recent)
    old = items("o", 30, random.Random(9), 0.3)
    store.works.ingest("feed", old, now="2020-01-06T00:00:00Z")  # long ago: a lower threshold leaves them alone
    ids = [i.canonical_id for i in recent + old]
    # Scores spread over 0..1 by hand (the toy model's are all near 0 or 1), as the active model's.
    from tuning_replay import scored_as

    spread = {w: (n * 0.37) % 1.0 for n, w in enumerate(ids)}
    version = store.models.active_model_version()
    store.scores.record_scores(version, [scored_as(w, v) for w, v in spread.items()], dict.fromkeys(ids, 0.99))
    reaching = {w for w, v in spread.items() if 0.3 <= v < 0.99}
    queued_before = {r[0] for r in store.conn.execute("SELECT id FROM works WHERE queued_at IS NOT NULL")}
    assert reaching & {i.canonical_id for i in recent} and reaching & {i.canonical_id for i in old}
    (tmp_path / "config.yaml").write_text("threshold: 0.99\n")
    args = ["--db", str(store.path), "--config", str(tmp_path / "config.yaml")]
    raised = CliRunner().invoke(cli, ["tune", "--set", "0.995", "--json", *args])
    assert raised.exit_code == 0, raised.output
    assert json.loads(raised.stdout)["requeued"] == 0  # a higher threshold queues nothing
    lowered = CliRunner().invoke(cli, ["tune", "--set", "0.3", "--json", *args])
    assert lowered.exit_code == 0, lowered.output
    expected = reaching & {i.canonical_id for i in recent}
    assert json.loads(lowered.stdout)["requeued"] == len(expected)
    queued = {
        r[0] for r in store.conn.execute("SELECT id FROM works WHERE queued_at IS NOT NULL AND queue_reason = 'score'")
    }
    assert queued - queued_before == expected
    assert all(latest(store, w)["why"] for w in expected)  # explained as they join the queue
