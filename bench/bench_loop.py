"""The curator's loop as a benchmark (issue 26): week after week, how many in-scope papers a curator finds
in the same number of reads.

    nice .venv/bin/python bench/bench_loop.py [--k 5 10 20] [--sittings N] [--labelled FILE] [--json]

The labelled sample (default ``../shared/data/dev_labelled.jsonl``: id, title, summary, date, label) is
replayed as weekly arrivals (its calendar weeks, or ``--sittings N`` equal spans of its dates).  Each
sitting, three readers read ``K`` papers among what has arrived and is still undecided, and decide them
truthfully by the label:

* **rsiwatch**, the real program: a fresh ``candidates.db`` in a temporary folder with the seed catalog
  loaded as ``rsiwatch init`` loads it; each week the crawl's own path after the fetch (``Store.ingest``
  of the week's papers, ``score_works`` on the new works, ``refresh_if_pool_grew``, the weekly audit and
  uncertainty draw ``queue_weekly``), then the top K of the queue in ``rsiwatch candidates`` order
  (``Store.candidates``), each accepted (with the entry ``rsiwatch accept`` writes) or rejected, then the
  daemon's weekly retraining (``retrain_if_better``, and the open works rescored when a model is
  activated).  The library is called in process rather than the commands spawned per step; the clock of
  the ingest and of the audit draw is the replayed week's, which the commands take from the wall clock.
* **the recipe** of arxiv-sanity-lite (``bench_classifier.arxiv_sanity``: TF-IDF 1-2 grams + LinearSVC,
  the catalog and the accepted works as positives, everything else seen so far as negatives), retrained
  every sitting, reading its top K of the undecided arrivals;
* **the ceiling**: a reader who knows the answers and reads in-scope papers first.

Printed: papers found (accepted) in the reads, per K, with the ratio to the recipe; the week-by-week
curve for ``--curve-k``; a split of the sittings in halves (first half's found, second half's found) so
a lead can be checked on each.  Deterministic: the models are seeded, the audit draw too (``--seed``).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SHARED = ROOT.parent / "shared" / "data"

from bench_classifier import arxiv_sanity  # noqa: E402

from classifier import Doc, TrainingSet  # noqa: E402
from crawler.items import Item  # noqa: E402
from rsiwatch.catalog.formats import read_catalog  # noqa: E402
from rsiwatch.catalog.load import import_entries  # noqa: E402
from rsiwatch.cli import SEED_CATALOG  # noqa: E402
from rsiwatch.config import Config  # noqa: E402
from rsiwatch.retrain import retrain_if_better  # noqa: E402
from rsiwatch.review.accepting import accept_work  # noqa: E402
from rsiwatch.scoring import catalog_docs, refresh_if_pool_grew, score_works, train_and_save  # noqa: E402
from rsiwatch.store import Store, iso  # noqa: E402
from rsiwatch.tuning.audit import queue_weekly  # noqa: E402

SOURCE = "loop-feed"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    summary: str
    day: date
    label: int


def load_papers(labelled: Path, stream: Path | None) -> list[Paper]:
    """The labelled sample, oldest first; a row without a text takes it from the stream."""
    rows = [json.loads(line) for line in labelled.open(encoding="utf-8") if line.strip()]
    missing = {r["id"] for r in rows if not r.get("title") or not r.get("summary")}
    texts: dict[str, dict] = {}
    if missing and stream is not None and stream.exists():
        with gzip.open(stream, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["id"] in missing:
                    texts[r["id"]] = r
    out = []
    for r in rows:
        t = texts.get(r["id"], r)
        if not t.get("title"):
            progress(f"{labelled}: {r['id']}: no title or summary here or in the stream; left out")
            continue
        out.append(
            Paper(r["id"], t["title"], t.get("summary") or "", date.fromisoformat(r["date"][:10]), int(r["label"]))
        )
    return sorted(out, key=lambda p: (p.day, p.id))


def sittings_of(papers: Sequence[Paper], n: int | None) -> list[list[Paper]]:
    """Calendar weeks (Monday to Sunday) of the papers' dates, or ``n`` spans of equal length in days."""
    if not papers:
        return []
    first, last = papers[0].day, papers[-1].day
    if n:
        span = ((last - first).days + 1) / n
        index = lambda p: min(int((p.day - first).days / span), n - 1)  # noqa: E731
        count = n
    else:
        monday = first - timedelta(days=first.weekday())
        index = lambda p: (p.day - monday).days // 7  # noqa: E731
        count = index(papers[-1]) + 1
    out: list[list[Paper]] = [[] for _ in range(count)]
    for p in papers:
        out[index(p)].append(p)
    return out


