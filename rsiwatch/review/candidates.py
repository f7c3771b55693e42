"""The shape of ``rsiwatch candidates --json``: one record per queued work, read in a few batched queries
(scores, sightings, submissions, queue reasons for the whole list), never one a row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from rsiwatch.store import Store, Work


class CandidateRecord(TypedDict):
    """One candidate as ``candidates --json`` prints it (DESIGN.md: at least canonical_id, title, url,
    score, status; ``queue_reason`` "submitted" with ``submitter`` and ``note`` for a suggestion)."""

    canonical_id: str
    title: str
    url: str | None
    score: float | None
    status: str
    category: str | None
    queued_at: str | None
    queue_reason: str | None
    published: str | None
    model_version: int | None
    why: list[str]  # the terms that pushed the score, strongest first
    sources: list[str]
    submitter: str | None  # who sent it in (the public form, `rsiwatch submit`); null otherwise
    note: str | None  # the reason they gave
    rules: list[str]  # the rules that matched it ("pinned author: ...")
    muted_by: str | None
    discussed_in: list[str]  # the independent sources discussing it (newsletters, blogs, suggestions)
    cites: list[str]  # the catalog works it cites (the citation watch)


def candidate_records(store: Store, rows: Sequence[Work]) -> list[CandidateRecord]:
    """The records of these queue rows (``Scores.candidates``), in their order."""
    ids = [r["id"] for r in rows]
    scores = store.scores.latest_scores(ids)
    sightings = store.works.sightings_of(ids)
    submitted = store.submissions.latest_submissions(ids)
    rules, discussed = store.rule_matches.labels_of(ids), store.discussion.sources_discussing(ids)
    cites = store.scholarly.citations_of(ids)
    reasons = store.scores.queue_reasons_now(ids)
    return [
        CandidateRecord(
            canonical_id=row["id"],
            title=row["title"],
            url=row["url"],
            score=row["score"],
            status=row["status"],
            category=row["category"],
            queued_at=row["queued_at"],
            queue_reason=reasons.get(row["id"]),
            published=row["published"],
            model_version=row["model_version"],
            why=[t for t, _ in scores.get(row["id"], {}).get("why", [])],
            sources=sorted({s["source"] for s in sightings[row["id"]]}),
            submitter=submitted.get(row["id"], {}).get("submitter"),
            note=submitted.get(row["id"], {}).get("note"),
            rules=rules.get(row["id"], []),
            muted_by=row.get("muted_by"),
            discussed_in=discussed.get(row["id"], []),
            cites=cites.get(row["id"], []),
        )
        for row in rows
    ]
