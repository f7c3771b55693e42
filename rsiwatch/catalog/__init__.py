"""The catalog as data: its columns and formats (seed file, spreadsheet, Markdown, JSON...), planning
an import, and loading entries into the store."""

from pathlib import Path

SEED_CATALOG = Path(__file__).resolve().parent.parent / "seed" / "catalog_seed.csv"  # the packaged starting catalog
