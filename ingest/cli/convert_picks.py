"""``ingest convert picks``: one pick file in any registered format → portal ndJSON."""

from __future__ import annotations

import click

from ingest.cli.numbers import POSITIVE
from ingest.cli.vocabulary import AXES, SuggestingChoice, deprecated_alias, storage_options_option, suggestion
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
@click.argument("src")
@click.argument("dst")
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
@click.option("--tomograms-star", metavar="FILE|URL", help="RELION 5: the tomograms.star giving sizes and pixel sizes.")
@click.option("--tomogram-size", type=AXES, help="Tomogram size in voxels, X,Y,Z: enables the inside-the-volume check.")
@click.option("--tomogram", metavar="FILE|URL", help="MRC giving the size (only its header is read).")
@click.option("--delimiter", help="CSV/TSV delimiter.")
@click.option("--columns", type=SuggestingChoice(["xyz", "zyx"]), help="CSV/TSV column order.")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Format-specific (repeatable): table_map=FILE|URL (dynamo_tbl), label=NAME (eman2_json), "
    "coordinates=pixels|normalized (RELION formats).",
)
@storage_options_option()
def convert_picks(
    src: str,
    dst: str,
    file_format: str | None,
    former_format: str | None,
    shape: str,
    binning: float,
    filter_value: str | None,
    order: str,
    voxel_spacing: float | None,
    tomograms_star: str | None,
    tomogram_size: tuple[int, int, int] | None,
    tomogram: str | None,
    delimiter: str | None,
    columns: str | None,
    options: tuple[str, ...],
    storage_options: tuple[str, ...],
) -> None:
    """Convert the pick file SRC into portal ndJSON at DST.

    SRC, DST, --tomograms-star, --tomogram and table_map= are local paths, file:// or s3:// URLs (with
    --storage-option). Companion files are found beside a local SRC only: name them for a URL.
    """
    from contextlib import ExitStack

    from ingest.converters.picks.conversion import convert_picks_file
    from ingest.converters.picks.ndjson import PointShape
    from ingest.converters.picks.registry import ReadOptions, reader_for
    from ingest.storage.base import parse_storage_options
    from ingest.storage.locations import fetched, local_path, published, refuse_same_locations

    file_format = file_format or former_format
    if file_format is None:
        raise click.MissingParameter(param_hint="'--from'", param_type="option")
    point_shape = PointShape[SHAPE_NAMES[shape]]
    reader_for(file_format)
    storage = parse_storage_options(storage_options)
    extra = _extra(options, file_format)
    table_map = dict(extra).get("table_map")
    inputs = {"the source": src, "the tomograms star file": tomograms_star, "the --tomogram MRC": tomogram,
              "the table map": table_map}  # fmt: skip
    given = {name: location for name, location in inputs.items() if location is not None}
    refuse_same_locations({"the output": dst}, given)
    size = tomogram_size or (_size_from_mrc(tomogram, storage) if tomogram else None)
    with ExitStack() as stack:
        source = stack.enter_context(fetched(src, storage, what="the pick file"))
        star = (
            stack.enter_context(fetched(tomograms_star, storage, what="the tomograms star file"))
            if tomograms_star
            else None
        )
        if table_map is not None:
            local_map = stack.enter_context(fetched(table_map, storage, what="the table map"))
            extra = tuple((key, str(local_map.path) if key == "table_map" else value) for key, value in extra)
        output = stack.enter_context(published(dst, storage, what="DST"))
        read_options = ReadOptions(
            binning=binning,
            order="zyx" if order == "zyx" else "xyz",
            filter_value=filter_value,
            voxel_spacing=voxel_spacing,
            tomograms_star=star.path if star is not None else None,
            delimiter=delimiter,
            columns=columns,
            extra=extra + ((("tomogram_size", ",".join(map(str, size))),) if size else ()),
        )
        local_tomogram = local_path(tomogram) if tomogram is not None else None
        named = {"the --tomogram MRC": local_tomogram} if local_tomogram is not None else {}
        result = convert_picks_file(
            source.path, output.path, file_format, point_shape, read_options, size, named_sources=named
        )
    click.echo(f"wrote {result.count} {point_shape.value} line(s) to {dst}")


def _size_from_mrc(location: str, storage: dict[str, str]) -> tuple[int, int, int]:
    """The (x, y, z) size of the MRC ``location`` from its header (one ranged read for a URL)."""
    from ingest.converters.picks.conversion import tomogram_size_from_header
    from ingest.domain.mrc_header import HEADER_BYTES
    from ingest.storage.locations import read_head

    head, size = read_head(location, storage, HEADER_BYTES, what="the --tomogram MRC")
    return tomogram_size_from_header(head, size, where=location)
