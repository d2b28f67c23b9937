"""The `ingest` command line: thin click commands that call one library function each.

Each subcommand lives in its own module under ``ingest/cli/``; this module only assembles the group and
turns :class:`ingest.errors.IngestError` into one clear line on stderr and a non-zero exit, Ctrl-C into one
line and status 130, and any other exception into one line pointing at a log of its traceback
(:mod:`ingest.cli.failures`).

Importing this package must stay cheap (``ingest --help`` and shell completion import it): command modules
import numpy, pandas, dask, zarr, s3fs and the like inside the command function, never at module level.
tests/test_cli_startup.py enforces it.
"""

from __future__ import annotations

import logging
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
from ingest.cli.failures import exit_codes_help, interrupts_noted, report_interrupt, report_unexpected
from ingest.cli.help_text import add_epilogs
from ingest.cli.info import info
from ingest.cli.json_failures import report_usage_error
from ingest.cli.migrate import migrate
from ingest.cli.run import run
from ingest.cli.schema import schema
from ingest.cli.validate import validate
from ingest.errors import IngestError
from ingest.pipeline.interrupts import interrupt_noted

_VERBOSE = "ingest.verbose"
_ARGUMENTS = "ingest.arguments"


class _WarningsOnStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """The root logger's handler: what Python's last-resort handler prints (warnings and errors of loggers that
    have no handler of their own) on the *current* stderr. Having a handler makes a library's
    ``logging.basicConfig()`` (neuroglancer calls it on import) a no-op, which would otherwise print every INFO
    record of the ingestion on stderr, ``--quiet`` or not."""

    def __init__(self) -> None:
        super().__init__()
        self.setLevel(logging.WARNING)

    def filter(self, record: logging.LogRecord) -> bool:
        """Only records no other handler took (the ingestion's log decides what of it reaches stderr)."""
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not logging.getLogger():
            if logger.handlers:
                return False
            logger = logger.parent if logger.propagate else None
        return bool(super().filter(record))

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _IngestGroup(click.Group):
    """A click group that reports user errors, Ctrl-C and defects as one line instead of a traceback, and a command
    line that does not parse also as the failure document of ``--format json|github|junit`` on stdout."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGUMENTS] = tuple(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if not ctx.resilient_parsing:
                report_usage_error(self, args, error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        with interrupts_noted():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                report_interrupt()
            except click.UsageError as error:  # also a subcommand's line that did not parse
                report_usage_error(self, ctx.meta.get(_ARGUMENTS, ()), error)
                raise
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as error:
                if interrupt_noted():  # a library turned the KeyboardInterrupt into an error of its own
                    report_interrupt()
                if isinstance(error, IngestError):
                    click.echo(f"error: {error.message}", err=True)
                    sys.exit(error.exit_code)
                report_unexpected(error, verbose=bool(ctx.meta.get(_VERBOSE)))


@click.group(cls=_IngestGroup, epilog=exit_codes_help())
@click.version_option(__version__, prog_name="ingest")
@click.option(
    "--verbose",
    is_flag=True,
    envvar="INGEST_VERBOSE",
    help="Log details (such as storage retries) on stderr; on an internal error, print the traceback instead of "
    "writing it to a log file.",
)
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Ingest and validate cryo-ET depositions for the CZ CryoET Data Portal."""
    ctx.meta[_VERBOSE] = verbose
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    elif not logging.getLogger().handlers:
        logging.getLogger().addHandler(_WarningsOnStderr())


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
