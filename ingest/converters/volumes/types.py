"""The typed hand-offs of volume conversion: kinds, source header facts, levels and the result value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.kind import VolumeKind
from ingest.converters.volumes.ome_zarr import NgffVersion
from ingest.converters.volumes.value_stats import ValueStats

LEVELS = 3


Region = tuple[slice, slice, slice]


@dataclass(frozen=True)
class RegionSource:
    """A (z, y, x) volume read one region at a time straight into memory, never through a task graph.

    (A dask array of a volume declaring 100000³ voxels materialised its 60 million chunk tasks on every block read.)
    """

    shape: tuple[int, int, int]
    dtype: np.dtype[Any]
    read: Callable[[Region], NDArray[Any]]


@dataclass(frozen=True)
class SourceInfo:
    """Header facts of a source volume (``voxel_size`` z, y, x in Å as the file says; 0 or None when absent)."""

    path: Path | str
    """The source file or folder; a URL (text) for an OME-Zarr read from a storage directly."""
    format: str
    shape: tuple[int, int, int]
    dtype: str
    voxel_size: tuple[float, float, float] | None
    mrc_mode: int | None
    extended_header: bytes
    exttyp: bytes
    data_offset: int | None
    warnings: tuple[str, ...]
    axis_order: tuple[int, int, int] = (0, 1, 2)
    """MRC only: ``data = file_data.transpose(axis_order)`` (from mapc/mapr/maps; identity for most files)."""


@dataclass(frozen=True)
class LevelInfo:
    """One pyramid level: its array path inside the group, shape and chunks (z, y, x) and scale in Å."""

    path: str
    shape: tuple[int, int, int]
    chunks: tuple[int, int, int]
    scale: tuple[float, float, float]


@dataclass(frozen=True)
class VolumeResult:
    """Everything the metadata step needs about one converted volume."""

    kind: VolumeKind
    source: Path | str
    zarr_path: Path
    mrc_path: Path | None
    ngff: NgffVersion
    voxel_spacing: float
    dtype: str
    levels: tuple[LevelInfo, ...]
    stats: ValueStats
    label_values: tuple[int, ...]
    warnings: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        """Level-0 shape (z, y, x)."""
        return self.levels[0].shape

    @property
    def object_count(self) -> int:
        """Distinct non-zero labels (instance masks; 0 for other kinds)."""
        return len(self.label_values)


class ProgressCallback(Protocol):
    """Called after each chunk is written with the chunks done and the total over all levels."""

    def __call__(self, done: int, total: int) -> None: ...
