"""The catalog in and out: the seed file, the public list's spreadsheet columns, Markdown and JSON (and,
through references.py, BibTeX, RIS and CSL-JSON).

Reading and writing are pure functions over rows; the store keeps the rows.  The CSV speaks the
public list's columns (ID, Description, Source, Date Published, Authors, Author Affiliations,
Submitter) plus Category, Title and Flags, so a curator's spreadsheet imports and an export
re-imports to the same catalog.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crawler.ids import canonical_id
from rsiwatch.catalog.references import to_bibtex, to_csljson, to_ris

PUBLIC_COLUMNS = ["ID", "Description", "Source", "Date Published", "Authors", "Author Affiliations", "Submitter"]
EXPORT_COLUMNS = [*PUBLIC_COLUMNS, "Category", "Title", "Flags"]
SEED_COLUMNS = ["year", "title", "category", "url", "arxiv_id", "description"]
ENTRY_FIELDS = (
    "id", "work_id", "title", "description", "category", "url", "year", "date_published", "authors",
    "affiliations", "submitter", "flags", "extra",
)
# A column of the public list -> the entry field it fills (Date Published fills year too, see _date_fields).
COLUMN_FIELDS = {
    "Description": "description", "Source": "url", "Date Published": "date_published", "Authors": "authors",
    "Author Affiliations": "affiliations", "Submitter": "submitter", "Category": "category", "Title": "title",
    "Flags": "flags",
}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


class CatalogFormatError(Exception):
    """A catalog file we cannot read, phrased as one line naming the file and the problem."""


def work_id_for(url: str | None, arxiv_id: str | None = None) -> str | None:
    if arxiv_id:
        return canonical_id(arxiv=arxiv_id)
    if url:
        return canonical_id(url)
    return None


def year_of(text: str | None) -> int | None:
    """The year a date names, however it is written: "2023-04-21", "April 2023", "21/04/2023", "2023"."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def written_date(entry: Mapping[str, Any]) -> str | None:
    """The date as the public list shows it: as written, else the year alone (seed entries)."""
    return entry.get("date_published") or (str(entry["year"]) if entry.get("year") else None)


def _title_from(description: str) -> str:
    """A public-list row has no title: its description's first sentence stands in."""
    first = description.strip().split(". ")[0].strip().rstrip(".")
    return first[:200] or "(untitled)"


def parse_catalog(text: str, name: str = "catalog") -> list[dict[str, Any]]:
    """Rows of a catalog file in any format we write or accept: seed CSV, public-list CSV, our JSON.

    Each row carries ``line`` (its row number as a spreadsheet shows it) and only the fields its file
    has columns for, so an import leaves the others as they are.
    """
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CatalogFormatError(f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CatalogFormatError(f"{name}: expected a JSON array of catalog entries")
        # Who accepted each entry (our export's ``reviewed_by``) comes back as written, not as the importer.
        return [_normalise({**{k: r[k] for k in ENTRY_FIELDS if k in r}, **_reviewer(r), "line": n})
                for n, r in enumerate(rows, 1)]
    header_line = stripped.split("\n", 1)[0]
    delimiter = ";" if _outside_quotes(header_line).count(";") > _outside_quotes(header_line).count(",") else ","
    table = list(csv.reader(io.StringIO(stripped), delimiter=delimiter))
    return parse_table(table, name)


def _reviewer(row: dict[str, Any]) -> dict[str, str]:
    value = row.get("reviewed_by")
    return {"reviewed_by": value.strip()[:200]} if isinstance(value, str) and value.strip() else {}


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def parse_table(table: list[list[str]], name: str) -> list[dict[str, Any]]:
    """Rows of a sheet (CSV or xlsx), the first row naming the columns."""
    if not table:
        raise CatalogFormatError(f"{name}: empty file")
    header = [(h or "").strip() for h in table[0]]
    body = [(n, row) for n, row in enumerate(table[1:], 2) if any((c or "").strip() for c in row)]
    if set(SEED_COLUMNS) <= set(header):
        return [{**_from_seed(dict(zip(header, row, strict=False))), "line": n} for n, row in body]
    if {"Description", "Source"} <= set(header):
        unknown = [h for h in header if h and h != "ID" and h not in COLUMN_FIELDS]
        return [_from_public(dict(zip(header, row, strict=False)), header, unknown, n) for n, row in body]
    raise CatalogFormatError(
        f"{name}: unrecognised columns {header[:8]}; expected the public list's ({', '.join(PUBLIC_COLUMNS)})"
        f" or the seed file's ({', '.join(SEED_COLUMNS)})"
    )


def unknown_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The columns of a file kept in ``extra`` (named to the curator once)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row.get("extra") or {}))
    return list(seen)


