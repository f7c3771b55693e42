"""Bytes per work in ``candidates.db``, before and after the full-text index became external content
(issue 17, schema migration 9).

  after    the real stream through ``Store.ingest``, ``index_titles`` and ``score_works`` with a trained
           model, as a crawl leaves it; VACUUMed, then measured file and per table (``dbstat``).
  before   the same rows in a database made by the migrations up to 8 (the index keeps its own copy of
           every title and summary, as it did until now), VACUUMed and measured the same way.
  migrated a copy of ``before`` opened by today's rsiwatch (migration 9 runs), VACUUMed: what an upgraded
           install weighs.

Prints bytes per work of each, the ratio after/before, and the three largest tables.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from common import (
    Report,
    Row,
    ingest_and_score,
    papers_arguments,
    progress,
    read_stream,
    require_stream,
    seed_catalog,
    to_item,
    vacuumed,
)

from rsiwatch.store import Store, _split_sql
from rsiwatch.store.schema import MIGRATIONS

BEFORE_VERSION = 8  # the last schema whose index stored its own text
# Tables and their columns as schema 8 has them (works without `doc`; works_fts filled separately).
COPIED = {
    "works": "id, title, summary, url, published, authors, links, first_seen, last_seen, status, queued_at,"
             " queue_reason, score, model_version, category",
    "sightings": "*", "scores": "*", "work_titles": "*", "titles_fts": "work_id, norm",
    "catalog": "id, work_id, title, description, category, url, year, date_published, authors, affiliations,"
               " submitter, flags, origin, added_at",
    "models": "*", "sources": "*", "fetches": "*", "settings": "*",
}


def build_current(path: Path, n: int) -> None:
    items = [to_item(r) for r in read_stream(n)]
    with Store(path) as store:
        seed_catalog(store)
        ingest_and_score(store, items, "bench: storage")


def build_schema_8(path: Path, source: Path) -> None:
    """The same rows under migrations 1..8, the search index filled as ``ingest`` filled it then."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for number, script in enumerate(MIGRATIONS[:BEFORE_VERSION]):
        for statement in _split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    conn.execute("BEGIN")
    for table, columns in COPIED.items():
        names = columns if columns != "*" else "*"
        insert_columns = f"({columns})" if columns != "*" else ""
        conn.execute(f"INSERT INTO main.{table} {insert_columns} SELECT {names} FROM src.{table}")
    conn.execute("INSERT INTO works_fts (work_id, title, summary) SELECT id, title, summary FROM works ORDER BY rowid")
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE src")
    conn.close()


def measure(path: Path) -> tuple[int, dict[str, int], int]:
    """(file bytes after VACUUM, bytes per table with its indexes, works)."""
    conn = vacuumed(path)
    tables: dict[str, int] = {}
    owner = {r[0]: r[1] for r in conn.execute("SELECT name, tbl_name FROM sqlite_master")}
    for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        key = owner.get(name, name)
        for fts in ("works_fts", "titles_fts", "works_cjk"):  # an FTS5 table's shadow tables count as the table
            if key.startswith(fts + "_"):
                key = fts
        tables[key] = tables.get(key, 0) + size
    works = conn.execute("SELECT COUNT(*) FROM works").fetchone()[0]
    conn.close()
    return path.stat().st_size, tables, works


def main() -> None:
    args = papers_arguments(__doc__, 20_000).parse_args()
    require_stream("bench_storage: needs ../shared/data/arxiv_2025_2026.jsonl.gz")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        progress(f"building today's database from {args.papers:,} papers (ingest, titles, train, score) ...")
        build_current(work / "after.db", args.papers)
        progress("the same rows under schema 8 ...")
        build_schema_8(work / "before.db", work / "after.db")
        shutil.copyfile(work / "before.db", work / "migrated.db")
        progress("migrating a copy of it ...")
        Store(work / "migrated.db").close()
        sizes = {name: measure(work / f"{name}.db") for name in ("before", "after", "migrated")}
    out = Report("Bytes per work in candidates.db, before and after the external-content index "
                 "(bench/bench_storage.py)")
    before_total, before_tables, n = sizes["before"]
    for name in ("after", "migrated"):
        total, _, works = sizes[name]
        out.add(
            Row(
                f"{name}: file bytes per work (VACUUMed)",
                total / works,
                "B",
                before_total / n,
                "schema 8 (before)",
                "< 1.0 x before",
                total < before_total,
            )
        )
    after_tables = sizes["after"][1]
    for table in sorted(before_tables, key=before_tables.get, reverse=True)[:4]:
        out.add(
            Row(f"  {table}: bytes per work", after_tables.get(table, 0) / n, "B", before_tables[table] / n, "before")
        )
    out.notes.append(f"{n:,} works; figures are the file after VACUUM, and per table its pages with its indexes")
    out.extra = {
        "works": n,
        "bytes": {k: v[0] for k, v in sizes.items()},
        "tables": {k: v[1] for k, v in sizes.items()},
    }
    out.print(args.json)


if __name__ == "__main__":
    main()
