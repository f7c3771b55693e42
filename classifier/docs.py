"""Plain documents and training sets, and the two file formats the classifier reads.

Everything downstream works on :class:`Doc`; the loaders are the only place that know about JSON Lines
item files and the seed-catalog CSV, so the model never depends on where text came from.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Doc:
    """One work to score: a paper, a blog post or a catalog entry."""

    id: str
    title: str
    summary: str
    category: str | None = None  # known category (catalog entries)
    categories: tuple[str, ...] = ()  # arXiv subject classes ("cs.LG", "cs.AR", ...), primary first; () = unknown


@dataclass
class TrainingSet:
    """What one training run sees.

    ``pool`` is the unlabelled stream: nearly all irrelevant, so it serves as weak negatives (PU
    learning) and as the reference distribution the scores are calibrated against.
    """

    positives: list[Doc] = field(default_factory=list)  # catalog entries + accepted works
    negatives: list[Doc] = field(default_factory=list)  # rejected / out-of-scope works, label-0 rows
    pool: list[Doc] = field(default_factory=list)  # unlabelled stream
    catalog: list[Doc] = field(default_factory=list)  # catalog entries (with category)


class DataFileError(ValueError):
    """A data file the user can fix: the message names the file, the line and the problem."""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _categories(value: object) -> tuple[str, ...]:
    """arXiv subject classes from a list (or a space-separated string); anything else is "unknown"."""
    if isinstance(value, str):
        value = value.split()
    if isinstance(value, (list, tuple)):
        return tuple(c for c in value if isinstance(c, str) and c)
    return ()


def load_jsonl_docs(path: str | Path) -> list[tuple[Doc, int | None]]:
    """Read an item file: one JSON object a line with ``id``, ``title``, ``summary`` and optional ``label``
    (and optional ``categories``, a list of arXiv subject classes).

    ``label`` is 1 (relevant), 0 (not relevant) or absent/null (unlabelled). Blank lines are skipped; a
    malformed line raises :class:`DataFileError` naming the file and line, because silently dropping
    rows would change what a model was trained on.
    """
    path = Path(path)
    out: list[tuple[Doc, int | None]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not obj.get("id"):
                raise DataFileError(
                    f"{path}:{lineno}: field 'id' is missing; expected an object with id, title, summary"
                )
            label = obj.get("label")
            if label is not None:
                if isinstance(label, bool) or label not in (0, 1):
                    raise DataFileError(f"{path}:{lineno}: field 'label' is {label!r}; expected 1, 0 or null")
                label = int(label)
            doc = Doc(
                id=str(obj["id"]),
                title=_text(obj.get("title")),
                summary=_text(obj.get("summary")),
                category=obj.get("category") if isinstance(obj.get("category"), str) else None,
                categories=_categories(obj.get("categories")),
            )
            out.append((doc, label))
    return out


def catalog_id(arxiv_id: str, url: str) -> str:
    """Canonical id of a catalog row: ``arxiv:<id>`` when it has an arXiv id, else ``url:<url>``."""
    arxiv_id = (arxiv_id or "").strip()
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    return f"url:{(url or '').strip()}"


def load_catalog_csv(path: str | Path) -> list[Doc]:
    """Read the seed-catalog CSV (year,title,category,url,arxiv_id,description) as positive docs.

    The description becomes the summary: it is written to say what the AI does, which is exactly what
    the classifier needs to learn from.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"title", "category", "url", "arxiv_id", "description"} - set(reader.fieldnames or [])
        if missing:
            raise DataFileError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [
            Doc(
                id=catalog_id(row.get("arxiv_id") or "", row.get("url") or ""),
                title=(row.get("title") or "").strip(),
                summary=(row.get("description") or "").strip(),
                category=(row.get("category") or "").strip() or None,
            )
            for row in reader
        ]
