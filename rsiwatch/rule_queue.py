"""The curator's rules applied to works in the store: mutes first (out of the queue, kept out), then pins
(into the queue whatever the score).  ``score_works`` calls ``apply_rules`` on every work it scores, so
new items, rescoring after a retrain and submissions all meet the rules; ``rsiwatch rules apply`` calls
it on the queue as it stands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from rsiwatch.config import Config, Rule
from rsiwatch.rules import WorkFacts, active_rules, verdict
from rsiwatch.store import Store
from rsiwatch.store.rule_matches import MUTABLE_REASONS


@dataclass(frozen=True)
class RuleRun:
    pinned: list[str] = field(default_factory=list)  # works a pin added to the queue
    muted: list[str] = field(default_factory=list)  # works a mute took out of the queue


def today() -> date:
    return datetime.now(UTC).date()


def _facts(row: dict) -> WorkFacts:
    return WorkFacts(
        id=row["id"], title=row["title"], summary=row["summary"], authors=tuple(str(a) for a in row["authors"]),
        sources=frozenset(row["sources"]), category=row["category"],
    )


def apply_rules(store: Store, config: Config, work_ids: Sequence[str], *, rules: Sequence[Rule] | None = None,
                on: date | None = None) -> RuleRun:
    """Mute and pin the undecided works among ``work_ids`` by the rules in force (the config's unless
    ``rules`` is given).  A work whose mute no longer holds (removed, expired) is unmuted, and queued
    again if its score reaches its threshold."""
    in_force = active_rules(config.rules if rules is None else rules, on or today())
    if not in_force and not store.rule_matches.any_muted():
        return RuleRun()
    muted: dict[str, str | None] = {}
    pinned: dict[str, str] = {}
    for row in store.rule_matches.facts(work_ids):
        found = verdict(in_force, _facts(row))
        label = found.mute.label if found.mute and not found.pin else None
        if label != row["muted_by"]:
            muted[row["id"]] = label
        if found.pin:
            pinned[row["id"]] = found.pin.label
    removed = store.rule_matches.mark_muted(muted)
    added = store.rule_matches.pin(pinned)
    return RuleRun(pinned=added, muted=removed)


@dataclass(frozen=True)
class RulePreview:
    """What a rule would have done to the stream of the last weeks, before it is saved."""

    rule: Rule
    since: str
    works: int  # works first seen in the window
    matched: list[str]
    would_add: list[str]  # pin: undecided works it would queue
    would_remove: list[str]  # mute: undecided works it would take out of the queue
    accepted: list[str]  # matched works the curator accepted (a mute would have hidden them)
    rejected: list[str]  # matched works the curator rejected or put out of scope
    titles: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.label, "since": self.since, "works": self.works, "matched": self.matched,
            "would_add": self.would_add, "would_remove": self.would_remove, "accepted_before": self.accepted,
            "rejected_before": self.rejected,
        }


def preview(rule: Rule, rows: Sequence[dict], since: str) -> RulePreview:
    """``rule`` over ``rows`` (``RuleMatches.facts_since``): pure, so ``rules test`` and its tests agree."""
    matched = [r for r in rows if verdict([rule], _facts(r)).effective is not None]
    open_ = [r for r in matched if r["status"] == "new"]
    if rule.action == "pin":
        add = [r["id"] for r in open_ if r["queued_at"] is None]
        remove: list[str] = []
    else:
        add = []
        remove = [r["id"] for r in open_ if r["queued_at"] is not None and r["queue_reason"] in MUTABLE_REASONS]
    return RulePreview(
        rule=rule, since=since, works=len(rows), matched=[r["id"] for r in matched], would_add=add,
        would_remove=remove,
        accepted=[r["id"] for r in matched if r["status"] == "accepted"],
        rejected=[r["id"] for r in matched if r["status"] in ("rejected", "out_of_scope")],
        titles={r["id"]: r["title"] for r in matched},
    )
