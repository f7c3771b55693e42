"""LaTeX as text on real arXiv titles and abstracts: what ``readable_text`` costs over ``html_to_text``.

    .venv/bin/python bench/bench_latex.py [--papers 20000]

The review page renders a page of 100 candidates (title and abstract each) per request, the digest and
the terminal a few dozen.  Measured on the shared stream: ``html_to_text`` alone (the baseline, what the
page did before), ``readable_text`` the first time a text is seen, and again (served from the cache, as on
the next page load).  Goal: a page of 100 candidates costs under 50 ms more the first time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STREAM = ROOT.parent / "shared" / "data" / "arxiv_2025_2026.jsonl.gz"

from rsiwatch.present.latex import _rendered  # noqa: E402
from rsiwatch.present.text import html_to_text, readable_text  # noqa: E402

GOAL_MS_PER_PAGE = 50.0


def texts(limit: int) -> list[str]:
    out: list[str] = []
    with gzip.open(STREAM, "rt", encoding="utf-8") as stream:
        for line in stream:
            paper = json.loads(line)
            out += [paper.get("title") or "", paper.get("summary") or ""]
            if len(out) >= 2 * limit:
                break
    return out


def timed(fn, items: list[str]) -> float:
    start = time.perf_counter()
    for text in items:
        fn(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=20_000)
    args = parser.parse_args()
    if not STREAM.exists():
        sys.exit(f"{STREAM} is not there: the benchmark reads the shared arXiv stream")
    items = texts(args.papers)
    papers = len(items) // 2
    latexish = sum(1 for t in items if re.search(r"\$|\\", t))
    _rendered.cache_clear()
    base = timed(html_to_text, items)
    first = timed(readable_text, items)
    again = timed(readable_text, items)
    changed = sum(1 for t in items if readable_text(t) != html_to_text(t))
    per_page = lambda seconds: seconds / papers * 100 * 1000  # noqa: E731 - ms for 100 papers
    extra = per_page(first) - per_page(base)
    print(f"papers: {papers:,} ({len(items):,} titles and abstracts; {latexish:,} with $ or \\, {changed:,} changed)")
    print(f"html_to_text (baseline):      {per_page(base):7.2f} ms per 100 papers")
    print(f"readable_text, first time:    {per_page(first):7.2f} ms per 100 papers  ({first / base:.1f}x baseline)")
    print(f"readable_text, cached:        {per_page(again):7.2f} ms per 100 papers  ({again / base:.1f}x baseline)")
    print(f"cost of a first page: +{extra:.1f} ms (goal < {GOAL_MS_PER_PAGE:.0f} ms): "
          f"{'MET' if extra < GOAL_MS_PER_PAGE else 'NOT MET'}")


if __name__ == "__main__":
    main()
