"""``ingest schema``: print the JSON Schema of the deposition config (or of the metadata files)."""

from __future__ import annotations

import click

from ingest.models import SchemaName, json_schema_text


@click.command("schema")
@click.option(
    "--json-schema",
    "config_schema",
    is_flag=True,
    help="The deposition-config JSON Schema (the default), e.g. for editor completion of config YAML.",
)
@click.option("--metadata", is_flag=True, help="The JSON Schema of the metadata files (instead of the config's).")
def schema(config_schema: bool, metadata: bool) -> None:
    """Print a JSON Schema generated from the LinkML schema: the deposition config's, or with --metadata the
    metadata files'. The two are separate documents: ask for one at a time."""
    if config_schema and metadata:
        raise click.UsageError("--json-schema and --metadata print different schemas: give one of them")
    name: SchemaName = "metadata_files" if metadata else "ingestion_config"
    click.echo(json_schema_text(name), nl=False)
