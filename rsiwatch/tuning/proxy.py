"""Day one: what each threshold would catch, estimated from the catalog before any review.

A new user's first question is which threshold to use, and until some candidates are reviewed the
review history cannot answer it.  The catalog can, roughly: each entry is scored by a model trained
without it (``classifier.catalog_heldout_scores``, k-fold), and the share of entries at or above a
threshold, set beside the stream's weekly load at that threshold, says what the threshold costs and
about what it catches.  It is labelled a proxy everywhere it is shown, and the reviews' own recall
replaces it once there are enough decisions (``tuning_report.reviews_suffice``).

The figures are kept in the settings (key ``catalog_recall_proxy``) with what they were computed
from, so ``tune`` and the stats page pay for the folds once per model version, catalog and
decision count rather than on every call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rsiwatch.scoring import training_set
from rsiwatch.store import Store, utcnow

PROXY_SETTING = "catalog_recall_proxy"
PROXY_FOLDS = 5
# The newest works of the stream serve as the folds' pool: featurising the pool is most of the cost.
# Measured on the 75k stream (5 folds): a pool of 10,000 put 44% / 9% of the entries at 0.35 / 0.5,
# 20,000 49% / 13% and 40,000 48% / 14%, in 5.5, 8.9 and 19 s: 20,000 is where the figure settles.
PROXY_POOL = 20_000
MIN_ENTRIES = 5  # fewer catalog entries: the share would move by 20 points an entry


@dataclass(frozen=True)
class CatalogProxy:
    """Out-of-fold scores of the catalog's entries, and what they were computed from."""

    scores: tuple[float, ...]
    method: str  # "5-fold" or "leave-one-out"
    model_version: int | None
    pool: int
    computed_at: str
    seconds: float

    @property
    def label(self) -> str:
        return f"catalog recall ({self.method})"

    def recall_at(self, thresholds: Sequence[float]) -> list[float]:
        """The share of catalog entries whose out-of-fold score reaches each threshold."""
        s = np.sort(np.asarray(self.scores, dtype=np.float64))
        return [float((s.size - np.searchsorted(s, t, side="left")) / s.size) for t in thresholds]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "entries": len(self.scores),
            "model_version": self.model_version,
            "pool": self.pool,
            "computed_at": self.computed_at,
            "seconds": round(self.seconds, 2),
        }


def _fingerprint(store: Store) -> dict[str, Any]:
    """What the figures depend on: the model in use (it moves with the stream), the catalog and the labels."""
    return {
        "model_version": store.models.active_model_version(),
        "catalog": store.works.count("catalog"),
        "labelled": len(store.decisions.labelled_work_ids()),
        "folds": PROXY_FOLDS,
        "pool_limit": PROXY_POOL,
    }


def catalog_proxy(store: Store, *, compute: bool = True) -> CatalogProxy | None:
    """The catalog-recall proxy for the store as it is now: from the settings when nothing it depends on
    changed, else computed (``compute``) and kept.  None when the catalog is too small to say anything."""
    key = _fingerprint(store)
    if key["catalog"] < MIN_ENTRIES:
        return None
    kept = store.models.setting(PROXY_SETTING)
    if isinstance(kept, dict) and kept.get("key") == key:
        return CatalogProxy(
            tuple(kept["scores"]),
            kept["method"],
            key["model_version"],
            kept["pool"],
            kept["computed_at"],
            kept["seconds"],
        )
    if not compute:
        return None
    from classifier import catalog_heldout_scores

    started = time.perf_counter()
    ts = training_set(store, pool_limit=PROXY_POOL)
    held = catalog_heldout_scores(ts, PROXY_FOLDS)
    proxy = CatalogProxy(
        tuple(round(v, 6) for v in held.scores.values()),
        held.method,
        key["model_version"],
        len(ts.pool),
        utcnow(),
        time.perf_counter() - started,
    )
    store.models.set_setting(
        PROXY_SETTING,
        {
            "key": key,
            "scores": list(proxy.scores),
            "method": proxy.method,
            "pool": proxy.pool,
            "computed_at": proxy.computed_at,
            "seconds": proxy.seconds,
        },
        f"{proxy.label} of {len(proxy.scores)} entries with a pool of {proxy.pool} works",
    )
    return proxy
