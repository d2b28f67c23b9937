"""Schema validation of a config through the generated models (``DepositionConfig``)."""

from __future__ import annotations

from ingest.models.ingestion_config import DepositionConfig
from ingest.positioned_yaml import YamlDocument
from ingest.report import Finding
from ingest.validators.schema_errors import validate_against


def schema_findings(document: YamlDocument) -> tuple[DepositionConfig | None, list[Finding]]:
    """The typed config (None when the schema rejects it) and one finding per schema problem."""
    return validate_against(document, DepositionConfig)
