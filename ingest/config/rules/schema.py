"""Schema validation of a config through the generated models (``DepositionConfig``)."""

from __future__ import annotations

from ingest.config.positioned_yaml import YamlDocument
from ingest.config.rules.schema_errors import validate_against
from ingest.domain.report import Finding
from ingest.models.ingestion_config import DepositionConfig


def schema_findings(document: YamlDocument) -> tuple[DepositionConfig | None, list[Finding]]:
    """The typed config (None when the schema rejects it) and one finding per schema problem."""
    return validate_against(document, DepositionConfig)
