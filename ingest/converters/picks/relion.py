"""RELION particle STAR files → :class:`Picks`: RELION 3.0/3.1 (``relion3_star``), TOMOMAN (``tomoman_relion_star``)
and RELION 4 tomography (``relion4_star``). RELION 5's centred coordinates are read by :mod:`picks_relion5`.

Conventions (docs/design.md §4, checked against RELION's ``ParticleSet::getPosition`` and ``getMatrix3x3``):

* Rotation R = A(``rlnTomoSubtomogramRot/Tilt/Psi``) @ A(``rlnAngleRot/Tilt/Psi``) with A =
  :func:`relion_to_matrix`; a missing triple is the identity (as in RELION). A table with neither triple gives
  point-only picks (``rotations`` None), except when read for oriented points (``extra`` option ``shape`` =
  ``orientedPoint``), where the missing angle columns are an error; a triple with only some columns is an error.
* Position = (``rlnCoordinate`` − shift) / binning, where the shift is A(subtomogram) @ origin and the origin is
  ``rlnOrigin{X,Y,Z}`` in pixels (RELION 3 and TOMOMAN only; RELION 4 ignores them) or ``rlnOrigin{X,Y,Z}Angst``
  divided by the pixel size of the coordinates.
* That pixel size is the first found of ``rlnTomoTiltSeriesPixelSize``, ``rlnMicrographPixelSize``,
  ``rlnImagePixelSize`` (from the particle's optics group, or a particle column of that name), the particle
  columns ``rlnPixelSize`` and ``rlnDetectorPixelSize`` (µm) × 10⁴ / ``rlnMagnification``, and finally the
  annotation's ``voxel_spacing / binning``. It is only needed when an Å origin is not zero.
* Warp's template matching writes ``rlnCoordinate`` normalised to [0, 1] of the tomogram: with the ``extra`` option
  ``coordinates`` = ``normalized`` (default ``pixels``) position = coordinate × tomogram size in voxels (``extra``
  option ``tomogram_size`` = ``X,Y,Z``, from ``--tomogram-size``), minus the origin shift / binning.
* Scores: ``rlnAutopickFigureOfMerit``, else ``rlnMaxValueProbDistribution``.
* ``filter_value`` selects ``rlnMicrographName`` (else ``rlnTomoName``) for RELION 3, ``rlnTomoName`` (else
  ``rlnMicrographName``) for TOMOMAN and ``rlnTomoName`` for RELION 4; names are compared as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks.rotations import relion_to_matrix
from ingest.converters.picks.star_tables import (
    find_loop_block,
    has_column_group,
    numeric_columns,
    read_star_blocks,
    require_columns,
    require_orientation_columns,
    select_by_name,
)
from ingest.errors import InputFileError, UsageError

Triple = tuple[str, str, str]

COORDINATES: Triple = ("rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ")
CENTRED_COORDINATES: Triple = (
    "rlnCenteredCoordinateXAngst",
    "rlnCenteredCoordinateYAngst",
    "rlnCenteredCoordinateZAngst",
)
ORIGIN_PIXELS: Triple = ("rlnOriginX", "rlnOriginY", "rlnOriginZ")
ORIGIN_ANGST: Triple = ("rlnOriginXAngst", "rlnOriginYAngst", "rlnOriginZAngst")
ANGLES: Triple = ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")
SUBTOMOGRAM_ANGLES: Triple = ("rlnTomoSubtomogramRot", "rlnTomoSubtomogramTilt", "rlnTomoSubtomogramPsi")
NAME_COLUMNS = ("rlnMicrographName", "rlnTomoName")
SCORE_COLUMNS = ("rlnAutopickFigureOfMerit", "rlnMaxValueProbDistribution")
PIXEL_SIZE_COLUMNS = ("rlnTomoTiltSeriesPixelSize", "rlnMicrographPixelSize", "rlnImagePixelSize", "rlnPixelSize")
OPTICS_GROUP = "rlnOpticsGroup"


@dataclass(frozen=True)
class StarDialect:
    """What distinguishes the RELION dialects: the run-name columns (first present wins) and pixel origins."""

    name_columns: tuple[str, ...]
    pixel_origins: Triple | None


RELION3 = StarDialect(name_columns=("rlnMicrographName", "rlnTomoName"), pixel_origins=ORIGIN_PIXELS)
TOMOMAN = StarDialect(name_columns=("rlnTomoName", "rlnMicrographName"), pixel_origins=ORIGIN_PIXELS)
RELION4 = StarDialect(name_columns=("rlnTomoName",), pixel_origins=None)


@dataclass(frozen=True)
class ParticleTable:
    """The selected rows (0-based indices, file order) of a RELION particle table, with its optics table."""

    source: str
    particles: pd.DataFrame
    optics: pd.DataFrame | None
    rows: NDArray[np.intp]

    def has(self, columns: tuple[str, ...]) -> bool:
        """Whether the particle table has all of ``columns`` (some but not all is an error)."""
        return has_column_group(self.particles, columns, source=self.source, what="particles")

    def numbers(self, columns: tuple[str, ...]) -> NDArray[np.float64]:
        """The selected rows of ``columns`` as float64 (n, k); bad cells name their particle row."""
        return numeric_columns(self.particles, columns, self.rows, source=self.source, row_label="particle row")

    def optics_values(self, column: str) -> NDArray[np.float64]:
        """``column`` of each selected particle's optics group (n,)."""
        optics = self.optics
        assert optics is not None and column in optics.columns
        values = numeric_columns(optics, (column,), np.arange(len(optics)), source=self.source, row_label="optics row")
        if OPTICS_GROUP not in self.particles.columns and len(optics) == 1:
            return np.full(len(self.rows), values[0, 0])
        require_columns(self.particles, (OPTICS_GROUP,), source=self.source, what="particles")
        require_columns(optics, (OPTICS_GROUP,), source=self.source, what="optics")
        groups = numeric_columns(
            optics, (OPTICS_GROUP,), np.arange(len(optics)), source=self.source, row_label="optics row"
        )
        wanted = self.numbers((OPTICS_GROUP,))[:, 0]
        order = np.argsort(groups[:, 0], kind="stable")
        known = groups[order, 0]
        found = np.clip(np.searchsorted(known, wanted), 0, len(known) - 1)
        unknown = np.flatnonzero(known[found] != wanted)
        if len(unknown):
            raise InputFileError(
                f"{OPTICS_GROUP} {wanted[unknown[0]]:g} is not in the optics table",
                where=f"{self.source}: particle row {self.rows[unknown[0]] + 1}",
                expected="one of the optics groups " + ", ".join(f"{g:g}" for g in known),
                found=f"{wanted[unknown[0]]:g}",
            )
        return np.asarray(values[order, 0][found], dtype=np.float64)


