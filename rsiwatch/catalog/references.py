"""The catalog for reference managers: BibTeX, RIS and CSL-JSON.

Pure functions over catalog entries (the rows ``store.catalog.entries()`` gives).  Each entry gets one
citation key, stable across exports and releases: ``rsiwatch`` + the entry's ID, then the arXiv id
when the work is an arXiv paper (``rsiwatch23:2401.01234``), so a key never changes while the entry's
address does not.  RIS goes through rispy (its tag table is the format's); BibTeX is written here, since
bibtexparser 2 writes field values as given and the escaping is the part that matters; CSL-JSON is
plain JSON in the schema's field names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rispy

from crawler.ids import arxiv_id

# "et al." (with or without the stop), "and others": the list was cut, which BibTeX says as "and others".
_ET_AL = re.compile(r"(?:,\s*|\s+)(?:et\.?\s*al\.?|and others)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
# The characters BibTeX and LaTeX treat as markup, and what stands for each in a field.  Braces are
# spelled out: BibTeX counts an escaped brace too, so a lone "\{" would leave the field unbalanced.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _BIBTEX_ESCAPES))


@dataclass(frozen=True)
class Authors:
    """A byline split into names, and whether the byline was cut short ("et al.")."""

    names: tuple[str, ...]
    truncated: bool


def split_authors(byline: str | None) -> Authors:
    """Names from a byline as curators and feeds write it: "A. Smith, B. Jones and C. Wu", "Smith; Jones",
    "Silver et al.".  A semicolon list keeps "Last, First" names whole."""
    text = " ".join((byline or "").split())
    truncated = bool(_ET_AL.search(text))
    text = _ET_AL.sub("", text).strip(" ,;")
    if not text:
        return Authors((), truncated)
    parts = text.split(";") if ";" in text else [p for chunk in text.split(",") for p in _AND.split(chunk)]
    return Authors(tuple(p.strip() for p in parts if p.strip()), truncated)


def family_given(name: str) -> dict[str, str]:
    """A CSL name: "Last, First" and "First Last" give family and given; one word is a literal name (an
    organisation, or a name written in a script without spaces)."""
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
        return {"family": family, "given": given} if given else {"literal": family}
    words = name.split()
    if len(words) < 2:
        return {"literal": name}
    return {"family": words[-1], "given": " ".join(words[:-1])}


def arxiv_of(entry: Mapping[str, Any]) -> str | None:
    work = str(entry.get("work_id") or "")
    if work.startswith("arxiv:"):
        return work.removeprefix("arxiv:")
    return arxiv_id(str(entry["url"])) if entry.get("url") else None


def doi_of(entry: Mapping[str, Any]) -> str | None:
    work = str(entry.get("work_id") or "")
    return work.removeprefix("doi:") if work.startswith("doi:") else None


def citation_key(entry: Mapping[str, Any]) -> str:
    """``rsiwatch<ID>``, then ``:<arXiv id>`` for arXiv papers (old-style ids with ``_`` for ``/``)."""
    key = f"rsiwatch{int(entry['id'])}"
    arxiv = arxiv_of(entry)
    return f"{key}:{arxiv.replace('/', '_')}" if arxiv else key


def date_parts(entry: Mapping[str, Any]) -> list[int]:
    """Year, and month and day where the written date gives them as ISO (other forms give the year)."""
    match = _ISO_DAY.match(str(entry.get("date_published") or "").strip())
    if match:
        parts = [int(g) for g in match.groups() if g]
        if 1 <= parts[1] <= 12:
            return parts
    return [int(entry["year"])] if entry.get("year") else []


def _bibtex_value(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m.group(0)], " ".join(text.split()))


def bibtex_entry(entry: Mapping[str, Any]) -> str:
    authors = split_authors(entry.get("authors"))
    names = [*authors.names, *(["others"] if authors.truncated else [])]
    parts = date_parts(entry)
    arxiv, doi = arxiv_of(entry), doi_of(entry)
    fields: list[tuple[str, str]] = [
        # Double braces keep the title's capitals as written (BibTeX styles lower-case a title otherwise).
        ("title", "{" + _bibtex_value(str(entry.get("title") or "")) + "}"),
        ("author", " and ".join(_bibtex_value(n) for n in names)),
        ("year", str(parts[0]) if parts else ""),
        ("month", str(parts[1]) if len(parts) > 1 else ""),
        ("eprint", arxiv or ""),
        ("archiveprefix", "arXiv" if arxiv else ""),
        ("doi", doi or ""),
        ("url", str(entry.get("url") or "")),
        ("keywords", str(entry.get("category") or "")),
        ("annote", _bibtex_value(str(entry.get("description") or ""))),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation_key(entry)},\n{body}\n}}\n"


def to_bibtex(entries: Iterable[Mapping[str, Any]]) -> str:
    """One ``@misc`` per entry (preprints, posts and papers alike), in the order given."""
    return "\n".join(bibtex_entry(e) for e in entries)


def ris_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    authors = split_authors(entry.get("authors"))
    parts = date_parts(entry)
    arxiv, doi = arxiv_of(entry), doi_of(entry)
    record: dict[str, Any] = {
        # RIS has no "preprint"; GEN (generic) is what Zotero and EndNote write for arXiv papers.
        "type_of_reference": "GEN",
        "id": citation_key(entry),
        "title": " ".join(str(entry.get("title") or "").split()),
        "authors": list(authors.names),
        "year": str(parts[0]) if parts else None,
        "date": "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) if len(parts) > 1 else None,
        "urls": [str(entry["url"])] if entry.get("url") else None,
        "doi": doi,
        "publisher": "arXiv" if arxiv else None,
        "number": arxiv,
        "keywords": [str(entry["category"])] if entry.get("category") else None,
        "notes": [" ".join(str(entry["description"]).split())] if entry.get("description") else None,
    }
    return {k: v for k, v in record.items() if v}


def to_ris(entries: Iterable[Mapping[str, Any]]) -> str:
    records = [ris_record(e) for e in entries]
    return rispy.dumps(records) if records else ""


def csl_item(entry: Mapping[str, Any]) -> dict[str, Any]:
    authors = split_authors(entry.get("authors"))
    parts = date_parts(entry)
    arxiv, doi = arxiv_of(entry), doi_of(entry)
    item: dict[str, Any] = {
        "id": citation_key(entry),
        # CSL 1.0.2 types a preprint as "article" (with the archive naming the server).
        "type": "article",
        "title": " ".join(str(entry.get("title") or "").split()),
        "author": [family_given(n) for n in authors.names],
        "issued": {"date-parts": [parts]} if parts else None,
        "URL": entry.get("url") or None,
        "DOI": doi,
        "archive": "arXiv" if arxiv else None,
        "number": arxiv,
        "keyword": entry.get("category") or None,
        "note": " ".join(str(entry["description"]).split()) if entry.get("description") else None,
    }
    return {k: v for k, v in item.items() if v}


def to_csljson(entries: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps([csl_item(e) for e in entries], indent=2, ensure_ascii=False) + "\n"
