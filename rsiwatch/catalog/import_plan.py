"""Planning an import: which row becomes which entry, under which ID, with which changes.  Pure: rows of
a file and the entries there are in, a plan and a report out; the store applies the plan in one transaction.

The rules (README, "Importing a catalog"): a row is matched to an entry by its work (the canonical id of
its Source); the file's fields and ID win for that entry, fields the file does not carry keep their
values.  An entry whose ID the file gives to another work moves after the highest ID.  A row whose Source
repeats an earlier row's becomes its own entry, without the work, flagged ``duplicate_source``.  Rows
without a Source match the work-less entry under their ID.  Nothing is deleted and no row is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rsiwatch.catalog.formats import ENTRY_FIELDS, new_entry, unknown_columns, written_date
from rsiwatch.store import ImportPlan
from rsiwatch.words import plural

DUPLICATE_FLAG = "duplicate_source"
# Fields a row sets as they are; dates and extra columns are compared in their own way.
_PLAIN = tuple(f for f in ENTRY_FIELDS if f not in ("id", "work_id", "year", "date_published", "extra"))


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    updated: dict[int, list[str]] = field(default_factory=dict)  # final ID -> changed fields
    unchanged: int = 0
    # Every ID change, whatever caused it: old ID, new ID, what it is, why it moved.
    renumbered: list[tuple[int, int, str, str]] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # one warning line each
    # The rows (as the spreadsheet numbers them) those lines are about: one row may break several rules,
    # and the summary counts rows, as it counts the rows added and updated.
    flagged_rows: set[int] = field(default_factory=set)
    unknown_columns: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # works the import accepts (undecided or not accepted before)

    def lines(self, name: str, dry_run: bool) -> list[str]:
        out = list(self.flagged)
        if self.unknown_columns:
            out.append(f"kept columns this catalog does not know, in each entry's extra fields: "
                       f"{', '.join(self.unknown_columns)}")
        if self.accepted:
            verb = "would accept" if dry_run else "accepted"
            out.append(f"{verb} {plural(len(self.accepted), 'work')} not accepted before "
                       f"(the file lists them, so their entries are published): {', '.join(self.accepted[:5])}"
                       + (" ..." if len(self.accepted) > 5 else ""))
        for old, new, what, why in self.renumbered:
            out.append(f"entry {old} becomes {new} ({what}): {why}")
        verb = "would import" if dry_run else "imported"
        out.append(
            f"{verb} {name}: {len(self.added)} added, {len(self.updated)} updated, {self.unchanged} unchanged, "
            f"{len(self.renumbered)} renumbered, {len(self.flagged_rows)} flagged"
            + (" (dry run: nothing written)" if dry_run else "")
        )
        return out


def _what(entry: Mapping[str, Any]) -> str:
    return str(entry.get("work_id") or entry.get("title") or "no source")


def _changes(row: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    changes = {f: row[f] for f in _PLAIN if f in row and row[f] != entry.get(f)}
    if "date_published" in row and written_date(row) != written_date(entry):
        changes["date_published"], changes["year"] = row["date_published"], row.get("year")
    elif "year" in row and "date_published" not in row and row["year"] != entry.get("year"):
        changes["year"] = row["year"]
    if "extra" in row:
        merged = {k: v for k, v in {**(entry.get("extra") or {}), **row["extra"]}.items() if v not in ("", None)}
        if merged != (entry.get("extra") or {}):
            changes["extra"] = merged
    return changes


def _flagged(row: dict[str, Any], entry: Mapping[str, Any] | None) -> dict[str, Any]:
    flags = list(row["flags"] if "flags" in row else (entry or {}).get("flags") or [])
    return {**row, "work_id": None, "flags": flags if DUPLICATE_FLAG in flags else [*flags, DUPLICATE_FLAG]}


Entry = Mapping[str, Any]


def plan_import(rows: list[dict[str, Any]], existing: Sequence[Entry]) -> tuple[ImportPlan, ImportReport]:
    """Which row becomes which entry, under which ID, with which changes; in stages, each a function."""
    report = ImportReport(unknown_columns=unknown_columns(rows))
    by_work = {e["work_id"]: e for e in existing if e.get("work_id")}
    by_id = {e["id"]: e for e in existing}
    rows = _one_row_per_work(rows, by_work, by_id, report)
    targets, matched = _targets(rows, by_work, by_id)
    finals, claimed, next_id = _final_ids(rows, targets, by_id, report)
    plan = ImportPlan()
    for e in existing:  # an entry whose ID the file gives to another work moves after the highest ID
        if e["id"] not in matched and e["id"] in claimed:
            plan.moves[e["id"]] = next_id
            report.renumbered.append((e["id"], next_id, _what(e), f"the file gives ID {e['id']} to another work"))
            next_id += 1
    for row, target, final in zip(rows, targets, finals, strict=False):
        _plan_row(row, target, final, plan, report)
    return plan, report


def _one_row_per_work(
    rows: list[dict[str, Any]], by_work: dict[str, Entry], by_id: dict[int, Entry], report: ImportReport
) -> list[dict[str, Any]]:
    """Rows sharing a work: the one under the ID the work's entry already has keeps the work (so an export
    re-imports the same way), else the first; the others are flagged."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row.get("work_id"):
            groups.setdefault(row["work_id"], []).append(i)
    rows = list(rows)
    for work_id, members in groups.items():
        entry = by_work.get(work_id)
        primary = next((i for i in members if entry and rows[i].get("id") == entry["id"]), members[0])
        for i in members:
            if i != primary:
                report.flagged.append(f"rows {rows[primary]['line']} and {rows[i]['line']} share the source "
                                      f"{rows[i].get('url') or work_id}: both kept")
                report.flagged_rows.add(rows[i]["line"])
                rows[i] = _flagged(rows[i], by_id.get(rows[i].get("id")))  # type: ignore[arg-type]
    return rows


