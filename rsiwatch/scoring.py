"""Between the store and the classifier: assemble training data, keep model versions, score works.

The classifier is pure (documents in, numbers out); this module is where it meets the database, so the
rest of the program never handles model blobs or training sets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rsiwatch.config import Config
from rsiwatch.flock import beside, exclusive
from rsiwatch.rule_queue import apply_rules
from rsiwatch.store import THRESHOLD_SETTING, Store, StoreError

if TYPE_CHECKING:
    from classifier import Doc, Model, Scored, TrainingSet

# The classifier (numpy, scipy, scikit-learn) is imported inside the functions that score or train,
# so commands that only read the queue start in a fraction of a second.

POOL_LIMIT = 200_000  # the newest undecided works; enough to learn what the stream looks like
POOL_REFRESH_UNTIL = 20_000  # below this many pool works, a doubling of the pool triggers a retrain


@dataclass(frozen=True)
class ScoreRun:
    model_version: int
    scored: int
    queued: list[str]


def effective_threshold(store: Store, config: Config) -> float:
    """The threshold ``rsiwatch tune`` set (kept in the database with time and reason), else the config's."""
    return float(store.models.setting(THRESHOLD_SETTING, config.threshold))


def catalog_docs(store: Store) -> list[Doc]:
    from classifier import Doc

    return [
        Doc(id=e["work_id"] or f"catalog:{e['id']}", title=e["title"], summary=e["description"], category=e["category"])
        for e in store.catalog.entries()
    ]


def training_set(store: Store, pool_limit: int = POOL_LIMIT) -> TrainingSet:
    """Everything the curator has said: the catalog, accepted and rejected works; plus the newest
    ``pool_limit`` works of the stream as the pool."""
    from classifier import Doc, TrainingSet

    catalog = catalog_docs(store)
    labels = store.decisions.labelled_work_ids()
    texts = {t.id: t for t in store.works.texts(list(labels))}
    # A decided work trains on its own text (title and abstract), as a decision: an accepted work's catalog
    # entry holds only a one-sentence description, which weighs like a seed entry (``catalog_weight``).
    # The entry stays in ``catalog`` for the nearest-entry display and the categories.
    # Works the seed or an import accepted have only the entry's text: they stay catalog entries.
    reviewed = {r["work_id"] for r in store.history.review_history()}
    decided: list[Doc] = []
    negatives: list[Doc] = []
    for work_id, label in labels.items():
        text = texts.get(work_id)
        if text is None or (label == 1 and work_id not in reviewed):
            continue
        doc = Doc(id=text.id, title=text.title, summary=text.summary)
        (decided if label == 1 else negatives).append(doc)
    decided_ids = {d.id for d in decided}
    positives = decided + [d for d in catalog if d.id not in decided_ids]
    pool = [Doc(id=t.id, title=t.title, summary=t.summary) for t in store.decisions.pool_texts(pool_limit)]
    return TrainingSet(positives=positives, negatives=negatives, pool=pool, catalog=catalog)


def train_and_save(store: Store, note: str, *, activate: bool = True) -> tuple[int, Model]:
    from classifier import train

    ts = training_set(store)
    model = train(ts)
    version = store.models.save_model(
        model.to_bytes(),
        trained_on={
            "positives": len(ts.positives), "negatives": len(ts.negatives), "pool": len(ts.pool),
            "catalog": len(ts.catalog),
        },
        params=model.params.to_dict(),
        note=note,
        activate=activate,
    )
    return version, model


# The decoded active model per database, for processes that open a store per request (the review page).
_DECODED: dict[tuple[str, int, str], Model] = {}


def active_model(store: Store) -> tuple[int, Model] | None:
    """The active model, decoded once per database and version: a crawl scores source after source, and
    decoding the blob (and the term names explanations need) cost more than scoring a feed."""
    version = store.models.active_model_version()
    if version is None:
        return None
    cached = store.memo.get("model")
    if cached is not None and cached[0] == version:
        return cached
    key = (str(store.path.resolve()), version, store.models.model_created_at(version))
    model = _DECODED.get(key)
    if model is None:
        found = store.models.active_model()
        if found is None:
            return None
        from classifier import Model

        model = Model.from_bytes(found[1])
        _DECODED.clear()  # one model held: the newest one asked for
        _DECODED[key] = model
    store.memo["model"] = (version, model)
    return version, model


@contextmanager
def training(store: Store) -> Iterator[None]:
    """One training at a time per database, across the daemon's jobs and every process: parallel jobs
    that each found no model once trained four identical cold-start models.  Whoever waited here checks
    again, inside, whether the model it wanted now exists."""
    with exclusive(beside(store.path, ".train.lock")):
        yield


def ensure_model(store: Store) -> tuple[int, Model]:
    """The active model; on the very first run, a cold one from the catalog and what was crawled."""
    found = active_model(store)
    if found is not None:
        return found
    with training(store):
        # Another job or process may have trained it while this one waited for the lock.
        return active_model(store) or train_and_save(store, "cold start: catalog as positives, crawled works as pool")


