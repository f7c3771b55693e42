"""Publishing: the catalog in the store, built into the static site (``site.build_site``, pure) and
written into its folder (``files.write_tree``).  ``rsiwatch publish`` and ``serve --public`` call it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rsiwatch.files import TreeWrite, write_tree
from rsiwatch.site.build import SiteOptions, build_site
from rsiwatch.store import CatalogEntry, Store
from rsiwatch.tuning.trend import ShareEstimate
from rsiwatch.tuning.trend_report import quarterly_shares


@dataclass(frozen=True)
class Published:
    entries: list[CatalogEntry]
    files: dict[str, bytes]
    written: TreeWrite
    shares: list[ShareEstimate]


def publish_site(store: Store, out_dir: Path, options: SiteOptions) -> Published:
    """Build the site from the store's catalog (with the trend) and write it into ``out_dir``."""
    entries = store.catalog.entries()
    shares = quarterly_shares(store)
    files = build_site(entries, replace(options, shares=shares))
    return Published(entries, files, write_tree(out_dir, files, owned_dirs=("entries",)), list(shares))
