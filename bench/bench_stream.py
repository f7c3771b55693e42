"""The real stream: all 74,728 papers of ../shared/data/arxiv_2025_2026.jsonl.gz stored, a model trained
on them, every paper scored; then ``rsiwatch train`` as a user runs it (a fresh process).

    .venv/bin/python bench/bench_stream.py [--limit N] [--json] [--profile-score OUT.prof]

Phases, in one process, each with its peak memory (VmHWM reset before it):
  ingest   ``Store.ingest`` in pages of 1,000 (works, sightings, full-text index), against the floor:
           plain ``executemany`` of the same rows into a bare table in the same run;
  train    ``scoring.train_and_save``: the training set read from the store (seed catalog, the stream
           as the pool) and fitted;
  score    ``scoring.score_works`` in pages of 1,000 (features, model, explanations, nearest catalog
           entries, scores and queue written), against ``Model.score`` alone on the same texts;
  cli      ``rsiwatch train`` in a child process on that database (retrain and rescore the open works).
Goals (issue 4, "one core"; BLAS threads are pinned to 1): score >= 5,000 items/s, train < 60 s,
peak < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PAGE,
    ROOT,
    Report,
    Row,
    Timer,
    bench_config,
    peak_mb,
    profile_to,
    progress,
    read_stream,
    reset_peak,
    seed_catalog,
    stream_available,
    to_item,
)

from classifier import Doc
from crawler.items import Item
from rsiwatch.scoring import active_model, score_works, train_and_save
from rsiwatch.store import Store

GB = 1024.0  # MiB


def floor_insert(items: list[Item], path: Path) -> float:
    """The same rows into a bare table (no index, no trigger, no full-text index): SQLite's floor."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE w (id TEXT, title TEXT, summary TEXT, url TEXT, published TEXT, authors TEXT)")
    started = time.perf_counter()
    for i in range(0, len(items), PAGE):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO w VALUES (?, ?, ?, ?, ?, ?)",
                         [(x.canonical_id, x.title, x.summary, x.url, x.published, "[]") for x in items[i:i + PAGE]])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def _summary(stdout: str) -> str:
    try:
        result = json.loads(stdout)
    except ValueError:
        return stdout.strip()[:200]
    return f"model {result['model_version']}, rescored {result['rescored']:,}, newly queued {result['newly_queued']:,}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, help="only the first N papers (default: all)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile-score", type=Path, help="profile the scoring phase with cProfile")
    ap.add_argument("--profile-train", type=Path, help="profile the training phase with cProfile")
    args = ap.parse_args()
    if not stream_available():
        sys.exit("../shared/data/arxiv_2025_2026.jsonl.gz is absent")
    out = Report("The real stream: ingest, train, score (bench/bench_stream.py)")

    with tempfile.TemporaryDirectory(prefix="rsiwatch-bench-stream-") as tmp:
        work = Path(tmp)
        progress("reading the stream ...")
        with Timer() as t_read:
            items = [to_item(r) for r in read_stream(args.limit)]
        n = len(items)
        floor_s = floor_insert(items, work / "floor.db")

        db = work / "candidates.db"
        config = bench_config()
        with Store(db) as store:
            seed_catalog(store)
            progress(f"ingesting {n:,} papers in pages of {PAGE:,} ...")
            reset_peak()
            with Timer() as t_ingest:
                for i in range(0, n, PAGE):
                    store.works.ingest("arxiv-stream", items[i:i + PAGE])
            ingest_peak = peak_mb()
            docs = [Doc(x.canonical_id, x.title, x.summary) for x in items]
            del items

            progress("training on the stream ...")
            reset_peak()
            cpu_train = time.process_time()
            with Timer() as t_train:
                version, model = profile_to(args.profile_train, train_and_save, store, "bench: the real stream")
            cpu_train = time.process_time() - cpu_train
            train_peak = peak_mb()
            trained_on = model.trained_on

            progress("scoring every paper ...")
            ids = [d.id for d in docs]
            reset_peak()
            queued = 0

            def score_all() -> None:
                nonlocal queued
                for i in range(0, n, PAGE):
                    queued += len(score_works(store, config, ids[i:i + PAGE]).queued)

            cpu_score = time.process_time()
            with Timer() as t_score:
                profile_to(args.profile_score, score_all)
            cpu_score = time.process_time() - cpu_score
            score_peak = peak_mb()
            model = active_model(store)[1]  # type: ignore[index]
            with Timer() as t_model:
                model.score(docs)
            with Timer() as t_explain:
                for i in range(0, n, PAGE):
                    model.score_docs(docs[i:i + PAGE])
            db_mb = db.stat().st_size / 2**20

        progress("rsiwatch train in a fresh process ...")
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with Timer() as t_cli:
            done = subprocess.run([str(ROOT / ".venv" / "bin" / "rsiwatch"), "train", "--db", str(db), "--json"],
                                  capture_output=True, text=True, cwd=work, env=env)
        cli_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            out.notes.append(f"rsiwatch train failed: {done.stderr.strip()[-300:]}")
        cli_peak_note = "" if before < cli_peak * 1024 else " (bounded below by an earlier child)"

    ingest_rate, floor_rate = n / t_ingest.seconds, n / floor_s
    score_rate = n / t_score.seconds
    out.add(Row("read the JSONL into Items", n / t_read.seconds, "items/s"))
    out.add(Row("ingest: Store.ingest, pages of 1,000", ingest_rate, "items/s", floor_rate, "bare executemany"))
    out.add(Row("ingest: peak memory", ingest_peak, "MiB", None, "", "< 1,536 MiB", ingest_peak < 1.5 * GB))
    out.add(Row("train: train_and_save on the stream", t_train.seconds, "s", 60.0, "goal 60 s", "< 60 s",
                t_train.seconds < 60))
    out.add(Row("train: peak memory", train_peak, "MiB", 1.5 * GB, "goal", "< 1,536 MiB", train_peak < 1.5 * GB))
    out.add(Row("score: score_works, pages of 1,000", score_rate, "items/s", 5000.0, "goal", ">= 5,000 items/s",
                score_rate >= 5000))
    out.add(Row("score: score_works, per CPU second", n / cpu_score, "items/s", 5000.0, "goal", ">= 5,000 items/s",
                n / cpu_score >= 5000))
    out.add(Row("train: CPU seconds", cpu_train, "s", 60.0, "goal 60 s", "< 60 s", cpu_train < 60))
    out.add(Row("score: Model.score alone (no explanations)", n / t_model.seconds, "items/s", score_rate,
                "score_works"))
    out.add(Row("score: Model.score_docs (explanations)", n / t_explain.seconds, "items/s", score_rate,
                "score_works"))
    out.add(Row("score: peak memory", score_peak, "MiB", None, "", "< 1,536 MiB", score_peak < 1.5 * GB))
    out.add(Row("`rsiwatch train` (train + rescore), wall", t_cli.seconds, "s"))
    out.add(Row("`rsiwatch train`: peak memory (own process)", cli_peak, "MiB", None, "", "< 1,536 MiB",
                cli_peak < 1.5 * GB))
    out.notes += [
        f"{n:,} papers; model version {version} trained on {trained_on}",
        f"{queued:,} queued at the threshold {config.threshold}; database {db_mb:.0f} MiB",
        f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (wall figures suffer when it "
        "exceeds 1)",
        f"rsiwatch train: {_summary(done.stdout)}{cli_peak_note}",
    ]
    out.extra = {
        "n": n,
        "ingest_s": t_ingest.seconds,
        "floor_s": floor_s,
        "train_s": t_train.seconds,
        "score_s": t_score.seconds,
        "cli_train_s": t_cli.seconds,
    }
    out.print(args.json)


if __name__ == "__main__":
    main()
