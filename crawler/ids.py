"""Canonical ids: one name per work, however many sources, versions or URLs mention it.

``arxiv:2401.01234`` (never a version, old-style ``arxiv:cs/0112017`` too), ``doi:10.1234/abc`` (lower
case), else ``url:`` plus a normalised URL.  A decision is stored against this id, so the rules here
decide whether a rejected paper comes back through a blog post: keep them pure, strict and tested.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

ARXIV_URL_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org", "rss.arxiv.org", "browse.arxiv.org"})
# Every site where a link names an arXiv paper by its id, and the first path segments before the id there
# (a leading ``www.`` is ignored).  Newsletters link papers through all of these; each is the same work.
ARXIV_PAPER_PATHS: dict[str, tuple[str, ...]] = {
    **{host: ("abs", "pdf", "html", "format", "ps") for host in ARXIV_URL_HOSTS},
    "huggingface.co": ("papers",),
    "hf.co": ("papers",),
    "alphaxiv.org": ("abs", "overview", "pdf"),
    "ar5iv.labs.arxiv.org": ("html", "abs"),
    "ar5iv.org": ("abs", "html"),
}
DOI_URL_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
# DataCite DOIs that arXiv mints for every paper: the same work as the arXiv id.
ARXIV_DOI_PREFIX = "10.48550/arxiv."

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that say who sent the reader, not what the page is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "ref_src", "ref_url", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "vero_conv", "wt_mc", "__s", "s_cid", "spm", "cmpid",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

# New-style ids (2007-): yymm.nnnn (to 2014) or yymm.nnnnn; old style: archive(.CLASS)/yymmnnn.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d+))?"
_ID_RE = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID}){_VERSION}")
_WHOLE_ID_RE = re.compile(rf"^(?:arxiv:|oai:arxiv\.org:)?\s*(?:{_NEW_ID}|{_OLD_ID}){_VERSION}$", re.IGNORECASE)
_PAPER_PATH_RE = {
    host: re.compile(rf"^/(?:{'|'.join(prefixes)})/(?:{_NEW_ID}|{_OLD_ID}){_VERSION}(?:\.pdf)?/?$", re.IGNORECASE)
    for host, prefixes in ARXIV_PAPER_PATHS.items()
}

# In running text: links to a paper on a host above, "arXiv:2401.01234", DOIs (Crossref's recommended
# pattern), GitHub repos.  Each pattern starts with a literal so the scan is quick; the host before a
# ``/abs/<id>``-like path is checked in code.
_PATH_SEGMENTS = sorted({segment for prefixes in ARXIV_PAPER_PATHS.values() for segment in prefixes})
_TEXT_PAPER_PATH_RE = re.compile(
    rf"/(?P<segment>{'|'.join(_PATH_SEGMENTS)})/(?:{_NEW_ID}|{_OLD_ID}){_VERSION}", re.IGNORECASE
)
_TEXT_ARXIV_PREFIX_RE = re.compile(rf"arxiv:\s?(?:{_NEW_ID}|{_OLD_ID}){_VERSION}", re.IGNORECASE)
_HOST_BEFORE_RE = re.compile(r"[a-z0-9.\-]{1,80}$", re.IGNORECASE)
# Literals one of which is in every text these can match (a cheap test before the scan).
_TEXT_ARXIV_HINTS = ("arxiv", *sorted(host for host in ARXIV_PAPER_PATHS if "arxiv" not in host))
_TEXT_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[-._;()/:A-Za-z0-9<>]+)")
_GITHUB_RE = re.compile(r"https?://(?:www\.)?github\.com/([A-Za-z0-9][A-Za-z0-9\-]*)/([A-Za-z0-9_.\-]+)")
_GITHUB_NOT_OWNERS = frozenset(
    {
        "about",
        "apps",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "login",
        "marketplace",
        "orgs",
        "pricing",
        "security",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "join",
        "notifications",
        "new",
        "search",
        "readme",
        "solutions",
        "resources",
    }
)
_MAX_SCAN_CHARS = 2_000_000


def canonical_url(url: str) -> str:
    """Normalise a URL so that trivially different spellings of one page compare equal.

    Scheme and host lower case, default port and user info dropped, empty path made ``/``, fragment
    dropped, tracking parameters removed and the remaining query sorted.  Path case is kept: servers
    are case-sensitive there.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, v)]
    query = urlencode(sorted(pairs), quote_via=quote, safe="/:@!$'()*,;")
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(key: str, value: str) -> bool:
    k = key.lower()
    if k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES):
        return True
    # Medium appends ?source=rss----<hash> to every link in its feeds.
    return k == "source" and value.lower().startswith("rss")