def _targets(
    rows: list[dict[str, Any]], by_work: dict[str, Entry], by_id: dict[int, Entry]
) -> tuple[list[Entry | None], set[int]]:
    """Each row's entry: its work's, else (rows without a work) the work-less entry under its ID."""
    targets: list[Entry | None] = []
    matched: set[int] = set()
    for row in rows:
        target = by_work.get(row["work_id"]) if row.get("work_id") else None
        if not row.get("work_id"):
            candidate = by_id.get(row.get("id"))  # type: ignore[arg-type]
            target = (
                candidate if candidate and not candidate.get("work_id") and candidate["id"] not in matched else None
            )
        if target is not None:
            matched.add(target["id"])
        targets.append(target)
    return targets, matched


def _final_ids(
    rows: list[dict[str, Any]], targets: list[Entry | None], by_id: dict[int, Entry], report: ImportReport
) -> tuple[list[int], dict[int, int], int]:
    """IDs: the file's win; a row repeating an ID already given, or without one, keeps its entry's ID if free,
    else takes the next.  Returns (each row's ID, ID -> row, the next free ID)."""
    claimed: dict[int, int] = {}
    given: list[int | None] = []
    for i, row in enumerate(rows):
        rid = row.get("id")
        if rid is not None and rid not in claimed:
            claimed[rid] = i
            given.append(rid)
        else:
            if rid is not None:
                report.flagged.append(
                    f"row {row['line']} repeats ID {rid} of row {rows[claimed[rid]]['line']}: "
                    "both kept, this one under a new ID"
                )
                report.flagged_rows.add(row["line"])
            given.append(None)
    next_id = max([0, *by_id, *claimed]) + 1
    finals: list[int] = []
    for i, target in enumerate(targets):
        rid = given[i]
        if rid is None:
            if target is not None and target["id"] not in claimed:
                rid = target["id"]
                claimed[rid] = i
            else:
                rid, next_id = next_id, next_id + 1
        finals.append(rid)
    return finals, claimed, next_id


def _plan_row(row: dict[str, Any], target: Entry | None, final: int, plan: ImportPlan, report: ImportReport) -> None:
    """One row into the plan: a new entry, or its entry's move and changes."""
    if row.get("work_id") and row["work_id"] not in plan.work_ids:
        plan.work_ids.append(row["work_id"])
    if row.get("work_id") and row.get("reviewed_by"):
        plan.reviewers[row["work_id"]] = row["reviewed_by"]
    if target is None:
        plan.inserts[final] = new_entry(row)
        report.added.append(final)
        return
    if target["id"] != final:
        plan.moves[target["id"]] = final
        why = (
            f"the file gives it ID {final}"
            if row.get("id") == final
            else f"its ID {target['id']} goes to another row of the file"
        )
        report.renumbered.append((target["id"], final, _what(target), why))
    changes = _changes(row, target)
    if changes:
        plan.updates[final] = {**changes, "work_id": target.get("work_id")}
    if changes or target["id"] != final:
        report.updated[final] = [*(["id"] if target["id"] != final else []), *changes]
    else:
        report.unchanged += 1
