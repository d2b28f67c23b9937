"""The `Picks` value and the registry of pick-file readers (one module per source format).

A reader turns one local file into :class:`Picks` whose positions are already in voxels of the annotation's
voxel spacing (0-based, x/y/z), with rotations as portal ``xyz_rotation_matrix`` (RELION's matrix A:
``p_tomo = R @ p_ref + location``). docs/design.md §4 ("Points") is the contract.

A new format is one module ``ingest/converters/picks_<format>.py`` that decorates its reader with
``@register_reader("<file_format>")``, one entry in ``_FORMAT_MODULES`` below, and one test file.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks.rotations import reverse_axes
from ingest.errors import EmptySelectionError, InputFileError, UnknownFormatError, UsageError
from ingest.storage.special_files import refuse_special_file

Order = Literal["xyz", "zyx"]

# Modules that register readers (full names, never built from parts); imported on first lookup so that importing
# this module stays cheap.
_FORMAT_MODULES: tuple[str, ...] = (
    "ingest.converters.picks.relion",
    "ingest.converters.picks.relion5",
    "ingest.converters.picks.stopgap",
    "ingest.converters.picks.csv_tables",
    "ingest.converters.picks.imod",
    "ingest.converters.picks.dynamo",
    "ingest.converters.picks.tom",
    "ingest.converters.picks.copick",
    "ingest.converters.picks.eman2",
)


@dataclass(frozen=True)
class Picks:
    """Particle picks in voxels of the annotation's voxel spacing.

    ``positions``: float64 (n, 3), columns x, y, z, 0-based voxel coordinates.
    ``rotations``: float64 (n, 3, 3) portal ``xyz_rotation_matrix`` per point, or None for plain points.
    ``instance_ids``: int64 (n,) instance labels, or None.
    ``scores``: float64 (n,) per-pick scores when the source has them, or None.
    ``source``: the file the picks came from, for messages.
    """

    positions: NDArray[np.float64]
    rotations: NDArray[np.float64] | None = None
    instance_ids: NDArray[np.int64] | None = None
    scores: NDArray[np.float64] | None = None
    source: str = "<memory>"

    def __post_init__(self) -> None:
        n = self.positions.shape[0]
        if self.positions.ndim != 2 or self.positions.shape[1] != 3:
            raise ValueError(f"positions must have shape (n, 3), got {self.positions.shape}")
        if self.rotations is not None and self.rotations.shape != (n, 3, 3):
            raise ValueError(f"rotations must have shape ({n}, 3, 3), got {self.rotations.shape}")
        for name in ("instance_ids", "scores"):
            values = getattr(self, name)
            if values is not None and values.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {values.shape}")

    def __len__(self) -> int:
        return int(self.positions.shape[0])


@dataclass(frozen=True)
class ReadOptions:
    """Options of an annotation source entry that change how a file is read.

    ``binning`` divides pixel coordinates (not Å coordinates); ``order`` ``zyx`` reverses the position columns
    and flips the matrix (``M[::-1, ::-1]``); ``filter_value`` selects this run's rows (RELION micrograph or
    tomogram name, STOPGAP tomo_num, Dynamo tomogram index or table-map name); ``voxel_spacing`` (Å) is needed
    for Å-based formats; ``tomograms_star`` is RELION 5's companion table; ``delimiter`` and ``columns`` are for
    CSV/TSV; ``extra`` holds format-specific options by name.
    """

    binning: float = 1.0
    order: Order = "xyz"
    filter_value: str | None = None
    voxel_spacing: float | None = None
    tomograms_star: Path | None = None
    delimiter: str | None = None
    columns: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class PicksReader(Protocol):
    """Reads one local file into :class:`Picks`; raises :class:`ingest.errors.InputFileError` on bad input."""

    def __call__(self, path: Path, options: ReadOptions) -> Picks: ...


_READERS: dict[str, PicksReader] = {}


def register_reader(file_format: str) -> Callable[[PicksReader], PicksReader]:
    """Class/function decorator registering a reader under a portal ``file_format`` name."""

    def decorate(reader: PicksReader) -> PicksReader:
        if file_format in _READERS:
            raise ValueError(f"a reader for {file_format!r} is already registered")
        _READERS[file_format] = reader
        return reader

    return decorate


def _load_format_modules() -> None:
    for module in _FORMAT_MODULES:
        importlib.import_module(module)


def reader_for(file_format: str) -> PicksReader:
    """The reader registered for ``file_format``; an unknown name raises an error listing the known ones."""
    _load_format_modules()
    try:
        return _READERS[file_format]
    except KeyError:
        raise UnknownFormatError(
            f"unknown pick file format {file_format!r}",
            expected="one of " + ", ".join(sorted(_READERS)),
            found=repr(file_format),
        ) from None


def read_picks(path: Path, file_format: str, options: ReadOptions | None = None) -> Picks:
    """Read ``path`` with the reader registered for ``file_format``; a binning that is not positive is refused."""
    refuse_special_file(path, str(path))
    options = options or ReadOptions()
    if not (math.isfinite(options.binning) and options.binning > 0):
        raise UsageError(
            "binning must be a positive number",
            where=str(path),
            expected="a finite number > 0",
            found=f"{options.binning}",
        )
    return reader_for(file_format)(path, options)


def select_rows(values: Sequence[object], filter_value: str | None, *, source: str, column: str) -> NDArray[np.bool_]:
    """A mask of the rows whose ``column`` equals ``filter_value`` (compared as strings; None selects all rows).

    An empty selection is an error naming the values that do exist, never a silent empty file.
    """
    as_text = np.array([_as_name(v) for v in values], dtype=object)
    if filter_value is None:
        return np.ones(len(as_text), dtype=bool)
    mask = np.asarray(as_text == str(filter_value), dtype=bool)
    if not mask.any():
        existing = sorted(set(as_text.tolist()))
        shown = ", ".join(existing[:20]) + (f", ... ({len(existing)} in all)" if len(existing) > 20 else "")
        raise EmptySelectionError(
            f"no row has {column} = {filter_value!r}",
            where=source,
            expected=f"one of the values in {column}: {shown or '(the file has no rows)'}",
            found=repr(filter_value),
        )
    return mask


def _as_name(value: object) -> str:
    """Names that were written as numbers (STOPGAP tomo_num 1.0, Dynamo 3) compare equal to ``"1"``/``"3"``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def require_finite(values: NDArray[np.float64], *, source: str, what: str, first_row: int = 1) -> None:
    """Raise an error naming the first row of ``values`` (n, ...) that holds NaN or infinity."""
    finite = np.isfinite(values.reshape(len(values), int(np.prod(values.shape[1:])))).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise InputFileError(
            f"{what} is not a finite number",
            where=f"{source}: row {row + first_row}",
            expected="finite numbers",
            found=str(values[row].tolist()),
        )


def finish_picks(
    positions: NDArray[np.float64],
    options: ReadOptions,
    *,
    source: str,
    rotations: NDArray[np.float64] | None = None,
    instance_ids: NDArray[np.int64] | None = None,
    scores: NDArray[np.float64] | None = None,
) -> Picks:
    """Apply ``order`` (``zyx`` reverses columns and flips matrices), check finiteness and build :class:`Picks`.

    Readers divide by ``binning`` themselves, since only pixel-based formats are binned.
    """
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    require_finite(positions, source=source, what="a coordinate")
    if rotations is not None:
        rotations = np.asarray(rotations, dtype=np.float64).reshape(-1, 3, 3)
        require_finite(rotations, source=source, what="a rotation")
    if options.order == "zyx":
        positions = np.ascontiguousarray(positions[:, ::-1])
        if rotations is not None:
            rotations = reverse_axes(rotations)
    return Picks(positions, rotations, instance_ids, scores, source)


def known_formats() -> tuple[str, ...]:
    """Every registered pick file format name, sorted (what a config's ``file_format`` may name)."""
    _load_format_modules()
    return tuple(sorted(_READERS))
