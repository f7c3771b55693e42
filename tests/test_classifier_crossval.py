"""The catalog's out-of-fold scores (classifier/crossval.py): every entry scored once, by a model that never
saw it, so the figures do not flatter the threshold the way in-sample scores would."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from stream_feed import items

from classifier import Doc, TrainingSet, catalog_heldout_scores, load_catalog_csv, train
from rsiwatch.cli import SEED_CATALOG

# An entry in words no other document uses: trained on, the words carry its score; held out, nothing does.
ODD = Doc("catalog:odd", "Zorblaxian quuxification", "Zorblaxian quuxification of zorblaxian frobnitz.",
          category="research-automation")


def catalog() -> list[Doc]:
    return [*load_catalog_csv(SEED_CATALOG), ODD]


def check_out_of_fold(ts: TrainingSet, margin: float) -> None:
    held = catalog_heldout_scores(ts, 5)
    assert held.method == "5-fold" and set(held.scores) == {d.id for d in ts.catalog}
    assert all(0.0 <= s <= 1.0 for s in held.scores.values())
    in_sample = dict(zip([d.id for d in ts.catalog], train(ts).score(ts.catalog), strict=False))
    assert held.scores[ODD.id] < in_sample[ODD.id] - margin
    assert np.mean(list(held.scores.values())) < np.mean(list(in_sample.values()))
    assert catalog_heldout_scores(ts, 5).scores == held.scores  # deterministic


def test_small_pool_scores_each_entry_once_without_it() -> None:
    entries = catalog()
    pool = [Doc("arxiv:" + i, t, s) for i, t, s in items(200)]
    check_out_of_fold(TrainingSet(positives=entries, pool=pool, catalog=entries), margin=0.2)


def test_more_folds_than_entries_is_leave_one_out() -> None:
    entries = catalog()[:6]
    held = catalog_heldout_scores(TrainingSet(positives=entries, pool=[], catalog=entries), 50)
    assert held.method == "leave-one-out" and held.folds == 6 and len(held.scores) == 6


@pytest.mark.slow
def test_calibrated_path_on_the_real_stream(shared_dir: Path) -> None:
    pool = []
    with gzip.open(shared_dir / "data" / "arxiv_2025_2026.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            pool.append(Doc(r["id"], r["title"], r["summary"]))
            if len(pool) == 3000:
                break
    entries = catalog()
    check_out_of_fold(TrainingSet(positives=entries, pool=pool, catalog=entries), margin=0.2)


def test_too_small_a_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match="at least two"):
        catalog_heldout_scores(TrainingSet(positives=[ODD], pool=[], catalog=[ODD]))
