"""An entry form as the review page's doors read it (the accept dialog, the accept page without JavaScript,
the Catalog tab's edit): the form read field by field (``present.text.read_entry_form``), then the entry's
rules (``catalog.entry_rules``), and one refusal naming every broken field at once, so the curator fixes
them in one go instead of meeting them one save at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rsiwatch.catalog.entry_rules import check_entry
from rsiwatch.present.text import PUBLISHED_FIELDS, EntryError, error_field, read_entry_form


def checked_form_entry(
    form: Any, work_id: str | None, stored: Mapping[str, Any] | None, *, sent_only: bool = False
) -> dict[str, Any]:
    """The entry ``form`` sends, checked as saved over ``stored``; ``sent_only`` keeps only the fields the
    form carries (an older page, a reduced form: the others keep the entry's values).  Raises ``EntryError``
    with one message per broken field: a field whose form is wrong is named for that, not again by a rule."""
    entry, problems = read_entry_form(form, work_id)
    if sent_only:
        entry = _sent(entry, form, stored)
    elif stored is not None:
        entry["extra"] = _edited_extra(entry, form, stored)
    try:
        checked = check_entry(entry, stored)
    except EntryError as exc:
        named = {error_field(p) for p in problems}
        problems += [m for m in exc.messages if error_field(m) not in named]
    if problems:
        raise EntryError(*problems)
    return checked


def _edited_extra(entry: Mapping[str, Any], form: Any, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The columns an entry keeps beyond the list's (``extra``) after an edit of its whole form (the Catalog
    tab, prefilled from the entry): the published version's columns are as the form sends them, an
    emptied field removing its column; every other column (an import's) is kept as it is.  The columns keep
    their order (an export's columns follow it: an edit must not move a spreadsheet's columns about)."""
    carried = {column for name, column in PUBLISHED_FIELDS.items() if name in form}
    sent = entry.get("extra") or {}
    kept = {k: sent.get(k, v) for k, v in (stored.get("extra") or {}).items() if k not in carried or k in sent}
    return {**kept, **sent}


def _sent(entry: dict[str, Any], form: Any, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields ``form`` carries; what the scholarly graph gave of a published version (Published in, DOI,
    Code: the entry's ``extra``) set over the columns the entry keeps there, the others kept."""
    sent = {k: v for k, v in entry.items() if k in ("work_id", "flags") or k in form}
    if entry.get("extra"):
        sent["extra"] = {**((stored or {}).get("extra") or {}), **entry["extra"]}
    return sent
