"""The catalog as data: its columns and formats (seed file, spreadsheet, Markdown, JSON...), planning
an import, and loading entries into the store."""
