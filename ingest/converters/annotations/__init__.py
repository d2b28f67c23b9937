"""Package of the ingest reorganisation."""
