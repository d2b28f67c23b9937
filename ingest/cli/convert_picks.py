"""``ingest convert picks``: one pick file in any registered format → portal ndJSON."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.cli.numbers import POSITIVE
from ingest.cli.vocabulary import AXES, SuggestingChoice, deprecated_alias, suggestion
from ingest.errors import UsageError

SHAPE_NAMES = {"point": "POINT", "oriented-point": "ORIENTED_POINT", "instance": "INSTANCE_POINT"}
"""``--shape`` choices → member names of :class:`ingest.converters.picks.ndjson.PointShape` (imported when used)."""
PICK_FORMATS = (
    "copick", "csv", "csv_with_header", "dynamo_tbl", "eman2_json", "mod", "relion3_star", "relion4_star",
    "relion5_star", "stopgap_star", "tardis", "tom_em", "tomoman_relion_star", "tsv",
)  # fmt: skip
"""The formats registered in :mod:`ingest.converters.picks` (kept here so that ``--help`` imports no numpy; a test
compares the two)."""


_RELION = ("relion3_star", "relion4_star", "relion5_star", "tomoman_relion_star")
FORMAT_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "table_map": (("dynamo_tbl",), None),
    "label": (("eman2_json",), None),
    "coordinates": (_RELION, ("pixels", "normalized")),
}
"""``--option`` keys → the formats that read them and their values (None: free text). Anything else would be
ignored silently by the reader, so it is refused."""


def _extra(pairs: tuple[str, ...], file_format: str) -> tuple[tuple[str, str], ...]:
    items = []
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise UsageError("bad format option", where="--option", expected="KEY=VALUE", found=pair)
        if key not in FORMAT_OPTIONS:
            hint = suggestion(key, FORMAT_OPTIONS)
            raise click.BadParameter(f"unknown key {key!r}, expected one of {', '.join(FORMAT_OPTIONS)}{hint}",
                                     param_hint="'--option'")  # fmt: skip
        formats, values = FORMAT_OPTIONS[key]
        if file_format not in formats:
            raise click.BadParameter(f"{key} applies to --from {', '.join(formats)}, not {file_format}",
                                     param_hint="'--option'")  # fmt: skip
        if values is not None and value not in values:
            hint = suggestion(value, values)
            raise click.BadParameter(f"{key}={value!r} is not one of {', '.join(values)}{hint}",
                                     param_hint="'--option'")  # fmt: skip
        items.append((key, value))
    return tuple(items)


@click.command("picks")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from", "file_format", type=SuggestingChoice(PICK_FORMATS), metavar="FORMAT",
    help="The pick file's format (portal file_format name): " + ", ".join(PICK_FORMATS) + ".  [required]",
)  # fmt: skip
@deprecated_alias("--format", "--from", "former_format", type=SuggestingChoice(PICK_FORMATS))
@click.option("--shape", type=SuggestingChoice(sorted(SHAPE_NAMES)), default="point", show_default=True)
@click.option("--binning", type=POSITIVE, default=1.0, show_default=True, help="Divides pixel coordinates.")
@click.option("--filter-value", help="Keep this run's rows (tomogram name or number).")
@click.option(
    "--order", type=SuggestingChoice(["xyz", "zyx"]), default="xyz", show_default=True,
    help="Axis order of the coordinates in the file.",
)  # fmt: skip
@click.option("--voxel-spacing", type=POSITIVE, help="Å per voxel (for Å-based formats).")
@click.option("--tomograms-star", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tomogram-size", type=AXES, help="Tomogram size in voxels, X,Y,Z: enables the inside-the-volume check.")
@click.option("--tomogram", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="MRC giving the size.")
@click.option("--delimiter", help="CSV/TSV delimiter.")
@click.option("--columns", type=SuggestingChoice(["xyz", "zyx"]), help="CSV/TSV column order.")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Format-specific (repeatable): table_map=FILE (dynamo_tbl), label=NAME (eman2_json), "
    "coordinates=pixels|normalized (RELION formats).",
)
def convert_picks(
    src: Path,
    dst: Path,
    file_format: str | None,
    former_format: str | None,
    shape: str,
    binning: float,
    filter_value: str | None,
    order: str,
    voxel_spacing: float | None,
    tomograms_star: Path | None,
    tomogram_size: tuple[int, int, int] | None,
    tomogram: Path | None,
    delimiter: str | None,
    columns: str | None,
    options: tuple[str, ...],
) -> None:
    """Convert the pick file SRC into portal ndJSON at DST."""
    from ingest.converters.picks.conversion import convert_picks_file, tomogram_size_from_mrc
    from ingest.converters.picks.ndjson import PointShape
    from ingest.converters.picks.registry import ReadOptions, reader_for

    file_format = file_format or former_format
    if file_format is None:
        raise click.MissingParameter(param_hint="'--from'", param_type="option")
    point_shape = PointShape[SHAPE_NAMES[shape]]
    reader_for(file_format)
    size = tomogram_size or (tomogram_size_from_mrc(tomogram) if tomogram else None)
    extra = _extra(options, file_format) + ((("tomogram_size", ",".join(map(str, size))),) if size else ())
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
