"""The trend estimate against the truth, and the cost of ``rsiwatch publish``.

    .venv/bin/python bench/bench_trend.py [--json] [--skip-share] [--skip-publish]

Share (issue 14, "How we will know"): the real classifier is trained on the seed catalog with the
74,728-paper stream as its unlabelled pool (no label seen) and scores every paper.  Per quarter of the
stream, ``rsiwatch.tuning.trend.share_estimate`` (the function ``publish`` uses) is given:
  * the quarter's works and how many score at or above the threshold (the queue a curator reviews);
  * as the reviewed precision: the labelled papers of ../shared/data/dev_labelled.jsonl (both strata)
    that score at or above it, as decisions queued for their score;
  * as the weekly audit: the labelled random-stratum papers below it, each standing for
    (works below the threshold) / (such papers) of the quarter.
The truth is the random stratum's labelled rate in the quarter (a uniform sample of 2025; about 6%),
printed with its own Wilson interval; "covered" says whether the estimate's interval holds it.  The
random stratum is both the audit and the truth here, so this checks the estimator's arithmetic and
its interval on real scores, not an independent sample.  2026 has no labels: no estimate.

Publish: ``build_site`` + ``write_tree`` for the seed catalog and a 5,000-entry catalog (first write and
republish, where nothing changes), against the floor of writing the same bytes with plain
``Path.write_bytes``; and ``rsiwatch publish`` as a user runs it (a fresh process).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SHARED_DATA, Report, Row, Timer, progress, read_stream, seed_catalog, stream_available

from classifier import Doc, TrainingSet, load_catalog_csv, train
from classifier.labels import DEFAULT_THRESHOLD
from rsiwatch.cli import SEED_CATALOG
from rsiwatch.files import write_tree
from rsiwatch.site.build import SiteOptions, build_site
from rsiwatch.store import Store
from rsiwatch.tuning.threshold import AUDIT, CAUGHT, Reviewed, wilson
from rsiwatch.tuning.trend import quarter, share_estimate

DEV = SHARED_DATA / "dev_labelled.jsonl"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def share_table(threshold: float) -> list[dict]:
    stream = list(read_stream())
    labelled = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    progress(f"training on the seed catalog with {len(stream)} stream papers as the pool")
    catalog = load_catalog_csv(SEED_CATALOG)
    model = train(
        TrainingSet(
            positives=catalog,
            negatives=[],
            pool=[Doc(r["id"], r["title"], r["summary"], categories=tuple(r.get("categories") or ())) for r in stream],
            catalog=catalog,
        )
    )
    progress("scoring the stream and the labelled sample")
    stream_scores = model.score(
        [Doc(r["id"], r["title"], r["summary"], categories=tuple(r.get("categories") or ())) for r in stream]
    )
    dev_scores = model.score(
        [Doc(r["id"], r["title"], r["summary"], categories=tuple(r.get("categories") or ())) for r in labelled]
    )
    works: dict[str, int] = defaultdict(int)
    above: dict[str, int] = defaultdict(int)
    months: dict[str, set[str]] = defaultdict(set)
    for r, s in zip(stream, stream_scores, strict=False):
        q = quarter(r["date"])
        works[q] += 1
        above[q] += int(s >= threshold)
        months[q].add(r["date"][:7])
    caught: dict[str, list[tuple[str, int]]] = defaultdict(list)
    below: dict[str, list[tuple[str, int]]] = defaultdict(list)
    truth: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for r, s in zip(labelled, dev_scores, strict=False):
        q = quarter(r["date"])
        if r["stratum"] == "random":
            truth[q].append(int(r["label"]))
            if s < threshold:
                below[q].append((r["id"], int(r["label"])))
        if s >= threshold and r["id"] not in seen:
            caught[q].append((r["id"], int(r["label"])))
        seen.add(r["id"])
    out = []
    for q in sorted(works):
        weight = (works[q] - above[q]) / len(below[q]) if below[q] else 0.0
        history = [Reviewed(i, y, 1.0, T0, T0, CAUGHT) for i, y in caught[q]]
        history += [Reviewed(i, y, 0.0, T0, T0, AUDIT, weight=weight) for i, y in below[q]]
        weeks = sum(30.44 for _ in months[q]) / 7
        est = share_estimate(q, history, works=works[q], above=above[q], weeks=weeks)
        t = truth.get(q, [])
        rate = sum(t) / len(t) if t else None
        t_low, t_high = wilson(rate, len(t)) if t else (None, None)
        out.append(
            {
                **est.to_dict(),
                "labelled_above": len(caught[q]),
                "labelled_above_positive": sum(y for _, y in caught[q]),
                "truth": rate,
                "truth_n": len(t),
                "truth_low": t_low,
                "truth_high": t_high,
                "covered": None if est.share is None or rate is None else bool(est.low <= rate <= est.high),
            }
        )
    return out


def print_shares(rows: list[dict], threshold: float) -> None:
    def pct(v: float | None) -> str:
        return "   –  " if v is None else f"{v:6.1%}"

    print(f"share of the stream in scope per quarter (threshold {threshold}):")
    print(
        "  quarter   works  /week  above  labelled above (+)  audit (+)   estimate  95% interval       truth (n, 95% "
        "CI)            covered"
    )
    for r in rows:
        interval = "" if r["low"] is None else f"{r['low']:6.1%} - {r['high']:6.1%}"
        truth = (
            ""
            if r["truth"] is None
            else f"{r['truth']:6.1%} ({r['truth_n']}, {r['truth_low']:.1%}-{r['truth_high']:.1%})"
        )
        covered = "" if r["covered"] is None else ("yes" if r["covered"] else "NO")
        print(
            f"  {r['period']}  {r['works']:6d}  {r['per_week']:5.0f}  {r['above']:5d}  "
            f"{r['labelled_above']:8d} ({r['labelled_above_positive']:3d})     {r['audited']:4d} "
            f"({r['audit_positives']:2d})  "
            f"{pct(r['share'])}  {interval:<17}  {truth:<27}  {covered}"
        )


def synthetic_catalog(store: Store, n: int) -> None:
    categories = [
        "training-data-self-play",
        "architecture-algorithm-search",
        "compilers-kernels",
        "research-automation",
    ]
    with store.transaction() as conn:
        for i in range(1, n + 1):
            conn.execute(
                "INSERT INTO catalog (id, work_id, title, description, category, url, year, date_published, authors,"
                " affiliations, submitter, flags, origin, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', "
                "'bench', ?)",
                (
                    i,
                    f"arxiv:2501.{i:05d}",
                    f"Entry {i}: a system that improves its own training loop",
                    "A model proposes changes to the code that trains the next model; the changes are kept when they "
                    "help. "
                    * 2,
                    categories[i % 4],
                    f"https://arxiv.org/abs/2501.{i:05d}",
                    2012 + i % 15,
                    f"{2012 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "A. Author, B. Author, C. Author",
                    "A Lab",
                    "a reader" if i % 3 == 0 else None,
                    "2026-01-01T00:00:00Z",
                ),
            )


def publish_rows(report: Report) -> None:
    for label, n in (("seed catalog", None), ("5,000 entries", 5000)):
        work = Path(tempfile.mkdtemp(prefix="rsiwatch-bench-publish-"))
        try:
            db = work / "candidates.db"
            with Store(db) as store:
                seed_catalog(store) if n is None else synthetic_catalog(store, n)
                entries = store.catalog.entries()
            with Timer() as build:
                files = build_site(entries, SiteOptions())
            with Timer() as first:
                write_tree(work / "site", files, owned_dirs=("entries",))
            with Timer() as again:
                files = build_site(entries, SiteOptions())
                result = write_tree(work / "site", files, owned_dirs=("entries",))
            assert result.written == 0
            floor_dir = work / "floor"
            with Timer() as floor:
                for rel, data in files.items():
                    path = floor_dir / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
            shutil.rmtree(work / "site")
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "rsiwatch", "publish", "--db", str(db), "--out", str(work / "site")],
                check=True,
                capture_output=True,
                cwd=work,
            )
            cli = time.perf_counter() - start
            size = sum(len(b) for b in files.values()) / 1e6
            report.add(
                Row(
                    f"publish {label}: render ({len(entries)} entries, {len(files)} files, {size:.1f} MB)",
                    build.seconds * 1000,
                    "ms",
                )
            )
            report.add(
                Row(
                    f"publish {label}: first write",
                    first.seconds * 1000,
                    "ms",
                    floor.seconds * 1000,
                    "plain write_bytes of the same files",
                )
            )
            report.add(
                Row(f"publish {label}: republish, nothing changed (render + compare)", again.seconds * 1000, "ms")
            )
            report.add(Row(f"publish {label}: `rsiwatch publish` in a fresh process", cli * 1000, "ms"))
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-share", action="store_true")
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()
    report = Report("rsiwatch publish and the trend")
    shares: list[dict] = []
    if not args.skip_share:
        if not (stream_available() and DEV.exists()):
            sys.exit("../shared/data (the stream and dev_labelled.jsonl) is absent: no share to check")
        shares = share_table(DEFAULT_THRESHOLD)
        report.extra["shares"] = shares
    if not args.skip_publish:
        publish_rows(report)
    if not args.json and shares:
        print_shares(shares, DEFAULT_THRESHOLD)
        print()
    report.print(args.json)


if __name__ == "__main__":
    main()
