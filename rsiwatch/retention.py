"""Apply the config's ``retention`` to the store: run after each crawl, by ``rsiwatch crawl`` and the daemon,
after each training, and by ``rsiwatch vacuum``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rsiwatch.config import Retention
from rsiwatch.store import Store, iso_ago

log = logging.getLogger("rsiwatch.retention")


@dataclass(frozen=True)
class Pruned:
    fetches: int = 0  # fetch rows folded into their source's summary
    models: list[int] = field(default_factory=list)  # model versions whose blob was dropped
    scores: int = 0  # score rows of superseded models folded into their version's summary


# The active model version the superseded scores were last folded for: folding reads every score row,
# which a crawl every minute should not do when no training has happened since.
FOLDED_SETTING = "scores_folded_for_model"


def fold_superseded_scores(store: Store, *, always: bool = False) -> int:
    """Fold the scores a training (or a rollback) superseded, once per active model; returns how many."""
    version = store.models.active_model_version()
    if version is None or (not always and store.models.setting(FOLDED_SETTING) == version):
        return 0
    folded = store.retention.fold_scores()
    store.models.set_setting(FOLDED_SETTING, version, f"{folded} superseded score rows folded into score_summaries")
    return folded


def prune(store: Store, retention: Retention, *, fold_scores_always: bool = False) -> Pruned:
    """Fold old fetch rows and superseded scores into summaries; drop old model blobs."""
    fetches = store.retention.prune_fetches(iso_ago(retention.fetches_s))
    models = store.retention.prune_model_blobs(retention.models)
    scores = fold_superseded_scores(store, always=fold_scores_always)
    if fetches or models or scores:
        log.info("retention: folded %d fetch rows and %d old score rows into summaries; dropped the blobs of "
                 "models %s", fetches, scores, ", ".join(map(str, models)) or "none")
    return Pruned(fetches, models, scores)
