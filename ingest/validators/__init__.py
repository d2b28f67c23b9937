"""Validators: deposition configs before ingestion, output trees after it."""
