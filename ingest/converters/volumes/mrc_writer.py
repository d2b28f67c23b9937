"""The canonical MRC writer: one level-0 volume, block by block, header last.

It streams blocks into a memory-mapped file (dirty file pages, not process memory) or, when the source bytes
already are the output bytes, copies them without passing through user space
(:func:`ingest.converters.volumes.file_copy.copy_byte_range`: direct I/O, else ``copy_file_range``).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.file_copy import copy_byte_range
from ingest.converters.volumes.os_features import CURRENT, OsFeatures
from ingest.converters.volumes.output_writes import reserve_space, write_all, writing
from ingest.domain.mrc_header import HEADER_BYTES

OUTPUT_MODES = {np.dtype(np.float32): 2, np.dtype(np.int8): 0, np.dtype(np.uint16): 6}
"""The MRC mode of each output dtype."""


@dataclass(frozen=True)
class MrcHeaderFields:
    """What the canonical header says besides the data: spacing (Å), space group and value statistics."""

    voxel_spacing: float
    ispg: int
    dmin: float
    dmax: float
    dmean: float
    rms: float


CANONICAL_LABEL = b"Written by cryoet-ingest"
"""The one header label of every canonical MRC (no timestamp, so equal inputs give equal bytes)."""


class CanonicalMrcWriter:
    """Writes the canonical MRC of one level-0 volume into ``path`` block by block, header last.

    ``write_block`` may be called from several threads for disjoint regions; ``copy_data_from`` instead copies
    a source data block whose bytes already equal the output (little-endian float32 of the same shape).
    The data block is reserved on disk up front (``posix_fallocate``), so a full disk is a clean
    :class:`~ingest.errors.StorageError` before any data is written, never a SIGBUS from a write into a memory
    map; where the file system or platform cannot reserve space, blocks are written with plain ``pwrite`` calls.
    """

    def __init__(
        self,
        path: Path,
        shape: tuple[int, int, int],
        dtype: np.dtype[Any],
        extended_header: bytes,
        exttyp: bytes,
        *,
        features: OsFeatures = CURRENT,
        reported_as: Path | None = None,
    ) -> None:
        self.path = path
        self.reported_as = reported_as or path  # errors name the final file, not its temporary sibling
        self.shape = shape
        self.dtype = dtype
        self.features = features
        extended = np.frombuffer(extended_header, dtype="V1") if extended_header else None
        self._length = math.prod(shape) * dtype.itemsize
        with writing(self.reported_as):
            with mrcfile.new_mmap(
                path, shape=shape, mrc_mode=OUTPUT_MODES[dtype], overwrite=True, extended_header=extended, exttyp=exttyp
            ) as mrc:
                self._data_offset = HEADER_BYTES + int(mrc.header.nsymbt)
            self._reserved = reserve_space(path, self._data_offset, self._length, features)
        self._data: np.memmap[Any, np.dtype[Any]] | None = None
        self._descriptor: int | None = None
        self._lock = threading.Lock()

    def write_block(self, region: tuple[slice, slice, slice], block: NDArray[Any]) -> None:
        """Store ``block`` (already in the output dtype) at ``region`` of the volume."""
        with writing(self.reported_as):
            if not self._reserved:
                self._write_rows(region, np.ascontiguousarray(block))
                return
            with self._lock:
                if self._data is None:
                    self._data = np.memmap(
                        self.path, dtype=self.dtype, mode="r+", offset=self._data_offset, shape=self.shape
                    )
            self._data[region] = block

    def _write_rows(self, region: tuple[slice, slice, slice], block: NDArray[Any]) -> None:
        """``pwrite`` the block's rows (whole planes when the block spans the full width and height)."""
        with self._lock:
            if self._descriptor is None:
                self._descriptor = os.open(self.path, os.O_WRONLY)
        _, ny, nx = self.shape
        z, y, x = region
        if x.stop - x.start == nx:
            for iz in range(z.stop - z.start):
                at = self._data_offset + ((z.start + iz) * ny + y.start) * nx * self.dtype.itemsize
                write_all(self._descriptor, memoryview(block[iz]).cast("B"), at)
            return
        for iz in range(z.stop - z.start):
            for iy in range(y.stop - y.start):
                at = self._data_offset + (((z.start + iz) * ny + y.start + iy) * nx + x.start) * self.dtype.itemsize
                write_all(self._descriptor, memoryview(block[iz, iy]).cast("B"), at)

    def copy_data_from(self, source: Path, source_offset: int, *, stop: threading.Event) -> None:
        """Copy the data block of ``source`` (from ``source_offset``) without a user-space copy, until ``stop``."""
        with writing(self.reported_as):
            copy_byte_range(
                source, source_offset, self.path, self._data_offset, self._length, stop=stop, features=self.features
            )

    def finish(self, fields: MrcHeaderFields) -> None:
        """Flush the data and write the header: spacing, cell (an image stack: mz 1, cella.z one spacing), origin
        0, space group and statistics."""
        if self._data is not None:
            self._data.flush()
            self._data = None
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        nz, ny, nx = self.shape
        with writing(self.reported_as), mrcfile.mmap(self.path, mode="r+", permissive=True) as mrc:
            header = mrc.header
            # An image stack (ispg 0, a tilt series) is sampled one section deep, as the portal writes it:
            # mz = 1 and cella.z = one pixel spacing (its tilt-series importer's header mapper).
            mz = 1 if fields.ispg == 0 else nz
            header.mx, header.my, header.mz = nx, ny, mz
            header.cella = (nx * fields.voxel_spacing, ny * fields.voxel_spacing, mz * fields.voxel_spacing)
            header.nxstart = header.nystart = header.nzstart = 0
            header.origin = (0.0, 0.0, 0.0)
            header.ispg = fields.ispg
            header.dmin, header.dmax, header.dmean, header.rms = fields.dmin, fields.dmax, fields.dmean, fields.rms
            # mrcfile stamps the creation time into label 0; a fixed label keeps the bytes deterministic.
            header.label[:] = b""
            header.label[0] = CANONICAL_LABEL
            header.nlabl = 1