def load_particle_table(path: Path, name_columns: tuple[str, ...], filter_value: str | None) -> ParticleTable:
    """Read a RELION STAR file, find its particle table and select this run's rows by ``filter_value``."""
    source = str(path)
    blocks = read_star_blocks(path, text_columns=NAME_COLUMNS)
    particles = find_loop_block(blocks, ("particles", ""), source=source, what="particles")
    if len(particles) == 0:
        raise InputFileError("the particles table has no rows", where=source, expected="particles", found="0 rows")
    optics = blocks.get("optics")
    name_column = next((column for column in name_columns if column in particles.columns), None)
    if filter_value is not None and name_column is None:
        require_columns(particles, name_columns[:1], source=source, what="particles")
    rows = select_by_name(particles, name_column, filter_value, source=source)
    return ParticleTable(source, particles, optics if isinstance(optics, pd.DataFrame) else None, rows)


def subtomogram_matrices(table: ParticleTable) -> NDArray[np.float64] | None:
    """A(``rlnTomoSubtomogramRot/Tilt/Psi``) per particle, or None when the table has no subtomogram angles."""
    if not table.has(SUBTOMOGRAM_ANGLES):
        return None
    return relion_to_matrix(*table.numbers(SUBTOMOGRAM_ANGLES).T)


def particle_rotations(
    table: ParticleTable, subtomogram: NDArray[np.float64] | None, options: ReadOptions
) -> NDArray[np.float64] | None:
    """R = A(subtomogram) @ A(particle) per particle, or None when the table has neither angle triple."""
    if not table.has(ANGLES):
        if subtomogram is None:
            require_orientation_columns(table.particles, ANGLES, options, source=table.source, what="particles")
        return subtomogram
    rotations = relion_to_matrix(*table.numbers(ANGLES).T)
    return rotations if subtomogram is None else np.matmul(subtomogram, rotations)


def particle_scores(table: ParticleTable) -> NDArray[np.float64] | None:
    """The first score column present, or None."""
    for column in SCORE_COLUMNS:
        if column in table.particles.columns:
            return table.numbers((column,))[:, 0]
    return None


def finish_particle_picks(
    table: ParticleTable,
    positions: NDArray[np.float64],
    options: ReadOptions,
    subtomogram: NDArray[np.float64] | None,
) -> Picks:
    """Picks at ``positions`` (voxels) with the table's rotations and scores."""
    return finish_picks(
        positions,
        options,
        source=table.source,
        rotations=particle_rotations(table, subtomogram, options),
        scores=particle_scores(table),
    )


