"""Presentation helpers shared by the review page, the terminal review, the digest and the published site.

Everything here is pure: web text in, safe text (or ``Markup`` built from escaped pieces) out.  Text from
feeds is untrusted, so HTML is reduced to text, control characters are dropped, and only http(s) URLs
ever become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from classifier.labels import CATEGORY_SLUGS
from crawler.arxiv_framing import strip_framing
from crawler.text import TITLE_MAX, html_to_text as markup_to_text, looks_like_markup
from rsiwatch.present.latex import latex_to_text

CATEGORIES = CATEGORY_SLUGS  # the classifier's list, under the name the review code uses
FLAGS = ("company_reported", "disputed", "deployed_in_production")
CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org", "paperswithcode.com")
DESCRIPTION_MAX = 300
# The entry form's limits.  A title is as long as the crawler keeps one (one home: crawler.text), so a
# title the crawler stored is never refused by the form it is drafted into.
ENTRY_TITLE_MAX = TITLE_MAX
AUTHORS_MAX = 2000
AUTHORS_SHOWN = 8  # a long list shows (and drafts) its first authors, then "et al."

# C0/C1 controls (but tab and newline), bidi overrides and zero-width characters: they can hide or
# reorder text on a page and drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_ARXIV = re.compile(r"^arxiv:((?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7})|(?:\d{4}\.\d{4,5}))$", re.I)


def clean_text(text: Any) -> str:
    """Drop control characters and collapse whitespace."""
    return _SPACES.sub(" ", _CONTROL.sub("", str(text or ""))).strip()


def html_to_text(text: Any) -> str:
    """HTML (or plain text) reduced to plain text: tags and scripts dropped, entities decoded.  Text that
    holds no HTML tag or entity is plain already (the crawl stored it so), and stays as written:
    "Kernels & <Compilers>" is a title, and parsing it as HTML would drop "<Compilers>"."""
    raw = str(text or "")
    if not looks_like_markup(raw):
        return clean_text(raw)
    return clean_text(markup_to_text(raw))


def readable_text(text: Any) -> str:
    """A paper's title or abstract as a reader should see it: HTML reduced to text, then its LaTeX
    (``$\\alpha$``, ``\\texttt{x}``) rendered as Unicode, without arXiv's listing framing.  Plain text:
    escape it like any other."""
    plain = strip_framing(html_to_text(text))  # arXiv's "arXiv:ID Announce Type: new Abstract:", if stored
    rendered = latex_to_text(plain)
    return plain if rendered is plain else clean_text(rendered)


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


def work_links(work: Mapping[str, Any]) -> list[Link]:
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
        Markup("<mark>{}</mark>").format(piece) if hit else escape(piece)
        for piece, hit in highlight_segments(text, terms)
    )


def positive_terms(why: Sequence[Sequence[Any]]) -> list[str]:
    """The ``why`` terms that pushed the score up."""
    return [str(term) for term, value in why if float(value) > 0]


def one_sentence(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """The first sentence of a summary, cut at a word boundary if it is long."""
    text = readable_text(text)
    # A Latin sentence ends at ". " before a capital or digit (not "e.g. self-play"); in a script without
    # capitals (Hebrew, Arabic, Devanagari) before any of its letters; a CJK one at its full stop, which no
    # space follows.
    match = re.search(r"(?<=[.!?؟۔।])\s+(?=[A-Z0-9\u0590-\u08ff\u0900-\u097f])|(?<=[。！？])(?=\S)", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def _year(text: str) -> int | None:
    return int(text[:4]) if text[:4].isdigit() and 1900 <= int(text[:4]) <= 2100 else None


def work_date(work: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """The year and publication date a catalog entry should carry for a work.

    An arXiv id names the month of its first version (2101.04808: January 2021), which beats the date a
    feed gave: a revised version is announced again years later, and a newsletter that links an old
    paper dates it by its own issue.  Other works take the date their source gave, else the day they
    were first seen (the year only: that day is not a publication date).
    """
    published = str(work.get("published") or "")
    number = arxiv_number(work.get("id", "")) or ""
    new_style = re.fullmatch(r"(\d\d)(\d\d)\.\d{4,5}", number)
    old_style = re.search(r"/(\d\d)(\d\d)\d{3}$", number)
    if new_style or old_style:
        yy, mm = (new_style or old_style).groups()  # type: ignore[union-attr]
        year = (1900 if int(yy) >= 91 else 2000) + int(yy)
        if _year(published) == year:
            return year, published[:10]
        return year, f"{year}-{mm}"
    if _year(published):
        return _year(published), published[:10]
    return _year(str(work.get("first_seen") or "")), None


# What a draft may carry from the scholarly graph (work_meta), as the form's fields and the columns
# the entry keeps them in (``extra``, exported again like any imported column).
PUBLISHED_FIELDS = {"published_venue": "Venue", "published_doi": "DOI", "code_url": "Code"}


def published_fields(entry: Mapping[str, Any]) -> dict[str, str]:
    """An entry's published-version columns (its ``extra``) as the form's fields, to prefill an edit."""
    extra = entry.get("extra") or {}
    return {name: str(extra[column]) for name, column in PUBLISHED_FIELDS.items() if extra.get(column)}


def entry_prefill(work: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A catalog entry drafted from a work, for the curator to edit before it is saved; ``meta`` is what
    OpenAlex said of it (``work_meta``), named in ``filled_from`` beside each value it gave."""
    year, date_published = work_date(work)
    number = arxiv_number(work.get("id", ""))
    url = f"https://arxiv.org/abs/{number}" if number else (safe_url(work.get("url")) or "")
    meta = meta or {}
    found = {
        "affiliations": meta.get("affiliations"),
        "published_venue": meta.get("venue"),
        "published_doi": meta.get("doi"),
        "code_url": meta.get("code_url"),
    }
    found = {k: clean_text(v) for k, v in found.items() if v}
    return {
        **found,
        "filled_from": {k: meta.get("origin") or "OpenAlex" for k in found},
        "work_id": work["id"],
        "title": readable_text(work.get("title")),
        "year": year,
        "date_published": date_published,
        "description": one_sentence(work.get("summary") or "") or readable_text(work.get("title")),
        "category": work.get("category") if work.get("category") in CATEGORIES else None,
        "url": url,
        "authors": draft_authors(work.get("authors") or []),
        "flags": [],
    }