def _match_id(match: re.Match[str]) -> str:
    return match.group("new") or match.group("old")


def arxiv_id(text_or_url: str) -> str | None:
    """The versionless arXiv id named by a whole string: a bare id, ``arXiv:...``, ``oai:arXiv.org:...``,
    a link to the paper on arXiv or a site in ``ARXIV_PAPER_PATHS``, or an arXiv DOI; ``None`` for
    anything else (free text included)."""
    text = text_or_url.strip()
    match = _WHOLE_ID_RE.match(text)
    if match:
        return _match_id(match)
    doi = _doi_from(text)
    if doi and doi.startswith(ARXIV_DOI_PREFIX):
        return arxiv_id(doi[len(ARXIV_DOI_PREFIX) :])
    match = _paper_link(text)
    return _match_id(match) if match else None


def _paper_host(host: str) -> str | None:
    """The ``ARXIV_PAPER_PATHS`` host that ``host`` is or is a subdomain of (``www.``, arXiv's country
    mirrors such as ``de.arxiv.org``), else None."""
    host = host.lower()
    while host:
        if host in ARXIV_PAPER_PATHS:
            return host
        host = host.partition(".")[2]
    return None


def _paper_link(url: str) -> re.Match[str] | None:
    """The id match of a link to a paper's page on arXiv or a site that mirrors it, else None."""
    parts = _split(url)
    host = _paper_host(parts[0]) if parts else None
    return _PAPER_PATH_RE[host].match(parts[1]) if parts and host else None


def arxiv_version(text: str) -> int | None:
    """The version number in ``2401.01234v2`` / ``arXiv:...v2`` / an abs link with a version, else None."""
    text = text.strip()
    match = _WHOLE_ID_RE.match(text) or _paper_link(text)
    if match and match.group("version"):
        return int(match.group("version"))
    return None


def _split(url: str) -> tuple[str, str] | None:
    """(host, path) of an http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
        return None
    return host, parts.path


def normalize_doi(doi: str) -> str | None:
    """``10.1234/ABC`` from ``doi:10.1234/ABC``, ``https://doi.org/10.1234/abc`` ... lower-cased; else None."""
    return _doi_from(doi.strip())


def _doi_from(text: str) -> str | None:
    candidate = text
    parts = _split(text)
    if parts is not None:
        if parts[0] not in DOI_URL_HOSTS:
            return None
        candidate = unquote(parts[1].lstrip("/"))
    elif candidate.lower().startswith("doi:"):
        candidate = candidate[4:].strip()
    if not re.fullmatch(r"10\.\d{4,9}/\S+", candidate):
        return None
    return candidate.rstrip(".,;").lower()


def canonical_id(url: str | None = None, *, arxiv: str | None = None, doi: str | None = None) -> str:
    """The id of the work: arXiv id first, then DOI, then the URL (an arXiv or doi.org link maps to its
    arXiv/DOI id).  Raises ``ValueError`` when nothing usable is given."""
    if arxiv:
        found = arxiv_id(arxiv)
        if found:
            return f"arxiv:{found}"
    if doi:
        found_doi = normalize_doi(doi)
        if found_doi:
            inner = arxiv_id(found_doi)
            return f"arxiv:{inner}" if inner else f"doi:{found_doi}"
    if url:
        found = arxiv_id(url)
        if found:
            return f"arxiv:{found}"
        found_doi = _doi_from(url.strip())
        if found_doi:
            return canonical_id(doi=found_doi)
        return "url:" + canonical_url(url)
    raise ValueError(f"no usable arXiv id, DOI or URL (arxiv={arxiv!r}, doi={doi!r}, url={url!r})")


