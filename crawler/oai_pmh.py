"""arXiv's OAI-PMH interface: ``ListRecords`` pages, resumption tokens, OAI error codes.

``parse_page`` reads one response with ``lxml.etree.iterparse``, clearing each record once read, so a
page of 1,000 records costs its bytes plus the items, whatever the harvest's size.  ``harvest`` yields
page after page through the polite client (arXiv's OAI host is in the arXiv host group: one request
every 3 s with the API and RSS); the caller stores each page and its token before asking for the next,
which is what makes a backfill resumable.  Formats: ``arXiv`` (arXiv's own, with categories) and
``oai_dc``.  Deleted records are skipped; ``noRecordsMatch`` is an empty, complete list.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from lxml import etree

from crawler.errors import FetchError, ParseError, one_line
from crawler.ids import arxiv_id, normalize_doi
from crawler.items import Item, SourceResult, Validators, first_per_key
from crawler.text import NAME_MAX, SUMMARY_MAX, TITLE_MAX, clean_text

if TYPE_CHECKING:
    from crawler.http import PoliteClient
    from crawler.settings import SourceSpec

DEFAULT_OAI_URL = "https://oaipmh.arxiv.org/oai"
OAI_ACCEPT = "text/xml, application/xml;q=0.9, */*;q=0.1"
METADATA_PREFIXES = ("arXiv", "oai_dc")
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
MAX_AUTHORS = 1000
# arXiv's archives that its OAI interface files under the "physics" set.
PHYSICS_ARCHIVES = frozenset(
    {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin", "nucl-ex",
     "nucl-th", "physics", "quant-ph"}
)
OTHER_ARCHIVES = frozenset({"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"})
# The subject classes of the archives whose classes are few and fixed (arXiv's category taxonomy); the
# others (math, physics, q-bio, ...) are checked by archive only.
SUBJECT_CLASSES = {
    "cs": frozenset("AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH "
                    "OS PF PL RO SC SD SE SI SY".split()),
    "stat": frozenset("AP CO ME ML OT TH".split()),
    "eess": frozenset("AS IV SP SY".split()),
    "econ": frozenset("EM GN TH".split()),
}


def category_problem(category: str) -> str | None:
    """Why ``category`` is not an arXiv category (``cs.XX``, ``kernels``), else None."""
    archive, _, subject = category.partition(".")
    if archive not in PHYSICS_ARCHIVES | OTHER_ARCHIVES:
        return f"no arXiv archive {archive!r} (cs, math, stat, eess, econ, physics, quant-ph, ...)"
    if archive in SUBJECT_CLASSES and not subject:
        return f"expected a category of {archive}, such as {archive}.{sorted(SUBJECT_CLASSES[archive])[0]}"
    if archive in SUBJECT_CLASSES and subject not in SUBJECT_CLASSES[archive]:
        return f"no arXiv category {category!r} (known in {archive}: {', '.join(sorted(SUBJECT_CLASSES[archive]))})"
    return None


INCREMENTAL_FIRST_DAYS = 2  # a scheduled harvest that never ran starts this many days back
_FATAL_ERRORS = {
    "badArgument": "the request's arguments are wrong",
    "badResumptionToken": "the resumption token expired or is invalid (start the harvest again)",
    "badVerb": "the endpoint does not speak OAI-PMH ListRecords",
    "cannotDisseminateFormat": "the endpoint does not offer this metadata format",
    "noSetHierarchy": "the endpoint has no sets",
    "idDoesNotExist": "no such record",
    "noMetadataFormats": "no metadata formats",
}


class OaiError(ParseError):
    """An OAI-PMH ``<error code=...>``; ``code`` is the protocol's code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class OaiPage:
    items: list[Item] = field(default_factory=list)
    token: str | None = None  # the next page's resumptionToken; None when the list is complete
    complete_size: int | None = None
    cursor: int | None = None
    records: int = 0  # records in the page, deleted and filtered ones included
    last_datestamp: str | None = None


def set_for(category: str) -> str:
    """The OAI set that holds a category: ``cs.LG`` -> ``cs``, ``hep-th`` -> ``physics:hep-th``."""
    archive = category.split(".")[0].strip()
    return f"physics:{archive}" if archive in PHYSICS_ARCHIVES else archive


def sets_for(categories: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(set_for(c) for c in categories if c.strip()))


def list_records_url(
    endpoint: str, *, metadata_prefix: str = "arXiv", from_date: str | None = None, until: str | None = None,
    set_spec: str | None = None, token: str | None = None,
) -> str:
    """A ``ListRecords`` request: the first with its arguments, the next ones with the token alone."""
    if token:
        params = {"verb": "ListRecords", "resumptionToken": token}
    else:
        params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
        if from_date:
            params["from"] = from_date
        if until:
            params["until"] = until
        if set_spec:
            params["set"] = set_spec
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str:
    for child in element.iter():
        if _local(child.tag) == name:
            return "".join(child.itertext())
    return ""


