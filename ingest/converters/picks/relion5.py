"""RELION 5 tomography particle STAR (``relion5_star``) → :class:`Picks`: centred Å coordinates, de-centred with the
tomogram sizes of the project's ``tomograms.star``.

The formula follows RELION 5's ``ParticleSet::getPosition`` and ``TomogramSet::loadTomogram``::

    p_px = (rlnCenteredCoordinate{X,Y,Z}Angst − A(subtomogram) @ rlnOrigin{X,Y,Z}Angst) / ts + rlnTomoSize{X,Y,Z} / 2
    location = p_px · ts / voxel_spacing   (or p_px / binning when no voxel spacing is given)

``ts`` is ``rlnTomoTiltSeriesPixelSize`` of the particle's optics group (of its tomogram in ``tomograms.star`` when
the file has no optics table, as RELION does), and ``rlnTomoSize{X,Y,Z}`` is the tomogram's extent in unbinned
tilt-series pixels; the centre is the float ``size / 2`` (``rlnTomoTomogramBinning`` plays no part). Rotations are
those of RELION 4 (:mod:`picks_relion`). ``tomograms.star`` is ``ReadOptions.tomograms_star``, else, beside the
particle file, ``<stem>_tomograms.star``, ``tomograms.star`` or the only ``*tomograms.star``. A ``relion5_star`` file
without centred coordinates but with ``rlnCoordinate{X,Y,Z}`` is read as RELION 4, as RELION 5 itself does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ingest.converters.picks.registry import Picks, ReadOptions, register_reader
from ingest.converters.picks.relion import (
    CENTRED_COORDINATES,
    COORDINATES,
    ORIGIN_ANGST,
    RELION4,
    ParticleTable,
    finish_particle_picks,
    load_particle_table,
    picks_from_pixel_coordinates,
    rotate_shifts,
    subtomogram_matrices,
)
from ingest.converters.picks.star_tables import find_loop_block, numeric_columns, read_star_blocks, require_columns
from ingest.errors import InputFileError

TOMO_NAME = "rlnTomoName"
TOMO_SIZE = ("rlnTomoSizeX", "rlnTomoSizeY", "rlnTomoSizeZ")
TILT_SERIES_PIXEL_SIZE = "rlnTomoTiltSeriesPixelSize"


@dataclass(frozen=True)
class TomogramSet:
    """The ``global`` table of a RELION ``tomograms.star``: names, sizes (unbinned pixels) and pixel sizes (Å)."""

    source: str
    names: pd.Index
    sizes: NDArray[np.float64]
    pixel_sizes: NDArray[np.float64] | None

    def indices(self, table: ParticleTable) -> NDArray[np.intp]:
        """The tomogram of each selected particle; an unknown name is an error naming the particle row."""
        require_columns(table.particles, (TOMO_NAME,), source=table.source, what="particles")
        wanted = table.particles[TOMO_NAME].to_numpy()[table.rows].astype(str)
        found = np.asarray(self.names.get_indexer(pd.Index(wanted)), dtype=np.intp)
        unknown = np.flatnonzero(found < 0)
        if len(unknown):
            name = str(wanted[unknown[0]])
            raise InputFileError(
                f"tomogram {name!r} is not in {self.source}",
                where=f"{table.source}: particle row {table.rows[unknown[0]] + 1}",
                expected="one of " + ", ".join(self.names[:20]) + (" ..." if len(self.names) > 20 else ""),
                found=repr(name),
            )
        return found


def read_tomogram_set(path: Path) -> TomogramSet:
    """Read the ``global`` table of a RELION 4/5 ``tomograms.star``."""
    source = str(path)
    table = find_loop_block(
        read_star_blocks(path, text_columns=(TOMO_NAME,)), ("global",), source=source, what="tomograms"
    )
    require_columns(table, (TOMO_NAME, *TOMO_SIZE), source=source, what="tomograms")
    every_row = np.arange(len(table), dtype=np.intp)
    names = pd.Index(table[TOMO_NAME].astype(str).to_numpy())
    if names.has_duplicates:
        raise InputFileError(
            "a tomogram is listed twice",
            where=source,
            expected="unique rlnTomoName",
            found=str(names[names.duplicated()][0]),
        )
    sizes = numeric_columns(table, TOMO_SIZE, every_row, source=source, row_label="tomogram row")
    pixel_sizes = None
    if TILT_SERIES_PIXEL_SIZE in table.columns:
        pixel_sizes = numeric_columns(
            table, (TILT_SERIES_PIXEL_SIZE,), every_row, source=source, row_label="tomogram row"
        )[:, 0]
    return TomogramSet(source, names, sizes, pixel_sizes)


def find_tomograms_star(path: Path, options: ReadOptions) -> Path:
    """``options.tomograms_star``, else beside ``path``: ``<stem>_tomograms.star`` (what the RELION 5 exporter
    writes), ``tomograms.star`` (RELION's own name), or the only ``*tomograms.star``."""
    if options.tomograms_star is not None:
        return options.tomograms_star
    for beside in (path.with_name(f"{path.stem}_tomograms.star"), path.parent / "tomograms.star"):
        if beside.is_file():
            return beside
    candidates = sorted(p for p in path.parent.glob("*tomograms.star") if p != path)
    if len(candidates) == 1:
        return candidates[0]
    raise InputFileError(
        "RELION 5 centred coordinates need the tomogram sizes of a tomograms.star",
        where=str(path),
        expected="--tomograms-star PATH, or a single tomograms.star beside the file",
        found=("several: " + ", ".join(p.name for p in candidates)) if candidates else "none beside the file",
    )


def tilt_series_pixel_sizes(
    table: ParticleTable, tomograms: TomogramSet, tomogram: NDArray[np.intp]
) -> NDArray[np.float64]:
    """``rlnTomoTiltSeriesPixelSize`` per particle: its optics group's, else its tomogram's in tomograms.star."""
    if table.optics is not None and TILT_SERIES_PIXEL_SIZE in table.optics.columns:
        sizes = table.optics_values(TILT_SERIES_PIXEL_SIZE)
    elif tomograms.pixel_sizes is not None:
        sizes = tomograms.pixel_sizes[tomogram]
    else:
        raise InputFileError(
            f"no {TILT_SERIES_PIXEL_SIZE} for the centred coordinates",
            where=table.source,
            expected=f"{TILT_SERIES_PIXEL_SIZE} in the optics table or in {tomograms.source}",
            found="neither",
        )
    bad = np.flatnonzero(~(sizes > 0))
    if len(bad):
        raise InputFileError(
            f"{TILT_SERIES_PIXEL_SIZE} is not positive",
            where=f"{table.source}: particle row {table.rows[bad[0]] + 1}",
            expected="a pixel size > 0 Å",
            found=f"{sizes[bad[0]]:g}",
        )
    return sizes


def picks_from_centred_coordinates(table: ParticleTable, tomograms: TomogramSet, options: ReadOptions) -> Picks:
    """Picks from ``rlnCenteredCoordinate{X,Y,Z}Angst`` of the selected rows."""
    tomogram = tomograms.indices(table)
    pixel_size = tilt_series_pixel_sizes(table, tomograms, tomogram)[:, None]
    centred = table.numbers(CENTRED_COORDINATES)
    subtomogram = subtomogram_matrices(table)
    if table.has(ORIGIN_ANGST):
        shifts = table.numbers(ORIGIN_ANGST)
        centred = centred - rotate_shifts(shifts, subtomogram)
    pixels = centred / pixel_size + tomograms.sizes[tomogram] / 2.0
    if options.voxel_spacing is None:
        positions = pixels / options.binning
    else:
        positions = pixels * (pixel_size / options.voxel_spacing)
    return finish_particle_picks(table, positions, options, subtomogram)


@register_reader("relion5_star")
def read_relion5_star(path: Path, options: ReadOptions) -> Picks:
    """RELION 5 tomography particle STAR; selects by ``rlnTomoName``; needs the project's tomograms.star."""
    table = load_particle_table(path, (TOMO_NAME,), options.filter_value)
    if not table.has(CENTRED_COORDINATES) and all(column in table.particles.columns for column in COORDINATES):
        return picks_from_pixel_coordinates(table, options, RELION4)
    require_columns(table.particles, CENTRED_COORDINATES, source=table.source, what="particles")
    tomograms = read_tomogram_set(find_tomograms_star(path, options))
    return picks_from_centred_coordinates(table, tomograms, options)
