"""Publishing: the catalog in the store, built into the static site (``site.build_site``, pure) and
written into its folder (``files.write_tree``).  ``rsiwatch publish`` and ``serve --public`` call it.

A publish never wipes a site by accident: the site carries the identity of the database it was written
from (``SITE_MARKER``), and a folder holding a site of another database, or of more entries than are about
to be written, is refused unless forced, naming what would be removed.  An entry this database withdrew
(a reject, an out-of-scope or an undo after an accept: recorded, kept with ``withdrawn_at``) leaves the
site as routine, so publishing after a withdrawal needs no ``--force``; an entry gone without a record
(another database, a deleted row) is what the refusal guards against.  What a publish removes it names.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from rsiwatch.files import TreeWrite, write_tree
from rsiwatch.site.build import SiteOptions, build_site
from rsiwatch.store import CatalogEntry, Store
from rsiwatch.tuning.trend import ShareEstimate
from rsiwatch.tuning.trend_report import quarterly_shares
from rsiwatch.words import plural

SITE_MARKER = "rsiwatch-site.json"  # which database wrote the site, and its entries' IDs
DATABASE_ID_SETTING = "database_id"  # a database's identity, made the first time it publishes


class SiteRefused(Exception):
    """The folder holds a site this publish would shrink or that another database wrote (one line)."""


@dataclass(frozen=True)
class Published:
    entries: list[CatalogEntry]
    files: dict[str, bytes]
    written: TreeWrite
    shares: list[ShareEstimate]
    removed_ids: list[int]
    withdrawn_ids: list[int]  # of removed_ids, those this database withdrew (recorded)


@dataclass(frozen=True)
class SiteThere:
    """What a folder holds already: the database that wrote it (None: unknown) and its entries' IDs."""

    database: str | None
    entry_ids: list[int]


def database_id(store: Store) -> str:
    found = store.models.setting(DATABASE_ID_SETTING)
    if not found:
        found = uuid.uuid4().hex
        store.models.set_setting(DATABASE_ID_SETTING, found, "first publish: the identity a site records")
    return str(found)


def site_there(out_dir: Path) -> SiteThere | None:
    """The site in ``out_dir`` (its marker, else its catalog.json or entry pages), None for no site."""
    marker = out_dir / SITE_MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        return SiteThere(str(data.get("database") or "") or None, sorted(int(i) for i in data.get("entries", [])))
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    try:
        rows = json.loads((out_dir / "catalog.json").read_text(encoding="utf-8"))
        return SiteThere(None, sorted(int(r["id"]) for r in rows))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    pages = sorted(int(p.stem) for p in (out_dir / "entries").glob("*.html") if p.stem.isdigit())
    return SiteThere(None, pages) if pages else None


def _named(ids: list[int], limit: int = 20) -> str:
    return ", ".join(map(str, ids[:limit])) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def refusal(
    there: SiteThere | None, database: str, new_ids: list[int], withdrawn_ids: frozenset[int] = frozenset()
) -> str | None:
    """Why writing ``new_ids`` over ``there`` needs ``--force`` (None: it does not).  ``withdrawn_ids``
    are entries this database withdrew: their leaving the site is recorded, so they do not count as a
    shrink when the site is this database's own."""
    if there is None or not there.entry_ids:
        return None
    removed = sorted(set(there.entry_ids) - set(new_ids))
    reasons = []
    own = there.database is None or there.database == database
    if not own:
        reasons.append("was written from another database")
    still_listed = [i for i in there.entry_ids if not (own and i in withdrawn_ids)]
    if len(still_listed) > len(new_ids):
        reasons.append(f"has {plural(len(there.entry_ids), 'entry')}, more than the {len(new_ids)} about to be written")
    if not reasons:
        return None
    what = f"would remove {plural(len(removed), 'entry')} ({_named(removed)})" if removed else "would remove no entry"
    return f"the site there {' and '.join(reasons)}; publishing {what}; give --force to publish anyway"


def publish_site(store: Store, out_dir: Path, options: SiteOptions, *, force: bool = False) -> Published:
    """Build the site from the store's catalog (with the trend) and write it into ``out_dir``; raises
    ``SiteRefused`` (before writing anything) where ``refusal`` says so, unless ``force``."""
    entries = store.catalog.entries()
    new_ids = sorted(int(e["id"]) for e in entries)
    database = database_id(store)
    there = site_there(Path(out_dir)) if Path(out_dir).is_dir() else None
    withdrawn = store.catalog.withdrawn_ids()
    why = refusal(there, database, new_ids, withdrawn)
    if why is not None and not force:
        raise SiteRefused(f"{out_dir}: {why}")
    shares = quarterly_shares(store)
    files = build_site(entries, replace(options, shares=shares))
    files[SITE_MARKER] = (json.dumps({"database": database, "entries": new_ids}) + "\n").encode("utf-8")
    removed = sorted(set(there.entry_ids) - set(new_ids)) if there else []
    written = write_tree(out_dir, files, owned_dirs=("entries",))
    return Published(entries, files, written, list(shares), removed, [i for i in removed if i in withdrawn])
