"""The accept rule, one home for the command line, the terminal review and the review page.

Accepting a work saves its catalog entry with the decision, in one store transaction
(``Decisions.accept``).  A work that already has an entry keeps it (and its ID): only the fields the
curator gave are set on it.  A work without one gets the entry drafted from the work and what the
scholarly graph said of it (``entry_prefill`` with ``scholarly.meta_of``, saved as ``draft_as_entry``
keeps it), with the given fields winning; a date given takes the draft's year with it (the year follows
the date).  Unless the caller's fields are themselves the whole draft (the review page's form, which the
curator saw prefilled and edited).  Whatever the door, the entry is checked by the entry rules
(``entry_rules.check_entry``) before anything is saved: ``EntryError`` names every broken field.  Who
accepted and why (the note, never published) are recorded with the decision; ``seen`` refuses a decision
taken on a stale view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rsiwatch.catalog.entry_rules import check_entry
from rsiwatch.present.text import draft_as_entry, entry_prefill
from rsiwatch.store import Store


@dataclass(frozen=True)
class Accepted:
    decision_id: int
    entry_id: int
    kept_entry: bool  # the work had an entry already, and keeps it
    changed: tuple[str, ...]  # the entry's fields this accept changed


def accept_work(
    store: Store,
    work: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    origin: str,
    by: str | None,
    note: str | None = None,
    seen: int | None = None,
    given_is_draft: bool = False,
) -> Accepted:
    """Accept ``work`` with the entry fields ``given`` (see the module's rule); raises ``EntryError`` (nothing
    saved) when the entry would break a rule, ``StaleDecision`` when ``seen`` is not the latest decision."""
    existing = store.decisions.work_entry(work["id"])
    if existing is not None or given_is_draft:
        entry = dict(given)
    else:
        entry = {**drafted_entry(store, work), **given}
        if "date_published" in given and "year" not in given:
            entry.pop("year", None)  # the year follows the date given (check_entry sets it)
    entry = check_entry(entry, existing)
    decision_id, entry_id = store.decisions.accept(work["id"], entry, note=note, origin=origin, by=by, seen=seen)
    changed = sorted(
        {f for e in store.catalog.catalog_edits(entry_id) if e["decision_id"] == decision_id for f in e["after"]}
    )
    return Accepted(decision_id, entry_id, existing is not None, tuple(changed))


def drafted_entry(store: Store, work: Mapping[str, Any]) -> dict[str, Any]:
    """The entry a work without one is accepted with when the curator gives no more: the same draft the
    review page's form is prefilled with (the submitter is credited by the store)."""
    return draft_as_entry(entry_prefill(work, store.scholarly.meta_of(work["id"])))
