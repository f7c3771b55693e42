"""``rsiwatch evaluate``: train a fresh model from item files and report metrics on a test file.

Pure file-in / dict-out so the CLI needs no config or database: the catalog is passed in by the caller
(the packaged seed catalog, or the one in ``--db``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .docs import DataFileError, Doc, TrainingSet, load_jsonl_docs
from .metrics import metrics
from .model import TrainParams, train


def training_set_from_rows(rows: list[tuple[Doc, int | None]], catalog: list[Doc]) -> TrainingSet:
    """Exactly what ``train`` sees in production: catalog + label-1 rows as positives, label-0 rows as
    negatives, unlabelled rows as the pool."""
    return TrainingSet(
        positives=list(catalog) + [d for d, y in rows if y == 1],
        negatives=[d for d, y in rows if y == 0],
        pool=[d for d, y in rows if y is None],
        catalog=list(catalog),
    )


def evaluate_files(train_path: str | Path, test_path: str | Path, catalog: list[Doc], threshold: float,
                   scores_out: str | Path | None = None, params: TrainParams | None = None) -> dict[str, Any]:
    """Train on TRAIN (+ catalog), score every TEST row, return ``metrics()`` on TEST's labelled rows.

    The result also carries ``trained_on`` (counts) and ``test_rows``. With ``scores_out`` one JSON
    object a line ``{id, score, category, why, why_weights}`` is written for every TEST row, via a
    temporary file renamed into place so a half-written file is never left behind.
    """
    train_rows = load_jsonl_docs(train_path)
    test_rows = load_jsonl_docs(test_path)
    if not any(y is not None for _, y in test_rows):
        # metrics of nothing would be NaN everywhere: a test file is there to be measured against
        raise DataFileError(f"{test_path}: no row has a label (1 or 0); a test file needs labelled rows")
    model = train(training_set_from_rows(train_rows, catalog), params)
    docs = [d for d, _ in test_rows]
    scored = model.score_docs(docs, explain=scores_out is not None)
    labelled = [(s.score, y) for s, (_, y) in zip(scored, test_rows, strict=False) if y is not None]
    result = metrics([y for _, y in labelled], [s for s, _ in labelled], threshold)
    result["trained_on"] = model.trained_on
    result["test_rows"] = len(test_rows)
    if scores_out is not None:
        out = Path(scores_out)
        fd, tmp = tempfile.mkstemp(dir=out.parent or Path("."), prefix=out.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for s in scored:
                    fh.write(json.dumps({"id": s.id, "score": round(s.score, 6), "category": s.category,
                                         "why": [t for t, _ in s.why], "why_weights": [round(c, 6) for _, c in s.why]},
                                        ensure_ascii=False) + "\n")
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return result
