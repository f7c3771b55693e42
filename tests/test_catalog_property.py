"""A property test: random sequences of accept, reject, out-of-scope, defer, undo, edit and import, and after
each step the catalog says what the standing decisions say, and nothing was erased."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from crawler.items import Item
from rsiwatch.catalog.formats import parse_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.store import Store, StoreError

URLS = [f"https://arxiv.org/abs/2611.0000{i}" for i in range(4)] + ["https://example.org/post", ""]
WORDS = st.sampled_from(["alpha", "beta", "gamma", ""])

row = st.fixed_dictionaries(
    {"url": st.sampled_from(URLS), "id": st.one_of(st.none(), st.integers(1, 8)), "description": WORDS,
     "date": st.sampled_from(["2024", "April 2023", "2023-04-21", ""])}
)
step = st.one_of(
    st.tuples(st.sampled_from(["accept", "reject", "out_of_scope", "defer", "undo"]), st.integers(0, 3), WORDS),
    st.tuples(st.just("edit"), st.integers(0, 12), WORDS),
    st.tuples(st.just("import"), st.lists(row, max_size=5), st.booleans()),
)


def as_rows(drawn: list[dict[str, Any]], with_authors: bool) -> list[dict[str, Any]]:
    """The rows of a public-list CSV file (with or without an Authors column), read as an import reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ID", "Source", "Date Published", "Description", *(["Authors"] if with_authors else [])])
    for r in drawn:
        writer.writerow(
            [r["id"] or "", r["url"], r["date"], r["description"], *([r["description"]] if with_authors else [])]
        )
    rows = parse_catalog(buffer.getvalue(), "test.csv") if drawn else []
    # Every row with something in it is read; a wholly blank line (a spreadsheet's trailing rows) carries none.
    assert len(rows) == sum(
        1 for r in drawn if r["id"] or r["url"].strip() or r["date"].strip() or r["description"].strip()
    )
    return rows


def snapshot(store: Store) -> tuple[set[str], int, int, int]:
    """The works with an entry, and how many entries, decisions and logged edits there are (an entry
    without a work may be renumbered, so it is counted, not named)."""
    works = {e["work_id"] for e in store.catalog.entries(withdrawn=True) if e["work_id"]}
    return works, store.works.count("catalog"), store.works.count("decisions"), store.works.count("catalog_edits")


def apply(store: Store, op: tuple[Any, ...]) -> None:
    kind = op[0]
    try:
        if kind == "import":
            import_entries(store, as_rows(op[1], op[2]), origin="import test.csv", by="prop")
        elif kind == "edit":
            entries = store.catalog.entries()
            if entries:
                entry = entries[op[1] % len(entries)]
                store.catalog.catalog_edit(
                    entry["id"], {"description": op[2], "submitter": op[2] or None}, origin="web", by="prop"
                )
        else:
            work_id = f"arxiv:2611.0000{op[1]}"
            if kind == "accept":
                store.decisions.accept(work_id, {"title": f"Work {op[1]}", "description": op[2]}, by="prop")
            elif kind == "undo":
                store.decisions.undo(work_id, by="prop")
            else:
                store.decisions.decide(work_id, kind, note="private", by="prop")
    except StoreError as exc:
        assert "no decision to undo" in str(exc)  # noqa: PT017 - an undo of nothing may end a run; only it


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14))
def test_catalog_and_decisions_agree_after_every_step(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "candidates.db") as store:
        store.works.ingest(
            "feed", [Item(f"arxiv:2611.0000{i}", f"Work {i}", "A summary.", URLS[i], key=str(i)) for i in range(4)]
        )
        before = snapshot(store)
        for op in ops:
            apply(store, op)
            assert store.catalog.catalog_disagreements() == [], op
            after = snapshot(store)
            assert before[0] <= after[0] and after[1] >= before[1], op  # no entry erased
            assert after[2] >= before[2] and after[3] >= before[3], op  # decisions and edits only grow
            published = store.catalog.entries()
            assert len({e["id"] for e in published}) == len(published)
            before = after