@dataclass
class Run:
    name: str
    k: int
    found: list[int] = field(default_factory=list)  # per sitting
    reads: list[int] = field(default_factory=list)  # per sitting (a short queue reads fewer)
    seconds: float = 0.0
    retrain_s: list[float] = field(default_factory=list)
    kept: int = 0  # weekly retrains whose gate kept the active model

    @property
    def total(self) -> int:
        return sum(self.found)


# ---- the readers ----------------------------------------------------------------------------------


def ceiling(weeks: list[list[Paper]], k: int, known: set[str]) -> Run:
    run = Run("ceiling", k)
    open_: list[Paper] = []
    for week in weeks:
        open_ += [p for p in week if p.id not in known]
        open_.sort(key=lambda p: -p.label)
        read, open_ = open_[:k], open_[k:]
        run.found.append(sum(p.label for p in read))
        run.reads.append(len(read))
    return run


def recipe(weeks: list[list[Paper]], k: int, catalog: list[Doc], known: set[str]) -> Run:
    """arxiv-sanity-lite's recipe in the same loop: retrained on everything so far, top K of the undecided."""
    run = Run("recipe", k)
    started = time.perf_counter()
    open_: list[Paper] = []
    accepted: list[Doc] = []
    rejected: list[Doc] = []
    doc = lambda p: Doc(p.id, p.title, p.summary)  # noqa: E731
    for week in weeks:
        open_ += [p for p in week if p.id not in known]
        if not open_:
            run.found.append(0)
            run.reads.append(0)
            continue
        docs = [doc(p) for p in open_]
        ts = TrainingSet(positives=catalog + accepted, negatives=rejected, pool=docs, catalog=catalog)
        scores = arxiv_sanity(ts, docs)
        order = sorted(range(len(open_)), key=lambda i: (-scores[i], open_[i].id))[:k]
        read = [open_[i] for i in order]
        for p in read:
            (accepted if p.label else rejected).append(doc(p))
        chosen = {p.id for p in read}
        open_ = [p for p in open_ if p.id not in chosen]
        run.found.append(sum(p.label for p in read))
        run.reads.append(len(read))
    run.seconds = time.perf_counter() - started
    return run


