"""``ingest migrate CONFIG``: write an older config upgraded to the current format version."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.config_versions import CURRENT_CONFIG_VERSION


@click.command("migrate")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the upgraded config here instead of rewriting CONFIG.",
)
def migrate(config: Path, output: Path | None) -> None:
    """Upgrade CONFIG to the current config format version, keeping comments and key order."""
    from ingest.config_migration import migrate_config_file

    migration = migrate_config_file(config, output)
    if migration.upgrade is None:
        where = f"; copied to {migration.written}" if migration.written else ""
        click.echo(f"{config}: already at the current version ({CURRENT_CONFIG_VERSION}){where}")
        return
    click.echo(f"{migration.written}: {migration.upgrade.describe()}")