def refresh_if_pool_grew(store: Store, config: Config) -> ScoreRun | None:
    """Retrain when the stream seen has at least doubled since a small model was trained.

    The first model is trained on whatever the first crawl brought, perhaps a few dozen items; it
    learns what ordinary papers look like from that pool, so it is refreshed (and the open works
    rescored) as the pool grows, until the pool is large enough that only scheduled retraining matters.
    """
    def grown_from() -> int | None:
        """The pool the active model was trained on, when the stream has doubled since (else None)."""
        active = next((m for m in reversed(store.models.versions()) if m["active"]), None)
        if active is None:
            return None
        trained_pool = int(active["trained_on"].get("pool", 0))
        if trained_pool >= POOL_REFRESH_UNTIL or store.decisions.pool_size() < 2 * max(trained_pool, 25):
            return None
        return trained_pool

    if grown_from() is None:
        return None
    with training(store):
        trained_pool = grown_from()  # a parallel job may have refreshed it while this one waited
        if trained_pool is None:
            return None
        train_and_save(store, f"pool grew from {trained_pool} to {store.decisions.pool_size()} works")
    return score_works(store, config, store.works.open_work_ids())


@dataclass(frozen=True)
class Rollback:
    version: int  # the model active again
    trained_on: dict
    run: ScoreRun  # the open works rescored with it
    unqueued: list[str]  # works only the newer model had queued, out of the queue again


def rollback_model(store: Store, config: Config) -> Rollback:
    """Make the version before the active one active again, rescore the open works with it, and take out
    of the queue what only the newer model put there (queued since it was trained, and now below the
    threshold).  Decided works keep their decisions; works queued before the newer model stay queued."""
    models = store.models.versions()
    current = next((m for m in reversed(models) if m["active"]), None)
    older = [m for m in models if current and m["version"] < current["version"]]
    if not older:
        raise StoreError("no earlier model version to roll back to")
    restored = older[-1]
    since = min(m["created_at"] for m in models if m["version"] > restored["version"])
    store.models.activate_model(restored["version"])
    run = score_works(store, config, store.works.open_work_ids())
    return Rollback(restored["version"], restored["trained_on"], run, store.scores.unqueue_below_threshold(since))


def thresholds_for(store: Store, config: Config, work_ids: Sequence[str]) -> dict[str, float]:
    """Per work, the lowest threshold of the sources that mentioned it (a rich source may lower its own)."""
    base = effective_threshold(store, config)
    per_source = {s.name: s.threshold for s in config.sources if s.threshold is not None}
    sources = store.works.sources_of(work_ids) if per_source else {}
    return {
        work_id: min([base, *(per_source[s] for s in sources.get(work_id, ()) if s in per_source)])
        for work_id in work_ids
    }


def score_works(
    store: Store, config: Config, work_ids: Sequence[str], *, queue: bool = True, explain_all: bool = False
) -> ScoreRun:
    """Score works with the active model, record each score with its version, queue those above threshold.

    Why-terms and nearest catalog entries are computed for the works a curator will see: those at or
    above their threshold and those already in the queue (``explain_all``: every one, as for a submission).
    """
    from classifier import Doc

    if not work_ids:
        found = store.models.active_model()
        return ScoreRun(found[0] if found else 0, 0, [])
    version, model = ensure_model(store)
    texts = store.works.texts(work_ids)
    thresholds = thresholds_for(store, config, [t.id for t in texts])
    explain_from = None if explain_all else {**thresholds, **dict.fromkeys(store.scores.queued_among(work_ids), 0.0)}
    docs = [Doc(id=t.id, title=t.title, summary=t.summary) for t in texts]
    scored = model.score_docs(docs, explain_from=explain_from)
    queued = store.scores.record_scores(version, scored, thresholds, queue=queue)
    if queue:  # the curator's rules beside the model: mutes take out, pins put in (rule_queue.py)
        ruled = apply_rules(store, config, [s.id for s in scored])
        queued = [w for w in queued if w not in set(ruled.muted)] + ruled.pinned
    return ScoreRun(version, len(scored), queued)


def explanations(store: Store, work_ids: Sequence[str]) -> dict[str, Scored]:
    """Why-terms and nearest entries of works, by the active model, without storing them."""
    from classifier import Doc

    found = active_model(store)
    if found is None or not work_ids:
        return {}
    docs = [Doc(id=t.id, title=t.title, summary=t.summary) for t in store.works.texts(work_ids)]
    return {s.id: s for s in found[1].score_docs(docs)}


def explain_works(store: Store, work_ids: Sequence[str]) -> int:
    """Add why-terms and nearest entries to the latest scores of works that joined the queue below their
    threshold (the weekly audit and uncertainty picks).  Returns how many were explained."""
    version = store.models.active_model_version()
    scored = explanations(store, work_ids)
    return store.scores.save_explanations(version, list(scored.values())) if scored and version is not None else 0
