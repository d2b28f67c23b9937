"""``ingest info TREE``: what a canonical tree (local or ``s3://``) holds, as tables or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ingest.cli.json_failures import json_failures
from ingest.cli.vocabulary import format_option, storage_options_option

if TYPE_CHECKING:
    from ingest.pipeline.tree_info import TreeSummary


@click.command("info")
@click.argument("tree")
@format_option("text", "json")
@storage_options_option()
@json_failures
def info(tree: str, output_format: str, storage_options: tuple[str, ...]) -> None:
    """Summarise what TREE (a folder or s3:// URL) holds: datasets, runs, tomograms per voxel spacing,
    annotations per shape, sizes, and the last ingestion recorded in TREE/.ingest/."""
    from ingest.pipeline.tree_info import summarise_tree
    from ingest.storage.base import open_storage, parse_storage_options

    options = parse_storage_options(storage_options)
    summary = summarise_tree(open_storage(tree, options if tree.startswith(("s3://", "s3a://")) else None))
    if output_format == "json":
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        _print_tables(summary)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _print_tables(summary: TreeSummary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    overview = Table(title=f"{summary.url}", show_header=False)
    overview.add_row("depositions", ", ".join(summary.depositions) or "-")
    overview.add_row("datasets", str(len(summary.datasets)))
    overview.add_row("runs", str(summary.runs))
    overview.add_row("tilt series", str(summary.tiltseries))
    tomograms = ", ".join(f"{count} at {spacing} Å" for spacing, count in summary.tomograms.items())
    overview.add_row("tomograms", f"{sum(summary.tomograms.values())} ({tomograms})" if tomograms else "0")
    shapes = ", ".join(f"{count} {shape}" for shape, count in summary.annotations.items())
    overview.add_row("annotations", f"{summary.annotation_count} ({shapes})" if shapes else "0")
    kinds = ", ".join(f"{kind} {_size(size)}" for kind, size in summary.bytes_by_kind.items() if size)
    overview.add_row("size", f"{_size(summary.bytes)} in {summary.files} files ({kinds})")
    last = summary.last_ingestion
    if last is not None:
        verdict = "ok" if last.get("ok") else "FAILED"
        if refused := last.get("refused"):
            verdict += f", {len(refused)} run(s) refused by the source checks"
        overview.add_row("last ingestion", f"{last.get('finished_at', '?')} {verdict} (log {last.get('log', '-')})")
    else:
        overview.add_row("last ingestion", f"not recorded ({summary.manifests} manifests)")
    console.print(overview)
    datasets = Table("dataset", "runs", "tomograms", "annotations", "files", "size")
    for dataset in summary.datasets:
        datasets.add_row(
            dataset.dataset,
            str(dataset.runs),
            str(dataset.tomograms),
            str(dataset.annotations),
            str(dataset.files),
            _size(dataset.bytes),
        )
    if summary.datasets:
        console.print(datasets)
