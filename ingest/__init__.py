"""cryoet-ingest: ingestion and validation of cryo-ET depositions for the CZ CryoET Data Portal."""

__version__ = "0.1.0"
