"""The queue page's cards: each listed work with what the curator judges it by (its score's why-terms and
nearest entries, where it was seen, who decided it, who sent it in, the rules, discussion and citations).

Read in a few batched queries for the whole page, never one per card (tests/test_web_app.py counts them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rsiwatch.present.text import positive_terms, readable_text, safe_url, work_links
from rsiwatch.store import Store, Work
from rsiwatch.store.queue import DecisionState


def queue_cards(s: Store, works: Sequence[Work], query: str) -> list[dict[str, Any]]:
    """The cards of these works (``Queue.review_queue`` rows), in their order; ``query``'s words are
    highlighted with the why-terms."""
    ids = [w["id"] for w in works]
    scores_of = s.scores.latest_scores(ids)
    latest = _with_explanations(s, {i: scores_of.get(i) or {} for i in ids})
    sightings, states = s.works.sightings_of(ids), s.queue.decision_states(ids)
    submissions = s.submissions.latest_submissions(ids)
    rules, discussed = s.rule_matches.labels_of(ids), s.discussion.sources_discussing(ids)
    cites = s.scholarly.citations_of(ids)
    titles = s.catalog.titles_of([c for cited in cites.values() for c in cited])
    searched = re.findall(r"\w{3,}", query)
    cards = []
    for w in works:
        card = _card(w, latest[w["id"]], sightings[w["id"]], states[w["id"]], submissions.get(w["id"]))
        card["rules"] = rules.get(w["id"], [])
        card["discussed_in"] = discussed.get(w["id"], [])
        card["cites"] = [readable_text(titles.get(c, c)) for c in cites.get(w["id"], [])]
        card["terms"] = [*card["terms"], *searched]
        cards.append(card)
    return cards


def _with_explanations(s: Store, latest: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Scores with why-terms and nearest entries, computed now for works scored without them (below the
    threshold and never queued: a search finds them) when the model that scored them is still active."""
    active = s.models.active_model_version()
    missing = [i for i, score in latest.items() if score and not score["why"] and score["model_version"] == active]
    if not missing:
        return latest
    from rsiwatch.scoring import explanations  # the classifier is loaded only when a page needs it

    found = explanations(s, missing)
    return {
        i: {**score, "why": found[i].why, "nearest": found[i].nearest} if i in found else score
        for i, score in latest.items()
    }


def _card(
    work: Work, latest: dict[str, Any], seen_in: list[dict[str, Any]], state: DecisionState,
    submission: dict[str, Any] | None,
) -> dict[str, Any]:
    why = latest.get("why") or []
    sightings = [
        {
            "source": seen["source"],
            "title": readable_text(seen.get("title")),
            "url": safe_url(seen.get("url")),
            "raw_url": seen.get("url") or "",
            "seen_at": (seen.get("seen_at") or "")[:10],
            "via": seen.get("via"),
        }
        for seen in seen_in
    ]
    standing = state.standing or {}
    return {
        **work,
        "terms": positive_terms(why),
        "why": why[:8],
        "nearest": latest.get("nearest") or [],
        "category_fits": latest.get("category_fits", 1),
        "links": work_links(work),
        "sightings": sightings,
        "note": standing.get("note"),
        "safe_url": safe_url(work.get("url")),
        "decided_by": standing.get("decided_by"),
        "seen": state.latest_id,
        "submission": submission,
    }
