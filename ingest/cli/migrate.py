"""``ingest migrate CONFIG...``: upgrade older configs with the portal's migration steps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.vocabulary import SuggestingChoice
from ingest.config.versions import CURRENT_CONFIG_VERSION, KNOWN_CONFIG_VERSIONS
from ingest.errors import IngestError

if TYPE_CHECKING:
    from ingest.config.migration import MigratedConfig


@click.command("migrate")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE|DIR|-",
    help="Write here instead of rewriting each CONFIG: a file (one CONFIG), a folder (several), or - for stdout.",
)
@click.option(
    "--to",
    "target",
    type=SuggestingChoice(KNOWN_CONFIG_VERSIONS),
    default=CURRENT_CONFIG_VERSION,
    show_default=True,
    help="Stop at this version.",
)
def migrate(configs: tuple[Path, ...], output: str | None, target: str) -> None:
    """Upgrade each CONFIG to the current config format version, keeping comments and key order.

    Exit status: 0 when every config was upgraded or already current; 2 when a config cannot be read or declares
    an unsupported version; 1 when a migration step refuses a config.
    """
    from ingest.config.migration import migrate_config
    from ingest.storage.staging import write_atomically

    destination = None if output is None else Path(output)
    if len(configs) > 1 and destination is not None and output != "-" and not destination.is_dir():
        raise click.UsageError(f"-o {output}: with several configs, -o must be an existing folder or -")
    status = 0
    documents = []
    for config in configs:
        try:
            migrated = migrate_config(config, target)
        except IngestError as error:
            click.echo(f"error: {error.message}", err=True)
            status = max(status, error.exit_code)
            continue
        click.echo(_describe(migrated, output, target), err=output == "-")
        if output == "-":
            documents.append(migrated.text)
        elif destination is None:
            if migrated.upgrade is not None:
                write_atomically(config, migrated.text)
        else:
            write_atomically(destination / config.name if destination.is_dir() else destination, migrated.text)
    if documents:
        sys.stdout.write("---\n".join(_ending_in_newline(text) for text in documents))
    sys.exit(status)


def _describe(migrated: MigratedConfig, output: str | None, target: str) -> str:
    where = f" -> {output}" if output not in (None, "-") else ""
    if migrated.upgrade is None:
        current = "the current version" if target == CURRENT_CONFIG_VERSION else "version"
        return f"{migrated.source}{where}: already at {current} ({target}) or later, nothing to upgrade"
    return f"{migrated.source}{where}: {migrated.upgrade.describe()}"


def _ending_in_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
