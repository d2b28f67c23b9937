"""Models generated from the LinkML schema in ``schema/`` (do not edit the generated modules by hand).

Import the models from ``ingest.models.ingestion_config`` (the deposition config, root ``DepositionConfig``) and
``ingest.models.metadata_files`` (one class per metadata JSON file of the output tree). Regenerate everything with
``python -m ingest.models.generate``.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

SchemaName = Literal["ingestion_config", "metadata_files"]


def json_schema_text(name: SchemaName) -> str:
    """The committed JSON Schema of ``schema/<name>.yaml``, as text (package data, no linkml needed)."""
    return resources.files("ingest.models").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