def rsiwatch_loop(
    weeks: list[list[Paper]],
    k: int,
    seed: int,
    config: Config,
    folder: Path,
    retrain: str = "daemon",
    on_sitting: Callable[[int, int, int], None] | None = None,
) -> Run:
    """The real program, as described in the module docstring."""
    run = Run("rsiwatch", k)
    started = time.perf_counter()
    labels = {p.id: p.label for w in weeks for p in w}
    start = datetime.combine(
        weeks[0][0].day if weeks[0] else min(p.day for w in weeks for p in w), datetime.min.time(), tzinfo=UTC
    )
    start -= timedelta(days=start.weekday())
    with Store(folder / "candidates.db") as store:
        store.sources.ensure_sources([(SOURCE, "feed", "http://127.0.0.1/loop.xml")])
        import_entries(store, read_catalog(SEED_CATALOG), origin="seed")  # as `rsiwatch init` does
        for i, week in enumerate(weeks):
            monday = start + timedelta(days=7 * i)
            items = [
                Item(
                    canonical_id=p.id,
                    title=p.title,
                    summary=p.summary,
                    url=f"https://arxiv.org/abs/{p.id.removeprefix('arxiv:')}",
                    key=p.id,
                    published=f"{p.day.isoformat()}T00:00:00Z",
                )
                for p in week
            ]
            if items:  # the crawl's path after the fetch (pipeline.crawl_source, then crawl's weekly steps)
                stats = store.works.ingest(SOURCE, items, now=iso(monday + timedelta(days=1)))
                if stats.new_works:
                    score_works(store, config, stats.new_works)
            refresh_if_pool_grew(store, config)
            queue_weekly(
                store,
                config.review.audit_per_week,
                config.review.uncertain_share,
                now=monday + timedelta(days=7),
                rng=random.Random(seed * 100_003 + i),
            )
            # the sitting: the top K of the queue as `rsiwatch candidates` orders it
            read = store.scores.candidates(status="new", limit=k)
            found = 0
            for work in read:
                if labels.get(work["id"], 0):
                    accept_work(store, work, {}, origin="bench", by="loop")  # as `rsiwatch accept ID` does
                    found += 1
                else:
                    store.decisions.decide(work["id"], "reject", origin="bench", by="loop")
                time.sleep(0.002)  # distinct decision times (ms): the retrain's hold-out is the latest by time
            run.found.append(found)
            run.reads.append(len(read))
            # the daemon's weekly retraining (or `rsiwatch train`: no gate)
            t0 = time.perf_counter()
            if retrain == "daemon":
                outcome = retrain_if_better(store, config)
                run.kept += not outcome.activated
                if outcome.activated:
                    score_works(store, config, store.works.open_work_ids())
            else:
                train_and_save(store, "rsiwatch train")
                score_works(store, config, store.works.open_work_ids())
            run.retrain_s.append(time.perf_counter() - t0)
            if on_sitting:
                on_sitting(i, found, len(read))
    run.seconds = time.perf_counter() - started
    return run


# ---- output ---------------------------------------------------------------------------------------