def read_catalog(path: Path) -> list[dict[str, Any]]:
    """A catalog file as spreadsheets write it: .xlsx, or CSV in UTF-8 (with or without a byte-order
    mark) or Windows-1252, comma- or semicolon-separated; our JSON too."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return parse_table(read_xlsx(path), str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise CatalogFormatError(f"{path}: looks like a spreadsheet (zip); name it .xlsx, or save it as CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: Excel's "CSV" on Windows writes Windows-1252 (five bytes it leaves undefined are refused).
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CatalogFormatError(f"{path}: neither UTF-8 nor Windows-1252 text (byte {exc.start})") from None
    return parse_catalog(text, str(path))


def read_xlsx(path: Path) -> list[list[str]]:
    """The first sheet's cells as text: dates as YYYY-MM-DD (with the time when it is not midnight),
    whole numbers without a decimal point."""
    import openpyxl  # loaded only for spreadsheets

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise CatalogFormatError(f"{path}: not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
            "year": year_of(row.get("year")),
        }
    )


def _from_public(row: dict[str, str], header: list[str], unknown: list[str], line: int) -> dict[str, Any]:
    row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
    out: dict[str, Any] = {"line": line, "id": int(row["ID"]) if row.get("ID", "").isdigit() else None}
    for column, name in COLUMN_FIELDS.items():
        if column in header:
            out[name] = row.get(column) or None
    out["work_id"] = work_id_for(out.get("url"))
    if "flags" in out:
        out["flags"] = [f.strip() for f in (out["flags"] or "").split(";") if f.strip()]
    if "date_published" in out:
        out["year"] = year_of(out["date_published"])
    if "description" in out:
        out["description"] = out["description"] or ""
    if unknown:
        out["extra"] = {column: row.get(column, "") for column in unknown}
    return out


def _normalise(entry: dict[str, Any]) -> dict[str, Any]:
    """Our JSON and the seed file: every field present (the seed file has no dates but its year)."""
    out = dict(entry)
    if "flags" in out:
        out["flags"] = list(out["flags"] or [])
    if "title" in out or "description" in out:
        out["title"] = (out.get("title") or "").strip() or _title_from(out.get("description") or "")
    if "description" in out:
        out["description"] = out["description"] or ""
    if out.get("work_id") is None and out.get("url"):
        out["work_id"] = work_id_for(out["url"])
    return out


def export_row(e: Mapping[str, Any], extra: Sequence[str] = ()) -> list[Any]:
    """An entry as a row under EXPORT_COLUMNS (the public list's columns first), then its ``extra`` columns."""
    return [
        e["id"], e["description"], e["url"] or "", written_date(e) or "",
        e["authors"] or "", e["affiliations"] or "", e["submitter"] or "", e["category"] or "", e["title"],
        ";".join(e["flags"]), *((e.get("extra") or {}).get(c, "") for c in extra),
    ]


def new_entry(row: dict[str, Any]) -> dict[str, Any]:
    """A row that becomes a new entry: the fields its file lacks are empty, its title from its description."""
    entry: dict[str, Any] = dict.fromkeys(ENTRY_FIELDS)
    entry.update({k: v for k, v in row.items() if k in ENTRY_FIELDS})
    entry["description"] = entry["description"] or ""
    entry["title"] = (entry["title"] or "").strip() or _title_from(entry["description"])
    entry["flags"] = list(entry["flags"] or [])
    entry["extra"] = {k: v for k, v in (entry["extra"] or {}).items() if v not in ("", None)}
    return entry


def extra_columns(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for e in entries:
        columns.update(dict.fromkeys(e.get("extra") or {}))
    return [c for c in columns if c not in EXPORT_COLUMNS]


def to_csv(entries: Iterable[Mapping[str, Any]]) -> str:
    """The public list's columns, then Category, Title, Flags, then the columns imports kept in ``extra``."""
    entries = list(entries)
    extra = extra_columns(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*EXPORT_COLUMNS, *extra])
    for e in entries:
        writer.writerow(export_row(e, extra))
    return buffer.getvalue()


def to_json(entries: Iterable[Mapping[str, Any]], *, reviewers: bool = True) -> str:
    """Every field, and who accepted the entry (``reviewed_by``; an import keeps it as the accept's curator).
    ``reviewers=False`` leaves the curators' sign-in names out (the published site's default)."""
    fields = (*ENTRY_FIELDS, "reviewed_by") if reviewers else ENTRY_FIELDS
    return json.dumps([{k: e.get(k) for k in fields} for e in entries], indent=2, ensure_ascii=False) + "\n"


def _md_cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(entries: Iterable[Mapping[str, Any]]) -> str:
    lines = ["| ID | Title | Category | Year | Description |", "| --- | --- | --- | --- | --- |"]
    for e in entries:
        linked = e.get("url", "") and str(e["url"]).startswith("http")
        title = f"[{_md_cell(e['title'])}]({e['url']})" if linked else _md_cell(e["title"])
        lines.append(
            f"| {e['id']} | {title} | {_md_cell(e['category'])} | {e['year'] or ''} | {_md_cell(e['description'])} |"
        )
    return "\n".join(lines) + "\n"


# The export formats by name (``catalog export --format``, the Catalog tab); the reference managers'
# formats live in references.py.
FORMATS = {
    "csv": to_csv,
    "json": to_json,
    "md": to_markdown,
    "bibtex": to_bibtex,
    "ris": to_ris,
    "csljson": to_csljson,
}
# Each format's file name ending and media type (downloads and saved exports).
FORMAT_FILES = {
    "csv": ("csv", "text/csv"),
    "json": ("json", "application/json"),
    "md": ("md", "text/markdown"),
    "bibtex": ("bib", "application/x-bibtex"),
    "ris": ("ris", "application/x-research-info-systems"),
    "csljson": ("csl.json", "application/vnd.citationstyles.csl+json"),
}
