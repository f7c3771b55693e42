"""The retraining gate: a new model replaces the active one only if it ranks recent decisions at least as well.

Why a gate: retraining on a week of decisions usually helps, but a batch of odd decisions, a source
gone wrong or a recipe change can make a model worse, and a worse model silently hides relevant work
below the threshold.  So the newest decisions are held out (the latest 20% by time, at least 20), a
candidate is trained without them, and both the candidate and the active model score them; average
precision (the ranking quality over all thresholds) decides, ties going to the candidate, and the active
model is kept only when the candidate is worse in at least 95% of bootstrap resamples of those decisions
(a lower figure on 20 decisions is often noise, and keeping an older model for it wastes their lessons).

If the candidate passes, the same recipe is trained again on every decision and that model becomes
active (the newest decisions are the most valuable; leaving them out of production to keep the
evaluated artefact bit-identical would waste them).  If it fails, the candidate is saved inactive with
the reason in ``models.note`` and the active model stays.  Either way the outcome is kept in the
setting ``retrain_last`` so ``rsiwatch status`` can say why a model did or did not change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from classifier import Doc, Model, TrainingSet, metrics, train
from classifier.metrics import worse_share
from rsiwatch.config import Config
from rsiwatch.scoring import active_model, effective_threshold, training_set
from rsiwatch.store import RETRAIN_SETTING, Store, utcnow

HOLDOUT_SHARE = 0.2
MIN_HOLDOUT = 20
# The active model is kept only when the candidate ranks the held-out decisions worse in this share of
# bootstrap resamples: on 20 decisions a lower average precision is often noise, and keeping an older
# model for noise throws away a week of decisions (issue 26: the gate kept it 25-28 weeks of 42).
CONFIDENCE = 0.95

Trainer = Callable[[TrainingSet], Model]


@dataclass(frozen=True)
class RetrainResult:
    activated: bool
    version: int  # the model this run saved
    active_version: int  # the model active afterwards
    previous_version: int | None
    candidate_ap: float | None
    active_ap: float | None
    holdout: int
    holdout_positives: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def holdout_ids(
    history: Sequence[dict[str, Any]], share: float = HOLDOUT_SHARE, minimum: int = MIN_HOLDOUT
) -> list[str]:
    """The latest decisions by time: ``max(ceil(share * n), minimum)`` of them, [] if fewer than twice that."""
    size = max(math.ceil(share * len(history)), minimum)
    if len(history) < 2 * size:
        return []
    ordered = sorted(history, key=lambda r: (r["decided_at"], r["work_id"]))
    return [r["work_id"] for r in ordered[-size:]]


def without(ts: TrainingSet, ids: set[str]) -> TrainingSet:
    """The training set minus the held-out works (including their catalog entries, if accepted)."""
    keep = lambda docs: [d for d in docs if d.id not in ids]  # noqa: E731
    return TrainingSet(
        positives=keep(ts.positives), negatives=keep(ts.negatives), pool=keep(ts.pool), catalog=keep(ts.catalog)
    )


def _save(store: Store, model: Model, ts: TrainingSet, note: str, activate: bool, figures: dict[str, Any]) -> int:
    return store.models.save_model(
        model.to_bytes(),
        trained_on={
            "positives": len(ts.positives),
            "negatives": len(ts.negatives),
            "pool": len(ts.pool),
            "catalog": len(ts.catalog),
        },
        params=model.params.to_dict(),
        metrics=figures,
        note=note,
        activate=activate,
    )


def _ap(labels: list[int], scores: Iterable[float], threshold: float) -> float:
    value = metrics(labels, list(scores), threshold)["average_precision"]
    return float(value)


def retrain_if_better(
    store: Store, config: Config, *, trainer: Trainer = train, share: float = HOLDOUT_SHARE, minimum: int = MIN_HOLDOUT
) -> RetrainResult:
    """Train a candidate, compare it with the active model on held-out recent decisions, keep the better."""
    threshold = effective_threshold(store, config)
    history = store.history.review_history()
    labels = {r["work_id"]: r["label"] for r in history}
    held = holdout_ids(history, share, minimum)
    current = active_model(store)
    full = training_set(store)
    y = [labels[i] for i in held]
    positives = sum(y)

    def finish(
        activated: bool, version: int, reason: str, cand: float | None = None, act: float | None = None
    ) -> RetrainResult:
        active_now = (store.models.active_model() or (version, b""))[0]
        result = RetrainResult(
            activated, version, active_now, current[0] if current else None, cand, act, len(held), positives, reason
        )
        store.models.set_setting(RETRAIN_SETTING, {**result.to_dict(), "at": utcnow()}, reason)
        return result

    if current is None or not held or positives == 0:
        why = (
            "no active model to compare with"
            if current is None
            else f"only {len(history)} decisions: too few to hold out {minimum} and still train"
            if not held
            else f"the {len(held)} held-out decisions hold no accepted work, so ranking cannot be compared"
        )
        reason = f"new model activated without a comparison: {why}"
        return finish(True, _save(store, trainer(full), full, reason, True, {}), reason)

    texts = {t.id: t for t in store.works.texts(held)}
    docs = [Doc(id=i, title=texts[i].title, summary=texts[i].summary) for i in held]
    reduced = without(full, set(held))
    candidate = trainer(reduced)
    cand_scores, act_scores = candidate.score(docs), current[1].score(docs)
    cand_ap, act_ap = _ap(y, cand_scores, threshold), _ap(y, act_scores, threshold)
    sure = worse_share(y, cand_scores, act_scores)
    figures = {
        "holdout": len(held),
        "holdout_positives": positives,
        "candidate_ap": cand_ap,
        "active_ap": act_ap,
        "active_version": current[0],
        "candidate_worse_share": sure,
    }
    comparison = (
        f"average precision on the latest {len(held)} decisions ({positives} accepted): "
        f"new {cand_ap:.3f} vs active model {current[0]} {act_ap:.3f}, new worse in {sure:.0%} of resamples"
    )
    if cand_ap >= act_ap or sure < CONFIDENCE:
        reason = f"new model activated: {comparison}"
        model = trainer(full)
        version = _save(store, model, full, reason + "; refitted on every decision", True, figures)
        return finish(True, version, reason, cand_ap, act_ap)
    reason = f"kept model {current[0]}: {comparison}"
    version = _save(store, candidate, reduced, reason, False, figures)
    return finish(False, version, reason, cand_ap, act_ap)
