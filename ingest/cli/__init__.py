"""The `ingest` command line: thin click commands that call one library function each.

Each subcommand lives in its own module under ``ingest/cli/``; this module only assembles the group and
turns :class:`ingest.errors.IngestError` into one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ingest import __version__
from ingest.cli.check import check
from ingest.cli.convert_picks import convert_picks
from ingest.cli.convert_volume import convert_volume_command
from ingest.cli.deposition import deposition
from ingest.cli.example import example
from ingest.cli.export_picks import export_picks
from ingest.cli.help_text import add_epilogs
from ingest.cli.info import info
from ingest.cli.migrate import migrate
from ingest.cli.run import run
from ingest.cli.schema import schema
from ingest.cli.validate import validate
from ingest.errors import IngestError


class _IngestGroup(click.Group):
    """A click group that reports user errors as one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IngestError as error:
            click.echo(f"error: {error.message}", err=True)
            sys.exit(error.exit_code)


@click.group(cls=_IngestGroup)
@click.version_option(__version__, prog_name="ingest")
def main() -> None:
    """Ingest and validate cryo-ET depositions for the CZ CryoET Data Portal."""


@main.group()
def convert() -> None:
    """Convert one source file (volume or picks) into its portal form."""


@main.group()
def export() -> None:
    """Export portal files back into tool formats."""


for command in (validate, migrate, schema, example, deposition, run, check, info):
    main.add_command(command)
convert.add_command(convert_volume_command)
convert.add_command(convert_picks)
export.add_command(export_picks)
add_epilogs(main)
