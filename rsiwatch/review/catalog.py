"""The catalog in and out: the seed file, the public list's spreadsheet columns, Markdown and JSON.

Reading and writing are pure functions over rows; the store keeps the rows.  The CSV speaks the
public list's columns (ID, Description, Source, Date Published, Authors, Author Affiliations,
Submitter) plus Category, Title and Flags, so a curator's spreadsheet imports and an export
re-imports to the same catalog.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crawler.ids import canonical_id

PUBLIC_COLUMNS = ["ID", "Description", "Source", "Date Published", "Authors", "Author Affiliations", "Submitter"]
EXPORT_COLUMNS = [*PUBLIC_COLUMNS, "Category", "Title", "Flags"]
SEED_COLUMNS = ["year", "title", "category", "url", "arxiv_id", "description"]
ENTRY_FIELDS = (
    "id", "work_id", "title", "description", "category", "url", "year", "date_published", "authors",
    "affiliations", "submitter", "flags",
)


class CatalogFormatError(Exception):
    """A catalog file we cannot read, phrased as one line naming the file and the problem."""


def work_id_for(url: str | None, arxiv_id: str | None = None) -> str | None:
    if arxiv_id:
        return canonical_id(arxiv=arxiv_id)
    if url:
        return canonical_id(url)
    return None


def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text[:4]) if text[:4].isdigit() else None


def _title_from(description: str) -> str:
    """A public-list row has no title: its description's first sentence stands in."""
    first = description.strip().split(". ")[0].strip().rstrip(".")
    return first[:200] or "(untitled)"


def parse_catalog(text: str, name: str = "catalog") -> list[dict[str, Any]]:
    """Rows of a catalog file in any format we write or accept: seed CSV, public-list CSV, our JSON."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CatalogFormatError(f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CatalogFormatError(f"{name}: expected a JSON array of catalog entries")
        return [_normalise({k: r.get(k) for k in ENTRY_FIELDS}) for r in rows]
    reader = csv.DictReader(io.StringIO(stripped))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if set(SEED_COLUMNS) <= set(header):
        return [_from_seed(row) for row in reader]
    if {"Description", "Source"} <= set(header):
        return [_from_public(row) for row in reader]
    raise CatalogFormatError(
        f"{name}: unrecognised columns {header[:8]}; expected the public list's ({', '.join(PUBLIC_COLUMNS)})"
        f" or the seed file's ({', '.join(SEED_COLUMNS)})"
    )


def read_catalog(path: Path) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogFormatError(f"{path}: cannot read: {exc}") from None
    return parse_catalog(text, str(path))


def _from_seed(row: dict[str, str]) -> dict[str, Any]:
    url = (row.get("url") or "").strip() or None
    arxiv_id = (row.get("arxiv_id") or "").strip() or None
    return _normalise(
        {
            "work_id": work_id_for(url, arxiv_id),
            "title": row.get("title", "").strip(),
            "description": row.get("description", "").strip(),
            "category": (row.get("category") or "").strip() or None,
            "url": url,
            "year": _year(row.get("year")),
        }
    )


def _from_public(row: dict[str, str]) -> dict[str, Any]:
    row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
    url = row.get("Source") or None
    description = row.get("Description", "")
    flags = [f.strip() for f in row.get("Flags", "").split(";") if f.strip()]
    return _normalise(
        {
            "id": int(row["ID"]) if row.get("ID", "").isdigit() else None,
            "work_id": work_id_for(url),
            "title": row.get("Title") or _title_from(description),
            "description": description,
            "category": row.get("Category") or None,
            "url": url,
            "year": _year(row.get("Date Published")),
            "date_published": row.get("Date Published") or None,
            "authors": row.get("Authors") or None,
            "affiliations": row.get("Author Affiliations") or None,
            "submitter": row.get("Submitter") or None,
            "flags": flags,
        }
    )


def _normalise(entry: dict[str, Any]) -> dict[str, Any]:
    out = {key: entry.get(key) for key in ENTRY_FIELDS}
    out["flags"] = list(out["flags"] or [])
    out["title"] = (out["title"] or "").strip() or _title_from(out["description"] or "")
    out["description"] = out["description"] or ""
    if out["work_id"] is None and out["url"]:
        out["work_id"] = work_id_for(out["url"])
    return out


def export_row(e: dict[str, Any]) -> list[Any]:
    """An entry as a row under EXPORT_COLUMNS (the public list's columns first)."""
    return [
        e["id"], e["description"], e["url"] or "", e["date_published"] or (e["year"] or ""),
        e["authors"] or "", e["affiliations"] or "", e["submitter"] or "", e["category"] or "", e["title"],
        ";".join(e["flags"]),
    ]


def to_csv(entries: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for e in entries:
        writer.writerow(export_row(e))
    return buffer.getvalue()


def to_json(entries: Iterable[dict[str, Any]]) -> str:
    return json.dumps([{k: e.get(k) for k in ENTRY_FIELDS} for e in entries], indent=2, ensure_ascii=False) + "\n"


def _md_cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(entries: Iterable[dict[str, Any]]) -> str:
    lines = ["| ID | Title | Category | Year | Description |", "| --- | --- | --- | --- | --- |"]
    for e in entries:
        title = f"[{_md_cell(e['title'])}]({e['url']})" if e.get("url", "") and str(e["url"]).startswith("http") else _md_cell(e["title"])
        lines.append(f"| {e['id']} | {title} | {_md_cell(e['category'])} | {e['year'] or ''} | {_md_cell(e['description'])} |")
    return "\n".join(lines) + "\n"


FORMATS = {"csv": to_csv, "json": to_json, "md": to_markdown}
