"""Replay a labelled history through the real database and check what ``tune`` reads back.

The labels come from ``../shared/data/dev_labelled.jsonl`` (its uniform stratum, scored by the real
classifier) when present, else from a synthetic fixture; both run, so the test never depends on
../shared.  Every expected figure is computed here from the labels, the scores and the draws' picks.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from tuning_replay import Replay, Row, replay, shared_rows, synthetic_rows

from rsiwatch.cli import cli
from rsiwatch.config import Config, Review
from rsiwatch.store import Store
from rsiwatch.tuning import audit
from rsiwatch.tuning.report import build_report

AUDIT_PER_WEEK = 20
SHARE = 0.1
Z = 1.959963984540054


@pytest.fixture(scope="module", params=["synthetic", pytest.param("shared", marks=pytest.mark.slow)])
def replayed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Replay, list[Row]]:
    rows = synthetic_rows() if request.param == "synthetic" else shared_rows()
    if rows is None:
        pytest.skip("../shared/data/dev_labelled.jsonl is not present")
    folder = tmp_path_factory.mktemp(f"replay-{request.param}")
    db = folder / "candidates.db"
    with Store(db) as store:
        log = replay(store, rows, audit_per_week=AUDIT_PER_WEEK, uncertain_share=SHARE)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, log, rows


def config() -> Config:
    # The replays queue at 0.35 (tuning_replay.Replay's threshold), whatever the shipped default is.
    return Config(threshold=0.35, review=Review(audit_per_week=AUDIT_PER_WEEK, uncertain_share=SHARE))


def copy_db(db: Path, tmp_path: Path) -> Path:
    """A private copy for tests that change settings (the replayed file is checkpointed and closed)."""
    target = tmp_path / "candidates.db"
    shutil.copyfile(db, target)
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump(
            {"database": "candidates.db", "review": {"audit_per_week": AUDIT_PER_WEEK, "uncertain_share": SHARE}}
        )
    )
    return target


def expected_weights(db: Path, log: Replay) -> tuple[dict[str, float], dict[str, str]]:
    """Per decided work: its weight, from this test's own count of each week's audit population."""
    weights, reasons = {}, {}
    with Store(db) as store:
        for week in log.weeks:
            below = [r for r in week.rows if r.score < log.threshold]
            reason = {r.id: store.works.work(r.id)["queue_reason"] for r in week.rows}
            reasons.update(reason)
            uncertain = [r.id for r in below if reason[r.id] == "uncertain"]
            audited = [r.id for r in below if reason[r.id] == "audit"]
            assert week.draw is not None and week.draw.population == len(below) - len(uncertain)
            assert len(audited) == min(AUDIT_PER_WEEK, len(below) - len(uncertain))
            # the uncertainty picks are the highest-scoring works below the threshold
            ranked = sorted(below, key=lambda r: -r.score)
            assert {r.id for r in ranked[: len(uncertain)]} == set(uncertain)
            for work_id in audited:
                weights[work_id] = (len(below) - len(uncertain)) / len(audited)
    return weights, reasons


def reviewed_arrays(db: Path, log: Replay, rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    weights, reasons = expected_weights(db, log)
    kept = [r for r in rows if reasons.get(r.id) is not None]
    s = np.array([r.score for r in kept])
    y = np.array([r.label for r in kept], dtype=float)
    w = np.array([weights.get(r.id, 1.0) for r in kept])
    return s, y, w, [reasons[r.id] for r in kept]


def test_every_queued_work_was_decided_with_its_score(replayed) -> None:
    db, log, rows = replayed
    with Store(db) as store:
        history = store.history.review_history()
    by_id = {r.id: r for r in rows}
    assert history and all(h["score"] == pytest.approx(by_id[h["work_id"]].score) for h in history)
    assert all(h["label"] == by_id[h["work_id"]].label for h in history)
    caught = {h["work_id"] for h in history if h["queue_reason"] == "score"}
    assert caught == {r.id for r in rows if r.score >= log.threshold}


def test_curves_match_the_weighted_brute_force(replayed) -> None:
    db, log, rows = replayed
    s, y, w, _ = reviewed_arrays(db, log, rows)
    now = datetime.now(UTC)
    with Store(db) as store:
        report = build_report(store, config(), now=now, weeks=52)
    first_seen = min(week.start for week in log.weeks) + timedelta(hours=1)
    span = (now - first_seen).total_seconds() / (7 * 86400)
    all_scores = np.array([r.score for r in rows])
    for p in report.curve:
        above = s >= p.threshold
        assert p.recall == pytest.approx((w * y)[above].sum() / (w * y).sum())
        if w[above].sum():
            assert p.precision == pytest.approx((w * y)[above].sum() / w[above].sum())
        assert p.per_week == pytest.approx((all_scores >= p.threshold).sum() / span, rel=1e-6)
    assert report.audited_scope and report.current.threshold == log.threshold


def test_recall_estimate_matches_an_independent_computation_and_covers_the_truth(replayed) -> None:
    db, log, rows = replayed
    _s, y, w, reasons = reviewed_arrays(db, log, rows)
    caught = sum(yi for yi, r in zip(y, reasons, strict=False) if r == "score")
    found = sum(yi for yi, r in zip(y, reasons, strict=False) if r not in ("score", "audit"))
    aw = np.array([wi for wi, r in zip(w, reasons, strict=False) if r == "audit"])
    ay = np.array([yi for yi, r in zip(y, reasons, strict=False) if r == "audit"])
    missed, population = (aw * ay).sum(), aw.sum()
    n_eff = aw.sum() ** 2 / (aw**2).sum()
    # Wilson's interval as the roots of (p - p_hat)^2 = z^2 p (1 - p) / n
    p_hat = missed / population
    a, b, c = 1 + Z**2 / n_eff, -(2 * p_hat + Z**2 / n_eff), p_hat**2
    p_lo, p_hi = sorted(np.roots([a, b, c]).real)
    with Store(db) as store:
        est = build_report(store, config()).estimate
    assert est.caught == caught and est.found_below == found
    assert est.recall == pytest.approx(caught / (caught + found + missed))
    assert est.low == pytest.approx(caught / (caught + found + population * p_hi))
    assert est.high == pytest.approx(caught / (caught + found + population * max(p_lo, 0.0)), abs=1e-9)
    labels = np.array([r.label for r in rows])
    truth = labels[np.array([r.score for r in rows]) >= log.threshold].sum() / labels.sum()
    assert est.low <= truth <= est.high, (est, truth)


def test_per_source_figures(replayed) -> None:
    db, log, rows = replayed
    with Store(db) as store:
        report = build_report(store, config())
    names = {s["source"] for s in report.sources}
    assert names == {"arxiv-ml", "blog"}
    for s in report.sources:
        mine = [r for r in rows if log.source_of(r.id) == s["source"]]
        queued = [r for r in mine if r.score >= log.threshold]
        assert s["candidates"] >= len(queued)
        assert s["audited"] > 0 and s["recall_low"] <= s["recall"] <= s["recall_high"]


def test_tune_picks_by_recall_and_saves_it_with_the_reason(replayed, tmp_path: Path) -> None:
    db, log, rows = replayed
    s, y, w, _ = reviewed_arrays(db, log, rows)
    target = 0.8
    best = max(t for t in np.unique(s) if (w * y)[s >= t].sum() >= target * (w * y).sum() - 1e-9)
    path = copy_db(db, tmp_path)
    result = CliRunner().invoke(
        cli, ["tune", "--recall", str(target), "--json", "--db", str(path), "--config", str(tmp_path / "config.yaml")]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["chosen"]["threshold"] == pytest.approx(best) and out["chosen"]["saved"]
    with Store(path) as store:
        saved = store.history.setting_history("threshold")[-1]
        assert saved["value"] == pytest.approx(best)
        assert "target recall 0.8" in saved["reason"] and saved["set_at"]
        assert store.models.setting("threshold_target") == {"recall": target}


def test_tune_picks_by_budget(replayed, tmp_path: Path) -> None:
    db, log, _rows = replayed
    path = copy_db(db, tmp_path)
    budget = 40.0
    net = (budget - AUDIT_PER_WEEK) * (1 - SHARE)
    now = datetime.now(UTC)
    since = now - timedelta(weeks=8)
    window = np.array([r.score for week in log.weeks for r in week.rows if week.start + timedelta(hours=1) >= since])
    span = 8.0
    fits = [t for t in np.unique(window) if (window >= t).sum() / span <= net]
    result = CliRunner().invoke(
        cli, ["tune", "--budget", "40", "--json", "--db", str(path), "--config", str(tmp_path / "config.yaml")]
    )
    assert result.exit_code == 0, result.output
    chosen = json.loads(result.output)["chosen"]
    assert chosen["threshold"] == pytest.approx(min(fits))
    assert chosen["per_week"] <= net + 0.2  # a few seconds pass between the two windows


def test_tune_text_output_set_dry_run_and_usage(replayed, tmp_path: Path) -> None:
    db, _, _ = replayed
    path = copy_db(db, tmp_path)
    args = ["--db", str(path), "--config", str(tmp_path / "config.yaml")]
    runner = CliRunner()
    shown = runner.invoke(cli, ["tune", *args])
    assert shown.exit_code == 0, shown.output
    assert "estimated recall" in shown.output and "threshold  precision  recall  per week" in shown.output
    assert "arxiv-ml" in shown.output and "→" in shown.output
    dry = runner.invoke(cli, ["tune", "--set", "0.2", "--dry-run", "--json", *args])
    assert json.loads(dry.output)["chosen"]["saved"] is False
    with Store(path) as store:
        assert store.models.setting("threshold") is None
    done = runner.invoke(cli, ["tune", "--set", "0.2", "--reason", "more recall", *args])
    assert done.exit_code == 0
    with Store(path) as store:
        assert (
            store.models.setting("threshold") == 0.2
            and "more recall" in store.history.setting_history("threshold")[-1]["reason"]
        )
    both = runner.invoke(cli, ["tune", "--set", "0.2", "--recall", "0.9", *args])
    assert both.exit_code == 2 and "only one of" in both.output


def test_tune_plot_writes_a_png(replayed, tmp_path: Path) -> None:
    db, _, _ = replayed
    path = copy_db(db, tmp_path)
    png = tmp_path / "tune.png"
    result = CliRunner().invoke(
        cli,
        [
            "tune",
            "--recall",
            "0.9",
            "--dry-run",
            "--plot",
            str(png),
            "--db",
            str(path),
            "--config",
            str(tmp_path / "config.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_health_warnings_quiet_on_a_steady_history(replayed) -> None:
    from rsiwatch.tuning.report import health_warnings

    db, _, _ = replayed
    with Store(db) as store:
        warnings = health_warnings(store, config())
    assert not [w for w in warnings if w.startswith("drift")], warnings


def test_audit_draw_recorded_for_every_week(replayed) -> None:
    db, log, _ = replayed
    with Store(db) as store:
        draws = audit.draws(store)
    assert [d.week for d in draws] == [w.start.date().isoformat() for w in log.weeks]


def test_health_warns_when_the_score_distribution_moves(tmp_path: Path) -> None:
    """Four steady weeks, then a week whose works all score higher: `status` should hear about it."""
    from tuning_replay import scored_as

    from crawler.items import Item
    from rsiwatch.store import iso
    from rsiwatch.tuning.report import health_warnings

    rng = np.random.default_rng(4)
    now = datetime(2026, 3, 4, tzinfo=UTC)
    with Store(tmp_path / "c.db") as store:
        for day in range(35):
            shift = 0.25 if day < 7 else 0.0
            ids = [f"url:https://x.org/{day}/{i}" for i in range(30)]
            store.works.ingest(
                "feed", [Item(i, "t", "", i[4:], i) for i in ids], now=iso(now - timedelta(days=day, hours=1))
            )
            store.scores.record_scores(
                1, [scored_as(i, float(min(rng.beta(2, 8) + shift, 0.99))) for i in ids], {i: 0.99 for i in ids}
            )
        warnings = health_warnings(store, Config(review=Review(audit_per_week=0)), now=now)
    assert len([w for w in warnings if w.startswith("drift: scores")]) == 1, warnings