def _record_item(record: etree._Element, wanted: frozenset[str]) -> tuple[Item | None, str | None]:
    """(item or None for deleted/filtered/unusable records, the header's datestamp)."""
    header = next((c for c in record if _local(c.tag) == "header"), None)
    if header is None:
        return None, None
    identifier = _child_text(header, "identifier").strip()
    datestamp = _child_text(header, "datestamp").strip() or None
    if header.get("status") == "deleted":
        return None, datestamp
    metadata = next((c for c in record if _local(c.tag) == "metadata"), None)
    if metadata is None or not len(metadata):
        return None, datestamp
    body = metadata[0]
    fmt = _local(body.tag)
    if fmt == "arXiv":
        return _arxiv_item(body, identifier, datestamp, wanted), datestamp
    if fmt == "dc":
        set_specs = [(s.text or "").strip() for s in header if _local(s.tag) == "setSpec"]
        return _dc_item(body, identifier, datestamp, wanted, set_specs), datestamp
    return None, datestamp


def _arxiv_item(body: etree._Element, identifier: str, datestamp: str | None, wanted: frozenset[str]) -> Item | None:
    paper = arxiv_id(_child_text(body, "id")) or arxiv_id(identifier)
    if paper is None:
        return None
    categories = _child_text(body, "categories").split()
    if wanted and not wanted.intersection(categories):
        return None
    authors = []
    for author in body.iter(f"{{{ARXIV_NS}}}author"):
        keyname = _child_text(author, "keyname").strip()
        forenames = _child_text(author, "forenames").strip()
        name = clean_text(f"{forenames} {keyname}".strip(), NAME_MAX, html=False)
        if name:
            authors.append(name)
        if len(authors) >= MAX_AUTHORS:
            break
    links = [f"https://arxiv.org/pdf/{paper}"]
    doi = normalize_doi(_child_text(body, "doi").split()[0]) if _child_text(body, "doi").split() else None
    if doi:
        links.append(f"https://doi.org/{doi}")
    created = _child_text(body, "created").strip() or datestamp
    return _paper(paper, _child_text(body, "title"), _child_text(body, "abstract"), created, authors, links)


def _dc_item(
    body: etree._Element, identifier: str, datestamp: str | None, wanted: frozenset[str], set_specs: list[str]
) -> Item | None:
    identifiers = [(e.text or "").strip() for e in body if _local(e.tag) == "identifier"]
    paper = next((arxiv_id(i) for i in [identifier, *identifiers] if arxiv_id(i)), None)
    if paper is None:
        return None
    if wanted:
        # oai_dc carries no categories: the setSpec (cs, physics:hep-th) is as fine as it gets.
        archives = {s.split(":")[-1] for s in set_specs}
        if archives and not archives.intersection({w.split(".")[0] for w in wanted}):
            return None
    authors = [clean_text(e.text, NAME_MAX, html=False) for e in body if _local(e.tag) == "creator"][:MAX_AUTHORS]
    dates = sorted((e.text or "").strip() for e in body if _local(e.tag) == "date")
    created = dates[0] if dates else datestamp
    return _paper(
        paper, _child_text(body, "title"), _child_text(body, "description"), created, [a for a in authors if a],
        [f"https://arxiv.org/pdf/{paper}"],
    )


def _paper(
    paper: str, title: str, summary: str, created: str | None, authors: list[str], links: list[str]
) -> Item:
    """The Item of a harvested arXiv record, whichever metadata format it came in."""
    return Item(
        canonical_id=f"arxiv:{paper}",
        title=clean_text(title, TITLE_MAX, html=False),
        summary=clean_text(summary, SUMMARY_MAX, html=False),
        url=f"https://arxiv.org/abs/{paper}",
        key=f"oai:arXiv.org:{paper}",
        published=f"{created[:10]}T00:00:00Z" if created and len(created) >= 10 else None,
        authors=tuple(authors),
        links=tuple(links),
    )


