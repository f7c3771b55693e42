"""Presentation helpers shared by the review page, the terminal review and the digest.

Everything here is pure: web text in, safe text (or ``Markup`` built from escaped pieces) out.  Text from
feeds is untrusted, so HTML is reduced to text, control characters are dropped, and only http(s) URLs
ever become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from classifier.labels import CATEGORY_SLUGS
from crawler.text import html_to_text as markup_to_text

CATEGORIES = CATEGORY_SLUGS  # the classifier's list, under the name the review code uses
FLAGS = ("company_reported", "disputed", "deployed_in_production")
CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org", "paperswithcode.com")
DESCRIPTION_MAX = 300

# C0/C1 controls (but tab and newline), bidi overrides and zero-width characters: they can hide or
# reorder text on a page and drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_ARXIV = re.compile(r"^arxiv:((?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7})|(?:\d{4}\.\d{4,5}))$", re.I)


def clean_text(text: Any) -> str:
    """Drop control characters and collapse whitespace."""
    return _SPACES.sub(" ", _CONTROL.sub("", str(text or ""))).strip()


def html_to_text(text: Any) -> str:
    """HTML (or plain text) reduced to plain text: tags and scripts dropped, entities decoded."""
    raw = str(text or "")
    if "<" not in raw and "&" not in raw:
        return clean_text(raw)
    return clean_text(markup_to_text(raw))


def safe_url(url: Any) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (rendered as text, never a link)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 2000 or _CONTROL.search(url) or re.search(r"\s", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def arxiv_number(work_id: str) -> str | None:
    match = _ARXIV.match(work_id or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    kind: str  # abstract, pdf, code, link


def work_links(work: dict[str, Any]) -> list[Link]:
    """Abstract, PDF (arXiv), code and other links of a work; only http(s) URLs, each once."""
    out: list[Link] = []
    seen: set[str] = set()

    def add(label: str, url: str | None, kind: str) -> None:
        if url and url not in seen:
            seen.add(url)
            out.append(Link(label, url, kind))

    number = arxiv_number(work.get("id", ""))
    if number:
        add("abstract", f"https://arxiv.org/abs/{number}", "abstract")
        add("PDF", f"https://arxiv.org/pdf/{number}", "pdf")
    add("abstract" if not number else "page", safe_url(work.get("url")), "abstract")
    for link in work.get("links") or []:
        url = safe_url(link)
        if not url:
            continue
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        if host in CODE_HOSTS:
            add(f"code ({host})", url, "code")
        elif url.lower().endswith(".pdf"):
            add("PDF", url, "pdf")
        else:
            add(host or "link", url, "link")
    return out


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = []
    for term in sorted({t for t in terms if t and t.strip()}, key=len, reverse=True):
        parts = [re.escape(p) for p in term.split()]
        if parts:
            words.append(r"[\s\-]+".join(parts))
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


def highlight_segments(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_match) segments for the given terms (case-insensitive, whole words)."""
    pattern = _term_pattern(terms)
    if pattern is None or not text:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in pattern.finditer(text):
        if match.start() > pos:
            out.append((text[pos : match.start()], False))
        out.append((match.group(0), True))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def highlight_html(text: str, terms: Iterable[str]) -> Markup:
    """Escaped text with the terms wrapped in ``<mark>``: every piece is escaped before it is wrapped."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(piece) if hit else escape(piece) for piece, hit in highlight_segments(text, terms)
    )


def positive_terms(why: Sequence[Sequence[Any]]) -> list[str]:
    """The ``why`` terms that pushed the score up."""
    return [str(term) for term, value in why if float(value) > 0]


def one_sentence(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """The first sentence of a summary, cut at a word boundary if it is long."""
    text = html_to_text(text)
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def entry_prefill(work: dict[str, Any]) -> dict[str, Any]:
    """A catalog entry drafted from a work, for the curator to edit before it is saved."""
    published = str(work.get("published") or "")
    year = int(published[:4]) if published[:4].isdigit() else None
    number = arxiv_number(work.get("id", ""))
    url = f"https://arxiv.org/abs/{number}" if number else (safe_url(work.get("url")) or "")
    return {
        "work_id": work["id"],
        "title": clean_text(html_to_text(work.get("title"))),
        "year": year,
        "date_published": published[:10] or None,
        "description": one_sentence(work.get("summary") or "") or clean_text(html_to_text(work.get("title"))),
        "category": work.get("category") if work.get("category") in CATEGORIES else None,
        "url": url,
        "authors": clean_text(", ".join(str(a) for a in work.get("authors") or [])) or None,
        "flags": [],
    }


class EntryError(ValueError):
    """A catalog-entry form field the curator must fix (one line naming the field)."""


def entry_from_form(form: Any, work_id: str) -> dict[str, Any]:
    """Validate the accept form into a catalog entry; raises ``EntryError`` naming the bad field."""

    def field(name: str, limit: int) -> str:
        value = clean_text(form.get(name, ""))
        if len(value) > limit:
            raise EntryError(f"{name}: at most {limit} characters")
        return value

    title = field("title", 500)
    if not title:
        raise EntryError("title: required")
    category = field("category", 64) or None
    if category is not None and category not in CATEGORIES:
        raise EntryError(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
    url = field("url", 2000)
    if url and not safe_url(url):
        raise EntryError("url: expected an http(s) URL")
    year_text = field("year", 4)
    if year_text and not (year_text.isdigit() and 1900 <= int(year_text) <= 2100):
        raise EntryError("year: expected a year such as 2025")
    date_published = field("date_published", 10) or None
    if date_published and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date_published):
        raise EntryError("date_published: expected YYYY-MM-DD")
    flags = [f for f in FLAGS if form.get(f) in ("on", "1", "true", "yes")]
    return {
        "work_id": work_id, "title": title, "description": field("description", 2000), "category": category,
        "url": url or None, "year": int(year_text) if year_text else None, "date_published": date_published,
        "authors": field("authors", 2000) or None, "affiliations": field("affiliations", 2000) or None,
        "submitter": field("submitter", 200) or None, "flags": flags,
    }
