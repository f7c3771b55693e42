"""The backfill at scale: ``rsiwatch backfill``'s harvester against a local OAI-PMH endpoint of synthetic
arXiv records in pages of 1,000, at 50,000 and at 500,000 records: throughput and memory must stay flat.

    .venv/bin/python bench/bench_backfill.py [--small 50000] [--large 500000] [--json]

The endpoint (bench/servers.py, its own process, 127.0.0.1, spacing disabled) writes each page when it
is asked for it, from a bank of sentences of 4,000 real abstracts of ../shared/data; it never holds the
records, and its ids (``YYMM.NNNNN``, 20,000 a month) stay valid past 100,000 records.  Each harvest
starts from an empty database holding the seed catalog and an active model, and runs
``rsiwatch.backfill.run_backfill`` exactly as the command does: per page, parse, store, score, save the
resumption token.  Memory is this process's peak RSS over the harvest (VmHWM, reset before it), plus its
RSS sampled at every page (the slope says whether anything accumulates).

Baseline: ``crawler.oai_pmh.parse_page`` alone on pages of the same endpoint, in memory.
Goals: 500k throughput >= 0.85 x 50k throughput (wall clock, and per CPU second of the harvesting process,
which a busy machine disturbs less); 500k peak memory <= 1.15 x 50k peak memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Report,
    Row,
    ServerProcess,
    Timer,
    bench_client,
    bench_config,
    fresh_store_with_model,
    papers_and_pool,
    peak_mb,
    progress,
    require_stream,
    reset_peak,
    rss_mb,
)
from servers import Bank

from classifier import Doc
from crawler.oai_pmh import parse_page
from rsiwatch.store import Store

BANK_PAPERS = 4_000
MODEL_POOL = 20_000


def write_bank(path: Path, papers: list[dict]) -> None:
    sentences = [s.strip() + "." for p in papers for s in p["summary"].split(". ") if len(s.strip()) > 30]
    names = []
    for p in papers:
        for a in (p.get("authors") or [])[:3]:
            parts = a.rsplit(" ", 1)
            if len(parts) == 2:
                names.append(parts)
    path.write_text(json.dumps({"titles": [p["title"] for p in papers], "sentences": sentences,
                                "names": names or [["Jane", "Doe"]]}), encoding="utf-8")


def parse_only(bank_path: Path, total: int, pages: int = 5) -> float:
    """Records per second of the page parser alone (pages built in memory, as the server builds them)."""
    bank = Bank(bank_path)
    bodies = [bank.page(total, 1000, n) for n in range(pages)]
    started = time.perf_counter()
    records = sum(parse_page(b, "http://127.0.0.1/oai").records for b in bodies)
    return records / (time.perf_counter() - started)


def harvest(total: int, bank_path: Path, pool: list[Doc], work: Path, label: str) -> dict:
    """One backfill of ``total`` records into a fresh database; figures and the RSS at every page."""
    from rsiwatch.backfill import BackfillPlan, run_backfill

    db = work / f"backfill-{label}.db"
    fresh_store_with_model(db, pool)
    samples: list[tuple[int, float]] = []
    started = time.perf_counter()

    def on_page(p: object) -> None:
        records = getattr(p, "records", 0)
        samples.append((records, rss_mb()))
        if len(samples) % 25 == 0:
            rate = records / (time.perf_counter() - started)
            progress(f"  {label}: {records:,}/{total:,} records, {rate:,.0f}/s, RSS {samples[-1][1]:.0f} MiB")

    with ServerProcess("oai", str(bank_path), "--total", str(total), max_seconds=7200) as server:
        config = bench_config()
        plan = BackfillPlan(from_date="2015-01-01", endpoint=f"{server.url}/oai", source_name="arxiv-backfill")
        gc.collect()
        reset_peak()
        with Store(db) as store, bench_client(config) as client:
            cpu = time.process_time()
            with Timer() as t:
                report = run_backfill(config, store, client, plan, on_page=on_page)
            cpu = time.process_time() - cpu
            peak = peak_mb()
            works = store.works.count("works")
        server_peak = server.peak_mb()
    db_mb = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists()) / 2**20
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    tail = [rss for records, rss in samples if records >= total * 0.2]
    return {
        "records": report.records,
        "items": report.items,
        "pages": report.pages,
        "seconds": t.seconds,
        "rate": report.records / t.seconds,
        "cpu_s": cpu,
        "cpu_rate": report.records / cpu,
        "peak_mb": peak,
        "server_peak_mb": server_peak,
        "works": works,
        "new_candidates": report.new_candidates,
        "db_mb": db_mb,
        "rss_first_mb": samples[0][1] if samples else 0.0,
        "rss_last_mb": samples[-1][1] if samples else 0.0,
        "rss_growth_after_20pct_mb": (max(tail) - min(tail)) if tail else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=50_000)
    ap.add_argument("--large", type=int, default=500_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    require_stream("../shared/data/arxiv_2025_2026.jsonl.gz is absent: nothing to build the records from")
    try:
        import rsiwatch.backfill  # noqa: F401
    except ImportError as exc:
        sys.exit(f"the harvester (rsiwatch.backfill) is not there yet: {exc}")

    papers, pool = papers_and_pool(BANK_PAPERS, MODEL_POOL)
    with tempfile.TemporaryDirectory(prefix="rsiwatch-bench-backfill-") as tmp:
        work = Path(tmp)
        bank_path = work / "bank.json"
        write_bank(bank_path, papers)
        del papers
        parse_rate = parse_only(bank_path, args.large)
        progress(f"harvesting {args.small:,} records ...")
        small = harvest(args.small, bank_path, pool, work, "small")
        progress(f"harvesting {args.large:,} records ...")
        large = harvest(args.large, bank_path, pool, work, "large")

    k_small, k_large = f"{args.small // 1000}k", f"{args.large // 1000}k"
    out = Report(
        f"Backfill over OAI-PMH: {args.small:,} and {args.large:,} records, pages of 1,000 (bench/bench_backfill.py)"
    )
    out.add(Row("parse only: oai_pmh.parse_page in memory", parse_rate, "records/s"))
    out.add(Row(f"harvest {k_small}: fetch parse store score", small["rate"], "records/s", parse_rate, "parse only"))
    out.add(
        Row(
            f"harvest {k_large}: fetch parse store score",
            large["rate"],
            "records/s",
            small["rate"],
            k_small,
            ">= 0.85 x small",
            large["rate"] >= 0.85 * small["rate"],
        )
    )
    out.add(Row(f"harvest {k_small}: per CPU second of the harvester", small["cpu_rate"], "records/s"))
    out.add(
        Row(
            f"harvest {k_large}: per CPU second of the harvester",
            large["cpu_rate"],
            "records/s",
            small["cpu_rate"],
            k_small,
            ">= 0.85 x small",
            large["cpu_rate"] >= 0.85 * small["cpu_rate"],
        )
    )
    out.add(Row(f"harvest {k_small}: peak memory", small["peak_mb"], "MiB"))
    out.add(
        Row(
            f"harvest {k_large}: peak memory",
            large["peak_mb"],
            "MiB",
            small["peak_mb"],
            k_small,
            "<= 1.15 x small",
            large["peak_mb"] <= 1.15 * small["peak_mb"],
        )
    )
    out.add(Row(f"harvest {k_large}: RSS growth after the first 20%", large["rss_growth_after_20pct_mb"], "MiB"))
    out.add(Row(f"harvest {k_large}: wall time", large["seconds"], "s"))
    out.add(
        Row(
            f"endpoint process peak memory ({k_large})",
            large["server_peak_mb"],
            "MiB",
            small["server_peak_mb"],
            k_small,
        )
    )
    for label, r in (("small", small), ("large", large)):
        out.notes.append(
            f"{label}: {r['records']:,} records in {r['pages']} pages, {r['items']:,} items stored "
            f"({r['works']:,} works), {r['new_candidates']:,} new candidates, database {r['db_mb']:.0f} MiB, "
            f"{r['seconds']:.0f} s wall, {r['cpu_s']:.0f} s CPU, "
            f"RSS {r['rss_first_mb']:.0f} -> {r['rss_last_mb']:.0f} MiB"
        )
    out.notes.append(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    out.extra = {"parse_rate": parse_rate, "small": small, "large": large}
    out.print(args.json)


if __name__ == "__main__":
    main()