def halves(found: list[int]) -> tuple[int, int]:
    mid = len(found) // 2
    return sum(found[:mid]), sum(found[mid:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", type=Path, default=SHARED / "dev_labelled.jsonl")
    ap.add_argument(
        "--stream",
        type=Path,
        default=SHARED / "arxiv_2025_2026.jsonl.gz",
        help="texts for labelled rows that lack them",
    )
    ap.add_argument("--k", type=int, nargs="+", default=[5, 10, 20], help="reads a sitting")
    ap.add_argument("--curve-k", type=int, default=10)
    ap.add_argument("--sittings", type=int, help="N equal spans of the dates instead of calendar weeks")
    ap.add_argument("--seed", type=int, default=0, help="the audit draw's seed, and the subsample's")
    ap.add_argument(
        "--subsample",
        type=float,
        default=1.0,
        help="keep this share of the papers, drawn with --seed (a robustness check: another sample)",
    )
    ap.add_argument(
        "--retrain",
        choices=["daemon", "train"],
        default="daemon",
        help="after each sitting: the daemon's gated retrain (default) or `rsiwatch train`",
    )
    ap.add_argument("--only", choices=["rsiwatch", "recipe", "ceiling"], nargs="+")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.labelled.exists():
        print(f"{args.labelled} is absent: nothing to benchmark")
        return
    papers = load_papers(args.labelled, args.stream)
    if args.subsample < 1.0:
        rng = np.random.default_rng(args.seed)
        papers = [p for p, keep in zip(papers, rng.random(len(papers)) < args.subsample, strict=False) if keep]
    weeks = sittings_of(papers, args.sittings)
    config = Config()
    catalog_rows = read_catalog(SEED_CATALOG)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.db") as store:
        import_entries(store, catalog_rows, origin="seed")
        catalog = catalog_docs(store)
    known = {d.id for d in catalog}  # catalog works are decided before the first sitting, for every reader
    in_catalog = sum(1 for p in papers if p.id in known)
    progress(
        f"{len(papers)} papers ({sum(p.label for p in papers)} in scope, {in_catalog} already in the seed "
        f"catalog), {len(weeks)} sittings, {papers[0].day}..{papers[-1].day}"
    )
    who = args.only or ["ceiling", "recipe", "rsiwatch"]
    results: dict[int, dict[str, Run]] = {}
    for k in args.k:
        results[k] = {}
        if "ceiling" in who:
            results[k]["ceiling"] = ceiling(weeks, k, known)
        if "recipe" in who:
            results[k]["recipe"] = recipe(weeks, k, catalog, known)
            progress(f"K={k} recipe: {results[k]['recipe'].total} found ({results[k]['recipe'].seconds:.0f}s)")
        if "rsiwatch" in who:
            with tempfile.TemporaryDirectory() as tmp:
                results[k]["rsiwatch"] = r = rsiwatch_loop(weeks, k, args.seed, config, Path(tmp), args.retrain)
            progress(
                f"K={k} rsiwatch: {r.total} found ({r.seconds:.0f}s; retrain {np.median(r.retrain_s):.1f}s median; "
                f"the gate kept the active model {r.kept} times)"
            )
    if args.json:
        print(
            json.dumps(
                {
                    "sittings": len(weeks),
                    "papers": len(papers),
                    "in_scope": sum(p.label for p in papers),
                    "runs": {
                        k: {
                            n: {"found": r.total, "reads": sum(r.reads), "per_sitting": r.found, "seconds": r.seconds}
                            for n, r in rs.items()
                        }
                        for k, rs in results.items()
                    },
                },
                indent=1,
            )
        )
        return
    n_pos = sum(p.label for p in papers if p.id not in known)
    print(
        f"\ncurator's loop: {len(weeks)} sittings, {len(papers)} papers, {n_pos} in scope "
        f"({args.labelled.name}; seed {args.seed}"
        + (f", subsample {args.subsample:g}" if args.subsample < 1 else "")
        + ")"
    )
    print(
        f"{'K':>3s} {'reads':>6s} {'ceiling':>8s} {'recipe':>7s} {'rsiwatch':>9s} {'ratio':>7s}   "
        f"{'halves: recipe':>15s} {'rsiwatch':>9s}  rsiwatch reads used"
    )
    for k, rs in results.items():
        c, r, w = (rs.get(n) for n in ("ceiling", "recipe", "rsiwatch"))
        ratio = f"{w.total / r.total:.3f}" if w and r and r.total else ""
        h_r = "/".join(map(str, halves(r.found))) if r else ""
        h_w = "/".join(map(str, halves(w.found))) if w else ""
        print(
            f"{k:3d} {k * len(weeks):6d} {c.total if c else '':>8} {r.total if r else '':>7} {w.total if w else '':>9} "
            f"{ratio:>7s}   {h_r:>15s} {h_w:>9s}  {sum(w.reads) if w else ''}"
        )
    if args.curve_k in results:
        rs = results[args.curve_k]
        print(f"\nweek by week at K={args.curve_k} (found that sitting / cumulative)")
        names = [n for n in ("ceiling", "recipe", "rsiwatch") if n in rs]
        print("sitting " + "".join(f"{n:>16s}" for n in names))
        cum = {n: 0 for n in names}
        for i in range(len(weeks)):
            cells = []
            for n in names:
                cum[n] += rs[n].found[i]
                cells.append(f"{rs[n].found[i]:>6d} / {cum[n]:>5d}")
            print(f"{i + 1:7d} " + "".join(f"{c:>16s}" for c in cells))
        if "rsiwatch" in rs:
            t = rs["rsiwatch"].retrain_s
            print(
                f"\nrsiwatch weekly retrain (retrain_if_better + rescore) on this loop: median {np.median(t):.2f}s, "
                f"max {max(t):.2f}s (the 75k-works figure: bench/bench_stream.py)"
            )


if __name__ == "__main__":
    main()
