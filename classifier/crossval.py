"""Out-of-fold scores of the catalog's own entries: how a model ranks examples it was not trained on.

Before any review, the catalog is the only labelled evidence there is.  Scoring each entry with a model
trained without it (k-fold over the entries) asks "had this example been new, at which score would the
model have put it?", and the share of entries at or above a threshold is a proxy for the recall that
threshold reaches on new work.  A proxy only: the catalog leans to famous, older papers, and the
reviews' own recall replaces it once there are some.

Speed: the training set is featurised once and only the linear fit and its stream calibration are
redone per fold (the fit is a few percent of a training's cost; tokenising and weighting the pool are
the rest).  The held-out entries therefore take part in the vocabulary and its IDF weights, never in
a fit: no label of theirs reaches the model that scores them.  (A catalog entry is never in the pool:
training keeps every positive out of it, so a held-out entry is not a weak negative either.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .docs import TrainingSet
from .model import TrainParams, _fit_prepared, _prepare

DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class HeldOut:
    """Each catalog entry's out-of-fold score (0..1, the stream scale of calibration.py)."""

    scores: dict[str, float]  # catalog entry id -> score by the model of the fold that left it out
    folds: int

    @property
    def method(self) -> str:
        return "leave-one-out" if self.folds >= len(self.scores) else f"{self.folds}-fold"


def catalog_heldout_scores(ts: TrainingSet, folds: int = DEFAULT_FOLDS, params: TrainParams | None = None) -> HeldOut:
    """Score every entry of ``ts.catalog`` with a model trained on ``ts`` without the entry's fold.

    Entries are dealt into ``folds`` folds at random (``params.seed``); other positives (accepted works,
    category descriptors), the negatives and the pool stay in every fold's training set.
    """
    p = params or TrainParams()
    catalog_ids = list(dict.fromkeys(d.id for d in ts.catalog))
    if len(catalog_ids) < 2:
        raise ValueError("cross-validation needs at least two catalog entries")
    folds = max(2, min(folds, len(catalog_ids)))
    prep = _prepare(ts, p)
    pos_ids = np.array([d.id for d in prep.pos], dtype=object)
    order = np.random.default_rng(p.seed).permutation(len(catalog_ids))
    fold_of = {catalog_ids[i]: k % folds for k, i in enumerate(order)}
    scores: dict[str, float] = {}
    for k in range(folds):
        out = {i for i, f in fold_of.items() if f == k}
        held = np.array([i in out for i in pos_ids], dtype=bool)
        fit, calibration = _fit_prepared(prep, p, keep_pos=~held)
        raw = prep.xp[held] @ fit.coef + fit.intercept
        for work_id, value in zip(pos_ids[held], calibration(raw), strict=False):
            scores[str(work_id)] = float(value)
    return HeldOut(scores={i: scores[i] for i in catalog_ids if i in scores}, folds=folds)
