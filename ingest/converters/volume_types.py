"""The typed hand-offs of volume conversion: kinds, source header facts, levels and the result value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ingest.converters.ome_zarr import NgffVersion
from ingest.converters.pyramid import Pooling
from ingest.converters.value_stats import ValueStats

LEVELS = 3


class VolumeKind(StrEnum):
    """What a volume is; it decides the output dtype, the pyramid and the MRC space group."""

    TOMOGRAM = "tomogram"
    TILTSERIES = "tiltseries"
    SEMANTIC_MASK = "semantic-mask"
    INSTANCE_MASK = "instance-mask"

    @property
    def output_dtype(self) -> np.dtype[Any]:
        """float32 for images, int8 for binary masks, uint16 for instance labels."""
        return np.dtype({"semantic-mask": np.int8, "instance-mask": np.uint16}.get(self.value, np.float32))

    @property
    def pooling(self) -> Pooling:
        """Mean for images, mean-then-> 0 for binary masks, nearest (stride) for labels."""
        return {"semantic-mask": Pooling.ANY, "instance-mask": Pooling.STRIDE}.get(self.value, Pooling.MEAN)

    @property
    def factors(self) -> tuple[int, int, int]:
        """Downsampling per level: 2×2×2, or 1×2×2 for tilt series (never bin across tilts)."""
        return (1, 2, 2) if self is VolumeKind.TILTSERIES else (2, 2, 2)

    @property
    def chunks(self) -> tuple[int, int, int]:
        """Chunk shape before clipping to the level shape."""
        return (1, 1024, 1024) if self is VolumeKind.TILTSERIES else (256, 256, 256)

    @property
    def space_group(self) -> int:
        """MRC ``ispg``: 0 for an image stack (tilt series), 1 for a volume."""
        return 0 if self is VolumeKind.TILTSERIES else 1


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

    path: Path
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
    source: Path
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
