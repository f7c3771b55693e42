"""Time-split check on the real labelled sample in ../shared (skipped when it is absent)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from classifier import Doc, TrainingSet, TrainParams, load_catalog_csv, metrics, train
from classifier.baselines import keyword_scores

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
pytestmark = pytest.mark.shared


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "data" / "dev_labelled.jsonl").exists(), reason="../shared/data is absent")
def test_time_split_beats_keyword_filter() -> None:
    rows = [json.loads(x) for x in (SHARED / "data" / "dev_labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    doc = lambda r: Doc(r["id"], r["title"], r["summary"])  # noqa: E731
    train_rows = [r for r in rows if r["date"][:7] < "2025-09"]
    test_rows = [r for r in rows if r["date"][:7] >= "2025-09" and r["grade"] != 1]
    labelled = {r["id"] for r in rows}
    rng = np.random.default_rng(0)
    pool: list[Doc] = []
    with gzip.open(SHARED / "data" / "arxiv_2025_2026.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:  # a 6,000-paper sample of the stream listed before the test period keeps this fast
            r = json.loads(line)
            if r["date"][:7] < "2025-09" and r["id"] not in labelled and rng.random() < 0.23:
                pool.append(doc(r))
    catalog = [d for d in load_catalog_csv(Path(__file__).resolve().parents[1] / "data" / "catalog_seed.csv")
               if not d.id.startswith("arxiv:25") or d.id < "arxiv:2509"]
    ts = TrainingSet(positives=catalog + [doc(r) for r in train_rows if r["label"] == 1],
                     negatives=[doc(r) for r in train_rows if r["label"] == 0], pool=pool, catalog=catalog)
    model = train(ts, TrainParams())
    test_docs = [doc(r) for r in test_rows]
    y = [int(r["grade"] == 2) for r in test_rows]
    ap_model = metrics(y, model.score(test_docs), 0.25)["average_precision"]
    ap_kw = metrics(y, keyword_scores(test_docs), 1)["average_precision"]
    assert ap_model > 1.15 * ap_kw, (ap_model, ap_kw)
