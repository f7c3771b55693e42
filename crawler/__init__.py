"""Sources and fetching: polite HTTP, one parser per source kind, canonical ids."""
