"""``ingest schema`` prints the committed JSON Schemas."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ingest.cli import main
from ingest.models import json_schema_text


def test_json_schema_option_prints_the_config_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "--json-schema"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert "standardization_config" in document["properties"]
    assert document["additionalProperties"] is False
    assert "FloatFormattedString" not in document["$defs"]  # types are inlined as patterns, not classes
    assert result.output == json_schema_text("ingestion_config")


def test_schema_without_option_prints_the_config_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.output == json_schema_text("ingestion_config")


def test_metadata_option_prints_the_metadata_files_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "--metadata"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert {"TomogramMetadataFile", "AnnotationMetadataFile", "RunMetadataFile"} <= set(document["$defs"])


def test_templated_float_is_in_the_json_schema_as_a_pattern() -> None:
    tilt_range = json.loads(json_schema_text("ingestion_config"))["$defs"]["TiltRange"]
    patterns = [member.get("pattern") for member in tilt_range["properties"]["min"]["anyOf"]]
    assert r"^(float|int) *\{[A-Za-z_][A-Za-z0-9_-]*\}$" in patterns
