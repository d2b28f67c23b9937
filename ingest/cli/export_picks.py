"""``ingest export picks``: portal ndJSON → RELION 5/4 star, copick JSON or CSV."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.cli.numbers import POSITIVE
from ingest.cli.vocabulary import AXES, SuggestingChoice

EXPORT_TARGETS = ("copick", "csv", "relion4_star", "relion5_star")
"""The keys of :data:`ingest.converters.picks.export.EXPORTERS` (kept here so that ``--help`` imports no numpy)."""


@click.command("picks")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", type=SuggestingChoice(EXPORT_TARGETS), required=True, help="The format written.")
@click.option("--voxel-spacing", type=POSITIVE, required=True, help="Å per voxel of the ndJSON locations.")
@click.option("--run-name", help="rlnTomoName / copick run_name (default: DST's stem).")
@click.option(
    "--tomogram-size",
    type=AXES,
    help="Tomogram size in voxels, X,Y,Z (needed by relion5_star; enables the inside check).",
)
@click.option("--object-name", default="particle", show_default=True, help="copick pickable_object_name.")
def export_picks(
    src: Path,
    dst: Path,
    target: str,
    voxel_spacing: float,
    run_name: str | None,
    tomogram_size: tuple[int, int, int] | None,
    object_name: str,
) -> None:
    """Export the portal ndJSON picks SRC to DST in another tool's format."""
    from ingest.converters.picks.conversion import export_picks_file
    from ingest.converters.picks.export import ExportOptions

    options = ExportOptions(
        voxel_spacing=voxel_spacing,
        run_name=run_name or dst.stem,
        tomogram_size=tomogram_size,
        object_name=object_name,
    )
    result = export_picks_file(src, dst, target, options)
    click.echo(f"wrote {result.count} point(s) to " + ", ".join(str(path) for path in result.outputs))
