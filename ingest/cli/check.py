"""``ingest check OUTPUT``: verify a finished output tree; exit 0 clean, 1 with errors, 2 when unreadable.

A tree with nothing to check (an empty folder) and filters that select nothing are errors (exit 2) that say
what the tree holds instead, so a CI job pointed at the wrong folder does not pass.
"""

from __future__ import annotations

import sys

import click

from ingest.cli.json_failures import json_failures
from ingest.cli.regex_option import check_regexes
from ingest.cli.vocabulary import dataset_option, format_option, run_option, storage_options_option, workers_option
from ingest.domain.report import Report


@click.command("check")
@click.argument("output")
@dataset_option("Check only datasets whose id fully matches (repeatable).")
@run_option("Check only runs whose name fully matches (repeatable).")
@click.option("--deep", is_flag=True, help="Decode every chunk and compare every voxel with the MRC.")
@format_option("text", "json", "github", "junit", help="How to print the findings.")
@workers_option(
    "Processes checking runs (default: chosen from the tree: this process for a few runs, else one per core)."
)
@storage_options_option()
@json_failures
def check(
    output: str,
    datasets: tuple[str, ...],
    runs: tuple[str, ...],
    deep: bool,
    output_format: str,
    workers: int | None,
    storage_options: tuple[str, ...],
) -> None:
    """Verify every file of the output tree OUTPUT (a folder or an s3:// URL).

    Exit status: 0 clean, 1 findings, 2 unreadable or unreachable tree, nothing to check, or usage error.
    """
    check_regexes("--run", runs)
    check_regexes("--dataset", datasets)
    report = _check(output, datasets, runs, deep, workers, storage_options)
    if output_format == "text":
        from rich.console import Console

        from ingest.cli.check_render import render_grouped_text

        render_grouped_text(report, Console(soft_wrap=True))
    elif output_format == "junit":
        from ingest.cli.junit import render_junit

        click.echo(render_junit(report))
    else:
        from ingest.domain.report import render_github, render_json

        click.echo(render_json(report) if output_format == "json" else render_github(report))
    sys.exit(0 if report.ok else 1)


def _check(
    output: str,
    datasets: tuple[str, ...],
    runs: tuple[str, ...],
    deep: bool,
    workers: int | None,
    storage_options: tuple[str, ...],
) -> Report:
    from rich.console import Console

    from ingest.checks.ome_zarr import ChunkCoverage
    from ingest.checks.outputs import check_tree
    from ingest.checks.selection import require_selection
    from ingest.checks.tree_access import open_tree
    from ingest.pipeline.progress_display import check_progress
    from ingest.storage.base import parse_storage_options, typed_storage_options

    tree = open_tree(output, typed_storage_options(parse_storage_options(storage_options)))
    keys = tree.list_keys()
    require_selection(tree.location, keys, datasets=datasets, runs=runs)
    chunks = ChunkCoverage.EVERY if deep else ChunkCoverage.SAMPLE
    with check_progress(Console(stderr=True)) as progress:
        return check_tree(
            tree, keys=keys, datasets=datasets, runs=runs, chunks=chunks, workers=workers, progress=progress
        )