def work_id(text: str) -> str | None:
    """The canonical id a person means by what they paste: ``arxiv:2401.01234v2``, ``2401.01234``, any
    link to the paper (``ARXIV_PAPER_PATHS``), a DOI as ``10.x/y``, ``doi:`` or a doi.org link, a page's
    URL, or a canonical id as ``rsiwatch candidates`` prints it; None when it names no work."""
    text = text.strip().strip("<>").strip()
    kind, _, rest = text.partition(":")
    if kind.lower() == "url" and _split(rest.strip()):
        return "url:" + rest.strip()  # as printed, fragment and all (an entry without a link has one)
    paper = arxiv_id(text)
    if paper:
        return f"arxiv:{paper}"
    doi = normalize_doi(text)
    if doi:
        return canonical_id(doi=doi)
    return canonical_id(text) if _split(text) else None


def id_to_url(cid: str) -> str:
    """A URL a person can open for a canonical id."""
    kind, _, rest = cid.partition(":")
    if kind == "arxiv":
        return f"https://arxiv.org/abs/{rest}"
    if kind == "doi":
        return f"https://doi.org/{rest}"
    return rest


def _trim_doi(doi: str) -> str:
    """Drop punctuation that ends the sentence or the HTML attribute, not the DOI."""
    doi = re.split(r"[<>\"']", doi, maxsplit=1)[0]
    while doi and doi[-1] in ".,;:":
        doi = doi[:-1]
    while doi.endswith(")") and doi.count(")") > doi.count("("):
        doi = doi[:-1]
    return doi


def _arxiv_mentions(text: str, lower: str) -> list[tuple[int, str]]:
    """(position, id) of arXiv links on a known paper host and of ``arXiv:`` ids."""
    found: list[tuple[int, str]] = []
    if not any(hint in lower for hint in _TEXT_ARXIV_HINTS):
        return found
    for match in _TEXT_PAPER_PATH_RE.finditer(text):
        host = _HOST_BEFORE_RE.search(text, max(0, match.start() - 80), match.start())
        name = _paper_host(host.group(0)) if host else None
        if name and match.group("segment").lower() in ARXIV_PAPER_PATHS[name]:
            found.append((host.start() if host else match.start(), f"arxiv:{_match_id(match)}"))
    for match in _TEXT_ARXIV_PREFIX_RE.finditer(text) if "arxiv:" in lower else ():
        before = text[match.start() - 1] if match.start() else " "
        if not (before.isalnum() or before == "_"):
            found.append((match.start(), f"arxiv:{_match_id(match)}"))
    return found


def _doi_mentions(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _TEXT_DOI_RE.finditer(text) if "10." in text else ():
        doi = _trim_doi(match.group(1))
        if "/" in doi and not doi.endswith("/"):
            found.append((match.start(), canonical_id(doi=doi)))
    return found


def _github_mentions(text: str, lower: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _GITHUB_RE.finditer(text) if "github.com" in lower else ():
        owner, repo = match.group(1).lower(), match.group(2).lower().removesuffix(".git").rstrip(".")
        if owner in _GITHUB_NOT_OWNERS or not repo:
            continue
        found.append((match.start(), f"url:https://github.com/{owner}/{repo}"))
    return found


def find_references(text_or_html: str) -> list[str]:
    """Canonical ids of the works a text names: arXiv links and ``arXiv:`` ids, DOIs, GitHub repos.

    Used to link a blog post or newsletter story to the paper it is about.  First mention first, no
    duplicates.  Bare numbers like ``2401.01234`` are not taken: too many false friends.
    """
    text = html.unescape(text_or_html[:_MAX_SCAN_CHARS])
    lower = text.lower()
    # Each pattern runs only where its literal occurs: most texts name no paper, and the case-blind
    # arXiv pattern has no fixed prefix, so scanning for it was a third of turning entries into items.
    found = [*_arxiv_mentions(text, lower), *_doi_mentions(text), *_github_mentions(text, lower)]
    return list(dict.fromkeys(cid for _, cid in sorted(found, key=lambda pair: pair[0])))
