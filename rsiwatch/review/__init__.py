"""The store over candidates.db, the review page, the digest, catalog import and export."""
