"""The weekly audit sample and the uncertainty picks: what the curator sees besides the top scores.

Once a week, for the week just ended (Monday to Monday, UTC), among the works first seen that week that
stayed below their threshold:

* the ``uncertain_share`` of the queue goes to the works nearest the threshold (``queue_reason =
  'uncertain'``): the labels that teach the model most, and the band where a threshold move would act;
* ``audit_per_week`` works are drawn uniformly at random from the rest (``queue_reason = 'audit'``).

Each draw is recorded (settings key ``audit_draw``, append-only like every setting) with the size of
the population it was drawn from, because that is what turns audit decisions into an estimate of what
the threshold misses: each audited work stands for ``population / decided`` works of its week
(``audit_weights``).  Drawing is idempotent per week, so the crawl or the daemon may call
``queue_weekly`` as often as it likes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rsiwatch.store import Store, iso, parse_iso
from rsiwatch.tuning.threshold import AUDIT, CAUGHT

AUDIT_SETTING = "audit_draw"
UNCERTAIN = "uncertain"
MAX_UNCERTAIN_SHARE = 0.9  # a queue of nothing but uncertainty picks would stop being a screening queue


@dataclass(frozen=True)
class AuditDraw:
    """One week's draw: its window, how many works were eligible for the audit, and what was picked."""

    week: str  # the Monday, YYYY-MM-DD
    start: str
    end: str
    population: int  # below-threshold works left after the uncertainty picks: what the audit samples
    below: int  # all below-threshold, unqueued works of the week
    audit: tuple[str, ...]
    uncertain: tuple[str, ...]
    drawn_at: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["audit"], d["uncertain"] = list(self.audit), list(self.uncertain)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditDraw:
        return cls(
            week=d["week"], start=d["start"], end=d["end"], population=int(d["population"]), below=int(d["below"]),
            audit=tuple(d["audit"]), uncertain=tuple(d["uncertain"]), drawn_at=d["drawn_at"],
        )


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding ``moment``."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def uncertain_count(score_queued: int, share: float, rng: random.Random | None = None) -> int:
    """How many uncertainty picks make them ``share`` of a queue that holds ``score_queued`` other works.

    With ``rng`` the fraction is rounded at random (up with its own probability), so a small queue still
    gets its share on average: 4 works at 10% would round to no pick every week, and get one 44% of weeks.
    """
    share = min(max(share, 0.0), MAX_UNCERTAIN_SHARE)
    exact = score_queued * share / (1.0 - share)
    if rng is None:
        return round(exact)
    whole = int(exact)
    return whole + (1 if rng.random() < exact - whole else 0)


def pick(
    pool: Sequence[dict[str, Any]], *, audit_size: int, n_uncertain: int, rng: random.Random
) -> tuple[list[str], list[str], int, int]:
    """Choose (uncertain ids, audit ids, audit population, below count) from a week's unqueued works.

    ``pool`` rows have ``id``, ``score``, ``threshold`` and ``muted``; those below their threshold count,
    and muted works whatever their score (a rule's blind spot is sampled like the model's).  Uncertain =
    smallest ``threshold - score`` among unmuted works; the audit is a uniform sample of the rest.
    """
    below = sorted(
        (r for r in pool if r["score"] < r["threshold"] and not r.get("muted")),
        key=lambda r: (r["threshold"] - r["score"], r["id"]),
    )
    muted = [r["id"] for r in pool if r.get("muted")]
    uncertain = [r["id"] for r in below[:n_uncertain]]
    rest = sorted([r["id"] for r in below[n_uncertain:]] + muted)
    audit = rng.sample(rest, min(audit_size, len(rest)))
    return uncertain, sorted(audit), len(rest), len(below) + len(muted)


def draws(store: Store) -> list[AuditDraw]:
    """Every recorded draw, oldest first."""
    return [AuditDraw.from_dict(row["value"]) for row in store.history.setting_history(AUDIT_SETTING)]


def queue_weekly(
    store: Store, audit_per_week: int, uncertain_share: float, *, now: datetime | None = None,
    rng: random.Random | None = None,
) -> AuditDraw | None:
    """Draw and queue the audit and uncertainty picks for the week before ``now``; None if already done.

    Called with the config's ``review.audit_per_week`` and ``review.uncertain_share``.
    """
    now = now or datetime.now(UTC)
    end = week_start(now)
    start = end - timedelta(days=7)
    week = start.date().isoformat()
    if any(d.week == week for d in draws(store)):
        return None
    start_s, end_s = iso(start), iso(end)
    rng = rng or random.SystemRandom()
    n_uncertain = uncertain_count(store.history.queued_count(start_s, end_s, CAUGHT), uncertain_share, rng)
    uncertain, audit, population, below = pick(
        store.history.below_threshold_pool(start_s, end_s), audit_size=audit_per_week, n_uncertain=n_uncertain, rng=rng,
    )
    stamp = iso(now)
    store.history.queue_works(uncertain, UNCERTAIN, stamp)
    store.history.queue_works(audit, AUDIT, stamp)
    draw = AuditDraw(week, start_s, end_s, population, below, tuple(audit), tuple(uncertain), stamp)
    store.models.set_setting(
        AUDIT_SETTING, draw.to_dict(),
        f"weekly audit of {week}: {len(audit)} of {population} below the threshold, {len(uncertain)} uncertain",
    )
    return draw


def audit_weights(all_draws: Iterable[AuditDraw], decided: set[str]) -> dict[str, float]:
    """Work id -> how many works of its week's audit population each decided audit work stands for.

    ``population / m``, where m counts the draw's works decided so far: undecided audit works are
    treated as missing at random within their week.  Draws with no decided work get no weight.
    """
    weights: dict[str, float] = {}
    for draw in all_draws:
        done = [w for w in draw.audit if w in decided]
        for work_id in done:
            weights[work_id] = draw.population / len(done)
    return weights


def audited_windows(all_draws: Iterable[AuditDraw], decided: set[str]) -> list[tuple[datetime, datetime]]:
    """The weeks whose audit has at least one decision: the scope in which recall can be estimated."""
    out = []
    for draw in all_draws:
        if draw.population == 0 or any(w in decided for w in draw.audit):
            start, end = parse_iso(draw.start), parse_iso(draw.end)
            if start and end:
                out.append((start, end))
    return out
