"""What every retrain adds to ``candidates.db``, with and without folding old scores (issue 21).

Builds a database from the real stream (seed catalog, ``--papers`` works ingested and scored, as a crawl
leaves them), then retrains ``--retrains`` times the way the daemon's retrain job and ``rsiwatch train``
do (train, activate, rescore every open work).  ``before`` is that database as it stood until now (a score
row per open work per retrain); ``after`` is a copy with retention applied (``Store.fold_scores``, as the
daemon runs it after each training and crawl).  Both are VACUUMed, then measured: score rows per work and
file bytes per work.  (Folding after every retrain or once at the end leaves the same rows: what is kept
depends only on the active model, each work's latest score, decisions and the audit.)
"""

from __future__ import annotations

import shutil
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

from rsiwatch.config import Config
from rsiwatch.scoring import score_works, train_and_save
from rsiwatch.store import Store


def build(path: Path, papers: int, retrains: int) -> None:
    items = [to_item(r) for r in read_stream(papers)]
    with Store(path) as store:
        seed_catalog(store)
        ingest_and_score(store, items, "bench: cold start")
        for n in range(retrains):
            progress(f"retrain {n + 1} of {retrains} ...")
            train_and_save(store, f"bench: retrain {n + 1}")
            score_works(store, Config(), store.works.open_work_ids())


def measure(path: Path) -> tuple[int, int, int]:
    """(file bytes after VACUUM, score rows, works)."""
    conn = vacuumed(path)
    scores = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    works = conn.execute("SELECT COUNT(*) FROM works WHERE model_version IS NOT NULL").fetchone()[0]
    conn.close()
    return path.stat().st_size, scores, works


def main() -> None:
    parser = papers_arguments(__doc__, 5_000)
    parser.add_argument("--retrains", type=int, default=8, help="retrains after the first model (default 8)")
    args = parser.parse_args()
    require_stream("bench_growth: needs ../shared/data/arxiv_2025_2026.jsonl.gz")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        progress(f"{args.papers:,} papers, then {args.retrains} retrains ...")
        build(work / "before.db", args.papers, args.retrains)
        shutil.copyfile(work / "before.db", work / "after.db")
        with Store(work / "after.db") as store:
            folded = store.retention.fold_scores()
        before, after = measure(work / "before.db"), measure(work / "after.db")
    out = Report(f"Growth after {args.retrains} retrains of {args.papers:,} works (bench/bench_growth.py)")
    out.add(Row("score rows per scored work", after[1] / after[2], "", before[1] / before[2],
                "without folding", "<= 1.1 (one a work)", after[1] / after[2] <= 1.1))
    out.add(Row("file bytes per scored work (VACUUMed)", after[0] / after[2], "B", before[0] / before[2],
                "without folding", "< 1.0 x without", after[0] < before[0]))
    out.notes.append(
        f"{folded:,} score rows folded into score_summaries; {after[2]:,} scored works "
        f"(the seed catalog's works unscored); files {before[0] / 1048576:.1f} -> {after[0] / 1048576:.1f} MiB"
    )
    out.extra = {"papers": args.papers, "retrains": args.retrains, "before": before, "after": after, "folded": folded}
    out.print(args.json)


if __name__ == "__main__":
    main()
