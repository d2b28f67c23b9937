"""The output-tree checks of ``ingest check``: every file of a finished tree against the portal."""