def parse_page(body: bytes, url: str, categories: Sequence[str] = ()) -> OaiPage:
    """One ``ListRecords`` response, streamed; ``OaiError`` for a protocol error other than noRecordsMatch."""
    page = OaiPage()
    wanted = frozenset(c for c in categories if "." in c or c in PHYSICS_ARCHIVES)
    try:
        context = etree.iterparse(
            io.BytesIO(body), events=("end",), resolve_entities=False, no_network=True, huge_tree=False,
            load_dtd=False, remove_comments=True,
        )
        saw_root = False
        for _, element in context:
            tag = element.tag if isinstance(element.tag, str) else ""
            # Only the protocol's own elements (a <title> or <error> inside metadata is not ours).
            name = _local(tag) if not tag.startswith("{") or tag.startswith(f"{{{OAI_NS}}}") else ""
            if name == "record":
                _take_record(page, element, wanted)
            elif name == "resumptionToken":
                token = (element.text or "").strip()
                page.token = token or None
                page.complete_size = _int(element.get("completeListSize"))
                page.cursor = _int(element.get("cursor"))
            elif name == "error":
                if (element.get("code") or "unknown") == "noRecordsMatch":
                    return OaiPage(complete_size=0)
                raise _oai_error(element, url)
            elif name == "OAI-PMH":
                saw_root = True
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{url}: not a well-formed OAI-PMH response: {exc}") from None
    if not saw_root:
        raise ParseError(f"{url}: not an OAI-PMH response (no OAI-PMH root element)")
    return page


def _take_record(page: OaiPage, element: etree._Element, wanted: frozenset[str]) -> None:
    """One ``<record>`` into the page, then out of memory (the tree of a 100 MB page is never built)."""
    item, datestamp = _record_item(element, wanted)
    page.records += 1
    if item is not None:
        page.items.append(item)
    if datestamp and (page.last_datestamp is None or datestamp > page.last_datestamp):
        page.last_datestamp = datestamp
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _oai_error(element: etree._Element, url: str) -> OaiError:
    code = element.get("code") or "unknown"
    message = " ".join((element.text or "").split())
    reason = _FATAL_ERRORS.get(code, "error")
    return OaiError(f"{url}: OAI-PMH {code}: {reason}" + (f" ({message})" if message else ""), code)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Fetched:
    page: OaiPage
    url: str
    requests: int
    bytes_read: int


def fetch_page(
    client: PoliteClient, endpoint: str, *, metadata_prefix: str, from_date: str | None, until: str | None,
    set_spec: str | None, token: str | None, categories: Sequence[str],
) -> Fetched:
    """One page; an OAI error delivered with an HTTP error status still comes back as ``OaiError``."""
    url = list_records_url(endpoint, metadata_prefix=metadata_prefix, from_date=from_date, until=until,
                           set_spec=set_spec, token=token)
    try:
        fetched = client.get(url, accept=OAI_ACCEPT)
    except FetchError as exc:
        if exc.body and b"<error" in exc.body:
            parse_page(exc.body, url, categories)  # raises OaiError with the endpoint's reason
        raise
    page = parse_page(fetched.body, url, categories)
    return Fetched(page, url, fetched.requests, len(fetched.body))


def harvest(
    client: PoliteClient, endpoint: str, *, metadata_prefix: str = "arXiv", from_date: str | None = None,
    until: str | None = None, set_spec: str | None = None, token: str | None = None, categories: Sequence[str] = (),
) -> Iterator[Fetched]:
    """Pages until the list is complete, starting at ``token`` when resuming."""
    while True:
        fetched = fetch_page(client, endpoint, metadata_prefix=metadata_prefix, from_date=from_date, until=until,
                             set_spec=set_spec, token=token, categories=categories)
        yield fetched
        token = fetched.page.token
        if not token:
            return


def _today() -> date:
    return datetime.now(UTC).date()


def collect_oai(source: SourceSpec, client: PoliteClient, validators: Validators) -> SourceResult:
    """A scheduled harvest: records since the last success (kept as the source's Last-Modified validator),
    at most ``max_results`` of them, filtered to the categories named in ``query`` (``cs.LG cs.AI``)."""
    categories = (source.query or "").split()
    sets: list[str | None] = [*sets_for(categories)] or [None]
    started = _today().isoformat()
    from_date = validators.last_modified if validators.last_modified and len(validators.last_modified) == 10 else (
        _today() - timedelta(days=INCREMENTAL_FIRST_DAYS)
    ).isoformat()
    result = SourceResult(validators=Validators(last_modified=started))
    capped = False
    newest: str | None = None
    for set_spec in sets:
        for fetched in harvest(client, source.endpoint, metadata_prefix="arXiv", from_date=from_date,
                               set_spec=set_spec, categories=categories):
            result.requests += fetched.requests
            result.bytes_read += fetched.bytes_read
            if fetched.page.last_datestamp and (newest is None or fetched.page.last_datestamp > newest):
                newest = fetched.page.last_datestamp
            result.items = first_per_key(result.items + fetched.page.items, attrgetter("canonical_id"))
            if len(result.items) >= source.max_results:
                capped = True
                break
        if capped:
            break
    if capped:
        result.items = result.items[: source.max_results]
        result.validators = Validators(last_modified=(newest or from_date)[:10])
        result.warnings.append(
            one_line(
                f"{source.endpoint}: stopped at max_results={source.max_results}; the next run goes on from "
                f"{(newest or from_date)[:10]}"
            )
        )
    return result
