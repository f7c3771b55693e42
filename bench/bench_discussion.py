"""What "discussed by N independent sources" adds to the queue, on the real feed files in ../shared/feeds.

Every newsletter, blog and aggregator feed there is served from a local server as its own `feed` source,
the arXiv API responses as `arxiv_api` sources (listings: they announce, they do not discuss); then the
real `rsiwatch init` and `rsiwatch crawl` run, and the works are counted by how many independent sources
mention them, with what the score queued and what the discussion rule added for N = 2 and 3.

    .venv/bin/python bench/bench_discussion.py [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT.parent / "shared" / "feeds"
# Real publications' feeds (feedparser's own examples all link example.org: they would "discuss" it).
DISCUSSING = ("substack", "wordpress", "atom_blogs", "other_rss2", "rss1_rdf")
FEED_SUFFIXES = (".xml", ".atom", ".rss", ".rdf")
LISTING = ("arxiv_api_atom", "arxiv_api_atom_legacy", "arxiv_api_atom_misc")


def rsiwatch(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rsiwatch", *args], cwd=folder, capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not FEEDS.is_dir():
        print("../shared/feeds is not present: nothing to measure", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        served = work / "feeds"
        served.mkdir()
        kinds: dict[str, str] = {}
        for folder, kind in [*((d, "feed") for d in DISCUSSING), *((d, "arxiv_api") for d in LISTING)]:
            for path in sorted((FEEDS / folder).glob("*")):
                if path.is_file() and path.suffix in FEED_SUFFIXES:
                    name = f"{folder}-{path.stem}".replace("_", "-").replace(".", "-")[:60]
                    shutil.copyfile(path, served / f"{name}.xml")
                    kinds[name] = kind
        server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "servers.py"), "feeds", str(served)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            base = server.stdout.readline().strip()  # type: ignore[union-attr]
            sources = [{"name": n, "kind": k, "url": f"{base}/feeds/{n}.xml", "every": "1d"} for n, k in kinds.items()]
            for s in sources:
                if s["kind"] == "arxiv_api":
                    s["query"] = "all:learning"
            config = {"contact": "bench@example.org", "politeness": {"default_delay_s": 0, "per_host_delay_s": {}},
                      "sources": sources, "review": {"discussed_sources": 0}}
            (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
            rsiwatch(work, "init")
            crawl = rsiwatch(work, "crawl", "--all", "--json")
            report = json.loads(crawl.stdout or "{}")
        finally:
            server.terminate()
            server.wait(timeout=30)
        conn = sqlite3.connect(work / "candidates.db")
        listing = tuple(n for n, k in kinds.items() if k == "arxiv_api")
        marks = ",".join("?" * len(listing))
        counts = dict(conn.execute(
            f"SELECT work_id, COUNT(DISTINCT source) FROM sightings WHERE source NOT IN ({marks}) GROUP BY work_id",
            listing).fetchall())
        queued = {r[0] for r in conn.execute("SELECT id FROM works WHERE queued_at IS NOT NULL")}
        catalog = {r[0] for r in conn.execute("SELECT work_id FROM catalog WHERE work_id IS NOT NULL")}
    failed = [s for s in report.get("sources", []) if not s["ok"]]
    for s in failed:
        print(f"{s['source']}: {s['error']}", file=sys.stderr)
    figures = {
        "sources": len(kinds), "failed": len(failed),
        "works": len(counts), "queued_by_score": len(queued - catalog),
        "by_sources": {str(n): sum(1 for c in counts.values() if c == n) for n in sorted(set(counts.values()))},
    }
    for n in (2, 3):
        discussed = {w for w, c in counts.items() if c >= n}
        figures[f"discussed_{n}"] = len(discussed)
        figures[f"added_at_{n}"] = len(discussed - queued)
    figures["discussed"] = sorted(w for w, c in counts.items() if c >= 2)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{figures['sources']} sources ({figures['failed']} failed), {figures['works']} works mentioned outside "
          f"arXiv's listings, {figures['queued_by_score']} queued by their score")
    print("independent sources per work: " + ", ".join(f"{n}: {c}" for n, c in figures["by_sources"].items()))
    for n in (2, 3):
        print(f"discussed by >= {n}: {figures[f'discussed_{n}']} works, of which the score had not queued "
              f"{figures[f'added_at_{n}']} (what review.discussed_sources: {n} adds to the queue)")
    for work_id in figures["discussed"]:
        print(f"  {work_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
