"""``ingest convert picks``: one pick file in any registered format → portal ndJSON."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.cli.numbers import POSITIVE
from ingest.errors import UsageError

SHAPE_NAMES = {"point": "POINT", "oriented-point": "ORIENTED_POINT", "instance": "INSTANCE_POINT"}
"""``--shape`` choices → member names of :class:`ingest.converters.picks.ndjson.PointShape` (imported when used)."""


def parse_size(text: str) -> tuple[int, int, int]:
    """``X,Y,Z`` as three positive integers."""
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() and int(part) > 0 for part in parts):
        raise UsageError("bad tomogram size", where="--tomogram-size", expected="X,Y,Z positive integers", found=text)
    return int(parts[0]), int(parts[1]), int(parts[2])


def _extra(pairs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    items = []
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise UsageError("bad format option", where="--option", expected="KEY=VALUE", found=pair)
        items.append((key, value))
    return tuple(items)


@click.command("picks")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "file_format", required=True, help="Source format (portal file_format name).")
@click.option("--shape", type=click.Choice(sorted(SHAPE_NAMES)), default="point", show_default=True)
@click.option("--binning", type=POSITIVE, default=1.0, show_default=True, help="Divides pixel coordinates.")
@click.option("--filter-value", help="Keep this run's rows (tomogram name or number).")
@click.option("--order", type=click.Choice(["xyz", "zyx"]), default="xyz", show_default=True)
@click.option("--voxel-spacing", type=POSITIVE, help="Å per voxel (for Å-based formats).")
@click.option("--tomograms-star", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tomogram-size", help="X,Y,Z voxels: enables the inside-the-volume check.")
@click.option("--tomogram", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="MRC giving the size.")
@click.option("--delimiter", help="CSV/TSV delimiter.")
@click.option("--columns", type=click.Choice(["xyz", "zyx"]), help="CSV/TSV column order.")
@click.option(
    "--option", "options", multiple=True, help="Format-specific KEY=VALUE (table_map, label, coordinates=normalized)."
)
def convert_picks(
    src: Path,
    dst: Path,
    file_format: str,
    shape: str,
    binning: float,
    filter_value: str | None,
    order: str,
    voxel_spacing: float | None,
    tomograms_star: Path | None,
    tomogram_size: str | None,
    tomogram: Path | None,
    delimiter: str | None,
    columns: str | None,
    options: tuple[str, ...],
) -> None:
    """Convert the pick file SRC into portal ndJSON at DST."""
    from ingest.converters.picks.conversion import convert_picks_file, tomogram_size_from_mrc
    from ingest.converters.picks.ndjson import PointShape
    from ingest.converters.picks.registry import ReadOptions, reader_for

    point_shape = PointShape[SHAPE_NAMES[shape]]
    reader_for(file_format)
    size = parse_size(tomogram_size) if tomogram_size else tomogram_size_from_mrc(tomogram) if tomogram else None
    extra = _extra(options) + ((("tomogram_size", ",".join(map(str, size))),) if size else ())
    read_options = ReadOptions(
        binning=binning,
        order="zyx" if order == "zyx" else "xyz",
        filter_value=filter_value,
        voxel_spacing=voxel_spacing,
        tomograms_star=tomograms_star,
        delimiter=delimiter,
        columns=columns,
        extra=extra,
    )
    named = {"the --tomogram MRC": tomogram} if tomogram is not None else {}
    result = convert_picks_file(src, dst, file_format, point_shape, read_options, size, named_sources=named)
    click.echo(f"wrote {result.count} {point_shape.value} line(s) to {dst}")
