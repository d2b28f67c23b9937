"""``ingest run CONFIG RUN_NAME``: re-ingest one run (``ingest deposition CONFIG --run RUN_NAME``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from ingest.cli.deposition import deposition


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("run_name")
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(context: click.Context, config: Path, run_name: str, options: tuple[str, ...]) -> Any:
    """Re-ingest the run RUN_NAME of CONFIG; OPTIONS are those of ``ingest deposition`` (e.g. --output)."""
    arguments = [str(config), "--run", re.escape(run_name), *options]
    return deposition.main(arguments, prog_name=f"{context.find_root().info_name} run", standalone_mode=False)
