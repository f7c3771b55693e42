"""A synthetic arXiv OAI-PMH endpoint for tests and the backfill benchmark: N records, pages of K,
resumption tokens ``p<page>``, record i in category cs.LG (every fifth in math.CO only, every seventh
deleted).  ``handler`` plugs into ``tests/local_server.LocalServer``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from xml.sax.saxutils import escape

from local_server import Request, Response

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    "<responseDate>2026-11-30T00:00:00Z</responseDate>\n"
)
TOPICS = (
    "language model agents that optimise GPU kernels for training",
    "graph neural networks for molecule property prediction",
    "self-play reinforcement learning for theorem proving",
    "a benchmark for multilingual legal question answering",
    "neural architecture search with evolutionary strategies",
)


def paper_id(i: int) -> str:
    return f"2501.{i:05d}"


def is_deleted(i: int) -> bool:
    return i % 7 == 3


def is_math_only(i: int) -> bool:
    return i % 5 == 4


def record(i: int, prefix: str = "arXiv") -> str:
    pid = paper_id(i)
    day = 1 + i % 28
    if is_deleted(i):
        return (f'<record><header status="deleted"><identifier>oai:arXiv.org:{pid}</identifier>'
                f"<datestamp>2025-01-{day:02d}</datestamp><setSpec>cs</setSpec></header></record>\n")
    topic = TOPICS[i % len(TOPICS)]
    cats = "math.CO" if is_math_only(i) else "cs.LG cs.AI"
    header = (f"<header><identifier>oai:arXiv.org:{pid}</identifier><datestamp>2025-01-{day:02d}</datestamp>"
              f"<setSpec>cs</setSpec></header>")
    if prefix == "oai_dc":
        meta = (
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>Paper {i}: {escape(topic)}</dc:title><dc:creator>Doe, Jane</dc:creator>"
            f"<dc:description>We study {escape(topic)} &amp; report results.</dc:description>"
            f"<dc:date>2025-01-{day:02d}</dc:date><dc:identifier>http://arxiv.org/abs/{pid}</dc:identifier></oai_dc:dc>"
        )
    else:
        meta = (
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
            f"<id>{pid}</id><created>2025-01-{day:02d}</created>"
            "<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author>"
            "<author><keyname>Roe</keyname><forenames>Richard</forenames></author></authors>"
            f"<title>Paper {i}: {escape(topic)}</title><categories>{cats}</categories>"
            f"<abstract>  We study {escape(topic)} &amp; report\n results.  </abstract></arXiv>"
        )
    return f"<record>{header}<metadata>{meta}</metadata></record>\n"


def page(total: int, size: int, number: int, prefix: str = "arXiv") -> bytes:
    start = number * size
    end = min(total, start + size)
    body = [HEAD, '<request verb="ListRecords">http://127.0.0.1/oai</request>\n<ListRecords>\n']
    body.extend(record(i, prefix) for i in range(start, end))
    if end < total:
        body.append(f'<resumptionToken cursor="{start}" completeListSize="{total}">p{number + 1}</resumptionToken>\n')
    else:
        body.append(f'<resumptionToken cursor="{start}" completeListSize="{total}"/>\n')
    body.append("</ListRecords>\n</OAI-PMH>\n")
    return "".join(body).encode()


def error(code: str, message: str = "") -> bytes:
    return (
        HEAD
        + f'<request verb="ListRecords">http://127.0.0.1/oai</request>\n<error '
          f'code="{code}">{escape(message)}</error>\n'
        "</OAI-PMH>\n"
    ).encode()


class OaiEndpoint:
    """The handler plus hooks: ``hold_page`` blocks that page until ``release`` (or 30 s)."""

    def __init__(self, total: int, size: int, hold_page: int | None = None) -> None:
        self.total = total
        self.size = size
        self.hold_page = hold_page
        self.release = threading.Event()
        self.held = threading.Event()
        self.pages_served: list[int] = []

    def __call__(self, request: Request) -> Response:
        q = request.query
        if q.get("verb") != "ListRecords":
            return Response(200, error("badVerb", "only ListRecords here"), {"Content-Type": "text/xml"})
        prefix = q.get("metadataPrefix", "arXiv")
        if "resumptionToken" in q:
            token = q["resumptionToken"]
            if not token.startswith("p") or not token[1:].isdigit():
                return Response(200, error("badResumptionToken", "unknown token"), {"Content-Type": "text/xml"})
            number = int(token[1:])
        else:
            if prefix not in ("arXiv", "oai_dc"):
                return Response(200, error("cannotDisseminateFormat"), {"Content-Type": "text/xml"})
            if q.get("from", "") > "2025-12-31":
                return Response(200, error("noRecordsMatch", "nothing then"), {"Content-Type": "text/xml"})
            number = 0
        if number == self.hold_page:
            self.held.set()
            self.release.wait(30)
        self.pages_served.append(number)
        return Response(200, page(self.total, self.size, number, prefix), {"Content-Type": "text/xml; charset=utf-8"})


def expected_ids(total: int, keep: Callable[[int], bool] | None = None) -> set[str]:
    """The arXiv ids a harvest with --categories cs.LG should store."""
    keep = keep or (lambda i: not is_deleted(i) and not is_math_only(i))
    return {f"arxiv:{paper_id(i)}" for i in range(total) if keep(i)}
