"""What the backup before a migration costs (issue 21): the upgrade from schema 8 (the previous
release) with and without the copy taken first, on the same rows.

  bare       a copy of the schema-8 database opened by today's rsiwatch with the backup switched off
  with copy  another copy opened as an operator's would be: the backup, then the migration

Prints the seconds of each and the ratio, and the backup's bytes against the database's.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench_storage import build_current, build_schema_8
from common import Report, Row, papers_arguments, progress, require_stream

import rsiwatch.store.base as base
from rsiwatch.store import Store
from rsiwatch.store.upgrade import set_upgrade_reporter


def timed_open(path: Path) -> float:
    started = time.perf_counter()
    Store(path).close()
    return time.perf_counter() - started


def main() -> None:
    args = papers_arguments(__doc__, 20_000).parse_args()
    require_stream("bench_upgrade: needs ../shared/data/arxiv_2025_2026.jsonl.gz")
    set_upgrade_reporter(lambda message: progress(message))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        progress(f"building a database from {args.papers:,} papers, then the same rows under schema 8 ...")
        build_current(work / "current.db", args.papers)
        build_schema_8(work / "old.db", work / "current.db")
        size = (work / "old.db").stat().st_size
        for name in ("bare", "copy"):
            shutil.copyfile(work / "old.db", work / f"{name}.db")
        real = base.take_backup_before_migration
        base.take_backup_before_migration = lambda path, version: path  # the migration alone
        try:
            bare = timed_open(work / "bare.db")
        finally:
            base.take_backup_before_migration = real
        with_copy = timed_open(work / "copy.db")
        (backup,) = work.glob("copy.db.schema8-*.bak")
        backup_bytes = backup.stat().st_size
    out = Report("The backup before a migration (bench/bench_upgrade.py)")
    out.add(Row("schema 8 -> today, with the backup first", with_copy, "s", bare, "the migration alone"))
    out.add(Row("backup bytes", backup_bytes, "B", size, "the schema-8 database"))
    out.notes.append(f"{args.papers:,} papers; each figure one open of a fresh copy")
    out.print(args.json)


if __name__ == "__main__":
    main()
