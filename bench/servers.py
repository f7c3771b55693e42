"""Local servers for the benchmarks, each in its own process (so it runs on the other core), on 127.0.0.1.

    python bench/servers.py feeds DIR                       # every DIR/*.xml as /feeds/NAME, with ETag/304
    python bench/servers.py oai BANK.json --total 500000    # a synthetic arXiv OAI-PMH endpoint

It prints its base URL on the first line of stdout, then serves until terminated, ``--max-seconds``
passes or ``--max-requests`` have been answered.  The OAI endpoint writes each page when asked for it,
from a small bank of real sentences: it never holds the records, so its memory is the same for 50,000
records or 5 million.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
    "<responseDate>2026-07-01T00:00:00Z</responseDate>\n"
)
RECORDS_PER_MONTH = 20_000  # arXiv ids YYMM.NNNNN: a month holds up to 99,999
CATEGORY_SETS = ("cs.LG cs.AI", "cs.CL", "cs.CV", "cs.LG stat.ML", "cs.AI cs.MA", "cs.NE cs.LG", "cs.AR", "cs.PL cs.LG")


class Bank:
    """Titles and sentences of real abstracts; record ``i`` is composed from them deterministically."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.titles: list[str] = data["titles"]
        self.sentences: list[str] = data["sentences"]
        self.names: list[list[str]] = data["names"]

    def paper_id(self, i: int) -> str:
        month = i // RECORDS_PER_MONTH
        return f"{15 + month // 12:02d}{month % 12 + 1:02d}.{i % RECORDS_PER_MONTH + 1:05d}"

    def datestamp(self, i: int) -> str:
        month = i // RECORDS_PER_MONTH
        return f"20{15 + month // 12:02d}-{month % 12 + 1:02d}-{1 + i % 28:02d}"

    def record(self, i: int) -> str:
        pid, day = self.paper_id(i), self.datestamp(i)
        header = (
            f"<header><identifier>oai:arXiv.org:{pid}</identifier><datestamp>{day}</datestamp>"
            "<setSpec>cs</setSpec></header>"
        )
        if i % 50 == 7:  # a withdrawn paper now and then
            return f'<record><header status="deleted">{header[8:]}</record>\n'
        t, s, n = self.titles, self.sentences, self.names
        title = t[i % len(t)] if i < len(t) else f"{t[i % len(t)]} ({t[(i * 7919) % len(t)].split(':')[0]})"
        abstract = " ".join(s[(i * k * 104729 + k) % len(s)] for k in range(1, 7))
        authors = "".join(
            f"<author><keyname>{escape(a[1])}</keyname><forenames>{escape(a[0])}</forenames></author>"
            for a in (n[(i * 31 + k) % len(n)] for k in range(1 + i % 5))
        )
        meta = (
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<id>{pid}</id><created>{day}</created><authors>{authors}</authors>"
            f"<title>{escape(title)}</title><categories>{CATEGORY_SETS[i % len(CATEGORY_SETS)]}</categories>"
            f"<license>http://creativecommons.org/licenses/by/4.0/</license><abstract>  "
            f"{escape(abstract)}\n</abstract></arXiv>"
        )
        return f"<record>{header}<metadata>{meta}</metadata></record>\n"

    def page(self, total: int, size: int, number: int) -> bytes:
        start, end = number * size, min(total, number * size + size)
        parts = [
            OAI_HEAD,
            '<request verb="ListRecords" metadataPrefix="arXiv">http://127.0.0.1/oai</request>\n<ListRecords>\n',
        ]
        parts.extend(self.record(i) for i in range(start, end))
        token = f"bench|{number + 1}" if end < total else ""
        parts.append(f'<resumptionToken cursor="{start}" completeListSize="{total}">{token}</resumptionToken>\n')
        parts.append("</ListRecords>\n</OAI-PMH>\n")
        return "".join(parts).encode("utf-8")


def oai_error(code: str, message: str) -> bytes:
    return (
        OAI_HEAD
        + f'<request verb="ListRecords">http://127.0.0.1/oai</request>\n<error '
          f'code="{code}">{escape(message)}</error>\n'
        "</OAI-PMH>\n"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BenchServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.count()
        parts = urlsplit(self.path)
        if self.server.mode == "feeds":
            self._feed(parts.path)
        else:
            self._oai(dict(parse_qsl(parts.query)))

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _feed(self, path: str) -> None:
        found = self.server.feeds.get(path)
        if found is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        body, etag = found
        validators = {"ETag": etag, "Last-Modified": self.server.last_modified}
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", validators)
            return
        self._send(200, body, {**validators, "Content-Type": "application/rss+xml; charset=utf-8"})

    def _oai(self, q: dict[str, str]) -> None:
        s = self.server
        if q.get("verb") != "ListRecords":
            body = oai_error("badVerb", "only ListRecords here")
        elif "resumptionToken" in q:
            token = q["resumptionToken"]
            number = token.split("|", 1)[1] if token.startswith("bench|") else ""
            body = (
                s.bank.page(s.total, s.size, int(number))
                if number.isdigit()
                else oai_error("badResumptionToken", token)
            )
        else:
            body = s.bank.page(s.total, s.size, 0)
        self._send(200, body, {"Content-Type": "text/xml; charset=utf-8"})


class BenchServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str, max_requests: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = mode
        self.max_requests = max_requests
        self.requests = 0
        self.feeds: dict[str, tuple[bytes, str]] = {}
        self.last_modified = formatdate(usegmt=True)
        self._lock = threading.Lock()

    def count(self) -> None:
        with self._lock:
            self.requests += 1
            if self.requests >= self.max_requests:
                threading.Thread(target=self.shutdown, daemon=True).start()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("feeds", "oai"))
    ap.add_argument("path", type=Path, help="feeds: a directory of .xml files; oai: the bank JSON")
    ap.add_argument("--total", type=int, default=500_000, help="oai: records in the list")
    ap.add_argument("--page-size", type=int, default=1000, help="oai: records per page")
    ap.add_argument("--max-seconds", type=float, default=3600)
    ap.add_argument("--max-requests", type=int, default=100_000)
    args = ap.parse_args()
    server = BenchServer(args.mode, args.max_requests)
    if args.mode == "feeds":
        for file in sorted(args.path.glob("*.xml")):
            body = file.read_bytes()
            server.feeds[f"/feeds/{file.name}"] = (body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
    else:
        server.bank = Bank(args.path)  # type: ignore[attr-defined]
        server.total, server.size = args.total, args.page_size  # type: ignore[attr-defined]
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.exit(0)


if __name__ == "__main__":
    main()
