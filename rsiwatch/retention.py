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


def prune(store: Store, retention: Retention) -> Pruned:
    """Fold old fetch rows and unreferenced old scores into summaries; drop old model blobs."""
    fetches = store.prune_fetches(iso_ago(retention.fetches_s))
    models = store.prune_model_blobs(retention.models)
    scores = store.fold_scores()
    if fetches or models or scores:
        log.info("retention: folded %d fetch rows and %d old score rows into summaries; dropped the blobs of "
                 "models %s", fetches, scores, ", ".join(map(str, models)) or "none")
    return Pruned(fetches, models, scores)
