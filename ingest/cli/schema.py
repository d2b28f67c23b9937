"""``ingest schema``: print the JSON Schema of the deposition config (or of the metadata files)."""

from __future__ import annotations

import click

from ingest.models import SchemaName, json_schema_text


@click.command("schema")
@click.option(
    "--json-schema",
    "name",
    flag_value="ingestion_config",
    default=True,
    help="The deposition-config JSON Schema (default), e.g. for editor completion of config YAML.",
)
@click.option("--metadata", "name", flag_value="metadata_files", help="The JSON Schema of the metadata files.")
def schema(name: SchemaName) -> None:
    """Print a JSON Schema generated from the LinkML schema."""
    click.echo(json_schema_text(name), nl=False)
