"""``ingest check OUTPUT``: verify a finished output tree; exit 0 clean, 1 with errors, 2 when unreadable."""

from __future__ import annotations

import re
import sys

import click
from rich.console import Console

from ingest.errors import UsageError
from ingest.report import render_github, render_json
from ingest.storage import parse_storage_options, typed_storage_options
from ingest.validators.check_render import render_grouped_text, render_junit
from ingest.validators.check_zarr import ChunkCoverage
from ingest.validators.outputs import check_tree
from ingest.validators.tree_access import open_tree


@click.command("check")
@click.argument("output")
@click.option("--dataset", "datasets", multiple=True, metavar="ID", help="Check only this dataset (repeatable).")
@click.option("--run", "runs", multiple=True, metavar="REGEX", help="Check only runs whose name matches (repeatable).")
@click.option("--deep", is_flag=True, help="Decode every chunk and compare every voxel with the MRC.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "github", "junit"]), default="text",
    show_default=True, help="How to print the findings.",
)  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes checking runs.")
@click.option("--storage-option", "storage_options", multiple=True, metavar="KEY=VALUE", help="s3 settings.")
def check(
    output: str,
    datasets: tuple[str, ...],
    runs: tuple[str, ...],
    deep: bool,
    output_format: str,
    workers: int,
    storage_options: tuple[str, ...],
) -> None:
    """Verify every file of the output tree OUTPUT (a folder or an s3:// URL)."""
    for pattern in runs:
        try:
            re.compile(pattern)
        except re.error as error:
            raise UsageError("invalid --run regex", where=pattern, found=str(error)) from error
    tree = open_tree(output, typed_storage_options(parse_storage_options(storage_options)))
    chunks = ChunkCoverage.EVERY if deep else ChunkCoverage.SAMPLE
    report = check_tree(tree, datasets=datasets, runs=runs, chunks=chunks, workers=workers)
    if output_format == "text":
        render_grouped_text(report, Console(soft_wrap=True))
    elif output_format == "junit":
        click.echo(render_junit(report))
    else:
        click.echo(render_json(report) if output_format == "json" else render_github(report))
    sys.exit(0 if report.ok else 1)
