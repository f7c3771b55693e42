"""The published side: the static site built from the catalog, its chart, publishing it, and the
public pages with the submission form.  Never imports the review app."""
