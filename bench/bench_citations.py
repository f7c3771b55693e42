"""What the citation watch costs OpenAlex: list calls a day for catalogs of 79, 500 and 2,000 entries.

The real ``collect_citations`` runs against a local replay of OpenAlex (every catalog paper known, each
``cites:`` list answering one page of ten citing works, as a quiet day would); the first run also looks
each catalog paper up once (singletons: free), which later runs do not repeat.  A list call is what the
daily budget pays for.

    .venv/bin/python bench/bench_citations.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.http import PoliteClient  # noqa: E402
from rsiwatch.config import Config, Http, Politeness, Scholarly, Source  # noqa: E402
from rsiwatch.scholarly import collect_citations  # noqa: E402
from rsiwatch.store import Store  # noqa: E402

COUNTS = {"singleton": 0, "list": 0}


class Replay(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/works/doi:"):
            COUNTS["singleton"] += 1
            arxiv = parts.path.rsplit("arXiv.", 1)[-1]
            body = {"id": f"https://openalex.org/W{abs(hash(arxiv)) % 10**9}", "display_name": arxiv}
        else:
            COUNTS["list"] += 1
            cited = parse_qs(parts.query)["filter"][0].split(",")[0].removeprefix("cites:").split("|")
            body = {"meta": {"next_cursor": None}, "results": [
                {"id": f"https://openalex.org/W9{i}{len(cited)}", "doi": f"https://doi.org/10.48550/arxiv.2612.{i:05d}",
                 "display_name": f"Citing work {i}", "referenced_works": [f"https://openalex.org/{cited[0]}"]}
                for i in range(10)]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def run(entries: int, url: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            sources=[Source(name="citations", kind="openalex", url=url, every="1d")],
            politeness=Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={}, obey_robots=False),
            http=Http(retries=0, allow_private_addresses=True), scholarly=Scholarly(openalex=url, api_key="bench"),
        )
        with Store(Path(tmp) / "c.db") as store:
            rows = [{"id": n, "work_id": f"arxiv:2401.{n:05d}", "title": f"Entry {n}", "description": "An entry."}
                    for n in range(1, entries + 1)]
            from rsiwatch.catalog.load import import_entries

            import_entries(store, rows, origin="bench", by="bench", dry_run=False)
            out = {}
            with PoliteClient(config.http.settings, config.politeness.settings, "bench@example.org") as client:
                for day in ("first day", "a later day"):
                    COUNTS.update(singleton=0, list=0)
                    collect_citations(config.sources[0], store, client, config)
                    out[day] = dict(COUNTS)
            return {"entries": entries, **{f"{d} {k}": v for d, c in out.items() for k, v in c.items()}}


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print("entries  list calls (first day)  singletons (first day, free)  list calls (later days)  singletons (later)")
    for entries in (79, 500, 2000):
        r = run(entries, url)
        print(f"{entries:7d}  {r['first day list']:22d}  {r['first day singleton']:28d}  {r['a later day list']:23d}  "
              f"{r['a later day singleton']:18d}")
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
