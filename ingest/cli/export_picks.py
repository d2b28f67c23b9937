"""``ingest export picks``: portal ndJSON → RELION 5/4 star, copick JSON or CSV."""

from __future__ import annotations

import click

from ingest.cli.numbers import POSITIVE
from ingest.cli.vocabulary import AXES, SuggestingChoice, storage_options_option

EXPORT_TARGETS = ("copick", "csv", "relion4_star", "relion5_star")
"""The keys of :data:`ingest.converters.picks.export.EXPORTERS` (kept here so that ``--help`` imports no numpy)."""


@click.command("picks")
@click.argument("src")
@click.argument("dst")
@click.option("--to", "target", type=SuggestingChoice(EXPORT_TARGETS), required=True, help="The format written.")
@click.option("--voxel-spacing", type=POSITIVE, required=True, help="Å per voxel of the ndJSON locations.")
@click.option("--run-name", help="rlnTomoName / copick run_name (default: DST's stem).")
@click.option(
    "--tomogram-size",
    type=AXES,
    help="Tomogram size in voxels, X,Y,Z (needed by relion5_star; enables the inside check).",
)
@click.option("--object-name", default="particle", show_default=True, help="copick pickable_object_name.")
@storage_options_option()
def export_picks(
    src: str,
    dst: str,
    target: str,
    voxel_spacing: float,
    run_name: str | None,
    tomogram_size: tuple[int, int, int] | None,
    object_name: str,
    storage_options: tuple[str, ...],
) -> None:
    """Export the portal ndJSON picks SRC to DST in another tool's format.

    SRC and DST are local paths, file:// or s3:// URLs (with --storage-option); companion files are written beside
    DST.
    """
    from ingest.converters.picks.conversion import export_picks_file
    from ingest.converters.picks.export import ExportOptions
    from ingest.storage.base import parse_storage_options
    from ingest.storage.locations import fetched, published, refuse_same_locations

    storage = parse_storage_options(storage_options)
    refuse_same_locations({"the output": dst}, {"the source": src})
    with fetched(src, storage, what="the ndJSON picks") as source, published(dst, storage, what="DST") as output:
        options = ExportOptions(
            voxel_spacing=voxel_spacing,
            run_name=run_name or output.path.stem,
            tomogram_size=tomogram_size,
            object_name=object_name,
        )
        result = export_picks_file(source.path, output.path, target, options)
    click.echo(f"wrote {result.count} point(s) to " + ", ".join(output.named(str(path)) for path in result.outputs))