def draft_as_entry(draft: dict[str, Any]) -> dict[str, Any]:
    """A draft saved as it stands (``rsiwatch accept``): what OpenAlex gave of a published version goes to the
    entry's columns (``extra``), its provenance note is dropped."""
    entry = {k: v for k, v in draft.items() if k not in PUBLISHED_FIELDS and k != "filled_from"}
    published = {column: draft[name] for name, column in PUBLISHED_FIELDS.items() if draft.get(name)}
    if published:
        entry["extra"] = published
    return entry


def draft_authors(authors: Sequence[Any]) -> str | None:
    """The Authors field drafted from a work's author list: all of them when they fit the field, else the
    first ``AUTHORS_SHOWN`` then "et al." as the queue shows them (the full list stays on the work), so a
    system card with hundreds of authors can be accepted as drafted."""
    names = [name for name in (clean_text(a) for a in authors) if name]
    full = ", ".join(names)
    if len(full) <= AUTHORS_MAX:
        return full or None
    shown = ", ".join(names[:AUTHORS_SHOWN])
    if len(shown) > AUTHORS_MAX - len(" et al."):
        shown = shown[: AUTHORS_MAX - len(" et al.")].rsplit(",", 1)[0]
    return shown + " et al."


class EntryError(ValueError):
    """Catalog-entry fields the curator must fix: one message each naming its field (``"year: expected ..."``),
    read as one line (the messages joined by "; ") on the command line, each shown by its field in a form."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages: tuple[str, ...] = messages

    @property
    def field(self) -> str | None:
        """The field the first message names."""
        return error_field(self.messages[0]) if self.messages else None

    @property
    def by_field(self) -> dict[str, str]:
        """Each named field's message (the first, if two name one field); "" holds what names no field."""
        found: dict[str, str] = {}
        for message in self.messages:
            name = error_field(message) or ""
            if name not in found:
                found[name] = message
            elif not name:
                found[name] += "; " + message
        return found

    def as_json(self) -> list[dict[str, str | None]]:
        """The messages for the page's script: ``[{"field": "year", "message": "year: ..."}, ...]``."""
        return [{"field": error_field(m), "message": m} for m in self.messages]


