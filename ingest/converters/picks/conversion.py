"""One pick file → portal ndJSON, and portal ndJSON → a tool format: the library behind ``ingest convert picks``
and ``ingest export picks``.

Reading goes through the reader registry (:func:`read_picks`), writing through :func:`picks_to_ndjson` or an
exporter; outputs are written atomically (a temporary file in the destination folder, then a rename), so bad
input never leaves a half-written file. With a known tomogram size every point must lie inside [0, size) on
each axis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ingest.converters.picks.export import ExportOptions, exporter_for
from ingest.converters.picks.ndjson import PointShape, ndjson_chunks
from ingest.converters.picks.ndjson_reader import ndjson_to_picks
from ingest.converters.picks.registry import Picks, ReadOptions, read_picks
from ingest.converters.volumes.mrc import check_mrc_header_sizes
from ingest.domain.mrc_header import HEADER_BYTES, parse_mrc_header_bytes
from ingest.errors import InputFileError
from ingest.storage.special_files import refuse_special_file
from ingest.storage.staging import refuse_overwriting_sources, write_atomically

Size = tuple[int, int, int]


@dataclass(frozen=True)
class ConversionResult:
    """What a conversion wrote: the files and the number of points."""

    outputs: tuple[Path, ...]
    count: int
    shape: PointShape | None = None


def tomogram_size_from_mrc(path: Path) -> Size:
    """The (x, y, z) size in voxels from the header of the local MRC ``path``."""
    refuse_special_file(path, str(path))
    try:
        with path.open("rb") as stream:
            raw = stream.read(HEADER_BYTES)
        file_size = path.stat().st_size
    except OSError as error:
        raise InputFileError("cannot read the MRC header", where=str(path), found=str(error)) from None
    return tomogram_size_from_header(raw, file_size, where=str(path))


def tomogram_size_from_header(raw: bytes, file_size: int, *, where: str) -> Size:
    """The (x, y, z) size in voxels from the first 1024 bytes ``raw`` of the MRC ``where`` of ``file_size`` bytes,
    after the size checks of :func:`~ingest.converters.volumes.mrc.check_mrc_sizes` (for an MRC named by URL, the
    bytes come from one ranged read instead of a copy of the tomogram)."""
    check_mrc_header_sizes(raw, file_size, where=where)
    fields = parse_mrc_header_bytes(raw, where=where).fields
    return int(fields["nx"]), int(fields["ny"]), int(fields["nz"])


def require_inside_volume(picks: Picks, size: Size) -> None:
    """Raise an error naming the first point outside [0, size) on any axis (rows of the picks, 1-based)."""
    limits = np.asarray(size, dtype=np.float64)
    outside = ((picks.positions < 0) | (picks.positions >= limits)).any(axis=1)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        x, y, z = picks.positions[row].tolist()
        raise InputFileError(
            f"point outside the tomogram ({int(outside.sum())} of {len(picks)} points are)",
            where=f"{picks.source}: row {row + 1}",
            expected=f"0 <= x < {size[0]}, 0 <= y < {size[1]}, 0 <= z < {size[2]} voxels",
            found=f"({x!r}, {y!r}, {z!r})",
        )


def convert_picks_file(
    source: Path,
    destination: Path,
    file_format: str,
    shape: PointShape,
    options: ReadOptions,
    tomogram_size: Size | None = None,
    named_sources: dict[str, Path] | None = None,
) -> ConversionResult:
    """Read ``source`` as ``file_format`` and write portal ndJSON of ``shape`` to ``destination``.

    The requested shape is passed to the reader as the ``extra`` option ``shape`` (IMOD models read slicer
    angles for oriented points). An empty result is an error, never a silent empty file. A destination that is
    the source, the tomograms star file or one of ``named_sources`` (other inputs, e.g. the MRC giving the
    size) is refused before anything is read.
    """
    companions = {"the tomograms star file": options.tomograms_star} if options.tomograms_star is not None else {}
    refuse_overwriting_sources(
        {"the output": destination}, {"the source": source, **companions, **(named_sources or {})}
    )
    extra = (*(item for item in options.extra if item[0] != "shape"), ("shape", shape.value))
    picks = read_picks(source, file_format, replace(options, extra=extra))
    if len(picks) == 0:
        raise InputFileError("no points to convert", where=str(source), expected="at least one point", found="0")
    if tomogram_size is not None:
        require_inside_volume(picks, tomogram_size)
    write_atomically(destination, ndjson_chunks(picks, shape))
    return ConversionResult((destination,), len(picks), shape)


def read_ndjson_file(path: Path) -> Picks:
    """Portal ndJSON picks from a local file."""
    refuse_special_file(path, str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError("cannot read the file", where=str(path), found=str(error)) from None
    return ndjson_to_picks(data, str(path))


def export_picks_file(source: Path, destination: Path, target: str, options: ExportOptions) -> ConversionResult:
    """Export the ndJSON picks of ``source`` to ``destination`` in ``target`` format (companions beside it)."""
    exporter = exporter_for(target)
    refuse_overwriting_sources({"the output": destination}, {"the source": source})
    picks = read_ndjson_file(source)
    if options.tomogram_size is not None:
        require_inside_volume(picks, options.tomogram_size)
    files = exporter(picks, options)
    companions = {destination.with_name(destination.stem + suffix): data for suffix, data in files.companions}
    refuse_overwriting_sources(
        {"the output": destination, **{f"the companion output {path.name}": path for path in companions}},
        {"the source": source},
    )
    write_atomically(destination, files.main)
    for companion, data in companions.items():
        write_atomically(companion, data)
    return ConversionResult((destination, *companions), len(picks))