def rotate_shifts(shifts: NDArray[np.float64], subtomogram: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Origin shifts (n, 3) rotated into the tomogram by A(subtomogram), unchanged without subtomogram angles."""
    return shifts if subtomogram is None else np.einsum("nij,nj->ni", subtomogram, shifts)


def coordinate_pixel_sizes(table: ParticleTable, options: ReadOptions) -> NDArray[np.float64]:
    """The pixel size (Å) of each selected particle's coordinates, by the precedence in the module docstring."""
    sizes: NDArray[np.float64] | None = None
    for column in PIXEL_SIZE_COLUMNS:
        if table.optics is not None and column in table.optics.columns:
            sizes = table.optics_values(column)
        elif column in table.particles.columns:
            sizes = table.numbers((column,))[:, 0]
        if sizes is not None:
            break
    if sizes is None and {"rlnDetectorPixelSize", "rlnMagnification"} <= set(table.particles.columns):
        detector, magnification = table.numbers(("rlnDetectorPixelSize", "rlnMagnification")).T
        sizes = detector * 1e4 / magnification
    if sizes is None and options.voxel_spacing is not None:
        sizes = np.full(len(table.rows), options.voxel_spacing / options.binning)
    if sizes is None:
        raise InputFileError(
            "origin shifts in Å need the pixel size of the coordinates",
            where=table.source,
            expected="one of " + ", ".join(PIXEL_SIZE_COLUMNS) + ", rlnDetectorPixelSize with rlnMagnification, "
            "or the annotation's voxel spacing",
            found="none of them",
        )
    bad = np.flatnonzero(~(sizes > 0))
    if len(bad):
        raise InputFileError(
            "the pixel size of the coordinates is not positive",
            where=f"{table.source}: particle row {table.rows[bad[0]] + 1}",
            expected="a pixel size > 0 Å",
            found=f"{sizes[bad[0]]:g}",
        )
    return sizes


def origin_shifts(
    table: ParticleTable, dialect: StarDialect, options: ReadOptions, subtomogram: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Each selected particle's origin shift in pixels of its coordinates, rotated into the tomogram (n, 3)."""
    if dialect.pixel_origins is not None and table.has(dialect.pixel_origins):
        shifts = table.numbers(dialect.pixel_origins)
    elif table.has(ORIGIN_ANGST):
        shifts = table.numbers(ORIGIN_ANGST)
        if shifts.any():
            shifts = shifts / coordinate_pixel_sizes(table, options)[:, None]
    else:
        return np.zeros((len(table.rows), 3))
    return rotate_shifts(shifts, subtomogram)


def coordinate_unit(options: ReadOptions, source: str) -> str:
    """The ``extra`` option ``coordinates``: ``pixels`` (default) or ``normalized`` (Warp template matching)."""
    unit = dict(options.extra).get("coordinates", "pixels")
    if unit not in ("pixels", "normalized"):
        raise UsageError("unknown coordinates option", where=source, expected="pixels or normalized", found=repr(unit))
    return unit


def normalized_coordinate_scale(options: ReadOptions, source: str) -> NDArray[np.float64]:
    """The tomogram size (x, y, z voxels) that multiplies coordinates normalised to [0, 1]."""
    text = dict(options.extra).get("tomogram_size")
    try:
        size = np.array([float(v) for v in (text or "").split(",")], dtype=np.float64)
    except ValueError:
        size = np.zeros(0)
    if size.shape != (3,) or not (size > 0).all():
        raise UsageError(
            "normalised coordinates (coordinates=normalized) need the tomogram size",
            where=source,
            expected="--tomogram-size X,Y,Z (the tomogram_size option) in voxels",
            found=repr(text),
        )
    return size


def picks_from_pixel_coordinates(table: ParticleTable, options: ReadOptions, dialect: StarDialect) -> Picks:
    """Picks from ``rlnCoordinate{X,Y,Z}`` (pixels) of the selected rows."""
    if not all(column in table.particles.columns for column in COORDINATES) and table.has(CENTRED_COORDINATES):
        raise InputFileError(
            "the particles have RELION 5 centred coordinates (rlnCenteredCoordinate*Angst), not rlnCoordinate*",
            where=table.source,
            expected="file format relion5_star for this file",
            found="columns " + ", ".join(map(str, table.particles.columns)),
        )
    require_columns(table.particles, COORDINATES, source=table.source, what="particles")
    coordinates = table.numbers(COORDINATES)
    subtomogram = subtomogram_matrices(table)
    shifts = origin_shifts(table, dialect, options, subtomogram)
    if coordinate_unit(options, table.source) == "normalized":
        positions = coordinates * normalized_coordinate_scale(options, table.source) - shifts / options.binning
    else:
        positions = (coordinates - shifts) / options.binning
    return finish_particle_picks(table, positions, options, subtomogram)


def read_relion_dialect(path: Path, options: ReadOptions, dialect: StarDialect) -> Picks:
    """Read a RELION STAR file with pixel coordinates in the given dialect."""
    table = load_particle_table(path, dialect.name_columns, options.filter_value)
    return picks_from_pixel_coordinates(table, options, dialect)


@register_reader("relion3_star")
def read_relion3_star(path: Path, options: ReadOptions) -> Picks:
    """RELION 3.0/3.1 particle STAR (with or without an optics block); selects by ``rlnMicrographName``."""
    return read_relion_dialect(path, options, RELION3)


@register_reader("tomoman_relion_star")
def read_tomoman_relion_star(path: Path, options: ReadOptions) -> Picks:
    """TOMOMAN's RELION 3 style STAR; selects by ``rlnTomoName``."""
    return read_relion_dialect(path, options, TOMOMAN)


@register_reader("relion4_star")
def read_relion4_star(path: Path, options: ReadOptions) -> Picks:
    """RELION 4 tomography particle STAR (optics groups, Å origins, subtomogram pre-rotations)."""
    return read_relion_dialect(path, options, RELION4)