def error_field(message: str) -> str | None:
    """The form field an entry error names (``"year: expected ..."`` -> ``"year"``), to show it by that field."""
    name = message.split(":", 1)[0].strip()
    return name if re.fullmatch(r"[a-z_]+", name) else None


@dataclass(frozen=True)
class ScoreRange:
    """The queue's score filter as given: bounds that parsed, and why any did not (said on the page)."""

    low: float | None
    high: float | None
    problems: tuple[str, ...] = ()


def score_range(low_text: str, high_text: str) -> ScoreRange:
    """Parse the min/max score fields: any number from 0 to 1 (0.99 as well as 0.95); a bad one is
    ignored and named, and a minimum above the maximum is named (it matches nothing)."""
    problems: list[str] = []

    def bound(text: str, name: str) -> float | None:
        text = text.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0.0 <= value <= 1.0:  # NaN fails this too
            problems.append(f"{name} score {text[:20]!r} is not a number from 0 to 1, so it was ignored")
            return None
        return value

    low, high = bound(low_text, "minimum"), bound(high_text, "maximum")
    if low is not None and high is not None and low > high:
        problems.append(f"the minimum score {low:g} is above the maximum {high:g}, so nothing can match")
    return ScoreRange(low, high, tuple(problems))


def entry_from_form(form: Any, work_id: str | None) -> dict[str, Any]:
    """Read the accept form into a catalog entry (each field's form: lengths, a URL, a year); raises
    ``EntryError`` naming every bad field.  The entry's rules are ``entry_rules.check_entry``'s."""
    entry, problems = read_entry_form(form, work_id)
    if problems:
        raise EntryError(*problems)
    return entry


def read_entry_form(form: Any, work_id: str | None) -> tuple[dict[str, Any], list[str]]:
    """The accept form read into a catalog entry, and one line per field whose form is wrong (too long, a
    missing title, a URL that is not http(s), a year that is not one), naming it.  A wrong field is left
    empty in the entry, so the entry's rules can still be checked on the rest and every field named at once."""
    problems: list[str] = []

    def field(name: str, limit: int) -> str:
        value = clean_text(form.get(name, ""))
        if len(value) > limit:
            problems.append(f"{name}: at most {limit} characters")
            return ""
        return value

    def checked(name: str, value: str, fine: bool, why: str) -> str:
        if value and not fine:
            problems.append(f"{name}: {why}")
            return ""
        return value

    title = field("title", ENTRY_TITLE_MAX)
    if not title and not any(p.startswith("title:") for p in problems):
        problems.append("title: required")
    category = field("category", 64) or None  # checked with the rest of the entry (catalog/entry_rules.py)
    url = field("url", 2000)
    url = checked("url", url, bool(safe_url(url)), "expected an http(s) URL")
    year_text = field("year", 4)
    year_text = checked("year", year_text, year_text.isdigit() and 1900 <= int(year_text) <= 2100,
                        "expected a year such as 2025")
    # Kept as written ("2023-04-21", "April 2023", "2023"), as imports keep it.
    date_published = field("date_published", 40) or None
    flags = [f for f in FLAGS if form.get(f) in ("on", "1", "true", "yes")]
    published = {column: field(name, 500) for name, column in PUBLISHED_FIELDS.items() if form.get(name)}
    entry = {
        **({"extra": published} if published else {}),
        "work_id": work_id,
        "title": title,
        "description": field("description", 2000),
        "category": category,
        "url": url or None,
        "year": int(year_text) if year_text else None,
        "date_published": date_published,
        "authors": field("authors", AUTHORS_MAX) or None,
        "affiliations": field("affiliations", 2000) or None,
        "submitter": field("submitter", 200) or None,
        "flags": flags,
    }
    return entry, problems
