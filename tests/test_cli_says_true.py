"""What a command says is true: a listing cut by --limit says so; bad ranges, categories and YAML are
refused with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from review_fixtures import populate


@pytest.mark.slow
def test_candidates_says_when_the_limit_cuts_the_listing(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    populate(tmp_path / "candidates.db", 5)
    cut = run_cli("candidates", "--limit", "2", cwd=tmp_path)
    assert len(cut.stdout.strip().splitlines()) >= 2 and "showing 2 of 5 (--limit)" in cut.stderr
    as_json = run_cli("candidates", "--limit", "2", "--json", cwd=tmp_path)
    assert len(json.loads(as_json.stdout)) == 2 and "showing 2 of 5 (--limit)" in as_json.stderr
    whole = run_cli("candidates", "--limit", "5", cwd=tmp_path)
    assert "showing" not in whole.stderr


@pytest.mark.slow
def test_backfill_refuses_a_backward_range_and_unknown_categories(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    backward = run_cli("backfill", "--from", "2026-02-01", "--until", "2026-01-01", cwd=tmp_path, check=False)
    assert backward.returncode == 2 and "--from '2026-02-01': after --until 2026-01-01" in backward.stderr
    for bad in ("cs.XX", "kernels", "cs"):
        refused = run_cli("backfill", "--from", "2026-01-01", "--categories", bad, cwd=tmp_path, check=False)
        assert refused.returncode == 2 and f"'{bad}'" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "candidates.db").exists()  # refused before anything was opened


def test_a_key_written_twice_in_the_config_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    write_config(config, [])
    config.write_text(config.read_text() + "threshold: 0.3\nthreshold: 0.9\n")
    refused = run_cli("status", cwd=tmp_path, check=False)
    [line] = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and "config.yaml" in line and "threshold" in line and "line" in line


@pytest.mark.slow
def test_a_work_a_retrain_put_below_the_threshold_says_which_model_queued_it(tmp_path: Path) -> None:
    from classifier import Scored
    from rsiwatch.store import Store

    write_config(tmp_path / "config.yaml", [])
    ids = populate(tmp_path / "candidates.db", 3)  # queued for their scores under model 1
    with Store(tmp_path / "candidates.db") as store:
        lowered = Scored(id=ids[0], score=0.05, category="research-automation", category_confidence=0.5,
                                  category_fits=True, why=[], nearest=[])
        store.scores.record_scores(2, [lowered], {ids[0]: 0.35})  # a retrain: now below the threshold, still queued
    listed = {c["canonical_id"]: c for c in json.loads(run_cli("candidates", "--json", cwd=tmp_path).stdout)}
    assert listed[ids[0]]["queue_reason"] == "score under model 1"
    assert listed[ids[1]]["queue_reason"] == "score"
