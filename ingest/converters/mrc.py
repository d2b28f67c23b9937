"""MRC volumes: a permissive memory-mapped reader and the canonical MRC writer.

The reader checks what ``mrcfile`` only warns about in permissive mode (size, mode, dimensions) and turns real
breakage into :class:`~ingest.errors.InputFileError`; legacy quirks (missing ``MAP `` stamp, odd machine stamps)
become notes in :attr:`MrcSource.warnings`. The writer streams blocks into a memory-mapped file (dirty file
pages, not process memory) or, when the source bytes already are the output bytes, copies them without passing
through user space (:func:`ingest.converters.file_copy.copy_byte_range`: direct I/O, else ``copy_file_range``).
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrcfile
import mrcfile.dtypes
import mrcfile.utils
import numpy as np
from numpy.typing import NDArray

from ingest.converters.file_copy import copy_byte_range
from ingest.converters.os_features import CURRENT, OsFeatures
from ingest.converters.output_writes import reserve_space, write_all, writing
from ingest.errors import InputFileError
from ingest.mrc_header import HEADER_BYTES, parse_mrc_header_bytes
from ingest.special_files import refuse_special_file

SUPPORTED_MODES = {0: "int8", 1: "int16", 2: "float32", 6: "uint16", 12: "float16"}
OUTPUT_MODES = {np.dtype(np.float32): 2, np.dtype(np.int8): 0, np.dtype(np.uint16): 6}


@dataclass(frozen=True)
class MrcSource:
    """An opened MRC source: the data as a read-only memory map (z, y, x) and the header facts we keep."""

    data: np.memmap[Any, np.dtype[Any]]
    voxel_size: tuple[float, float, float]
    mode: int
    ispg: int
    extended_header: bytes
    exttyp: bytes
    data_offset: int
    warnings: tuple[str, ...]
    axis_order: tuple[int, int, int] = (0, 1, 2)
    """How the file's (sections, rows, columns) axes map to z, y, x: ``data = file.transpose(axis_order)``."""


@dataclass(frozen=True)
class MrcHeaderFields:
    """What the canonical header says besides the data: spacing (Å), space group and value statistics."""

    voxel_spacing: float
    ispg: int
    dmin: float
    dmax: float
    dmean: float
    rms: float


def read_mrc(path: Path) -> MrcSource:
    """Open ``path`` as a memory-mapped MRC volume, checking its header against the file size.

    Mode 0 files whose header ``dmax`` exceeds 127 are read as unsigned bytes (a legacy convention). A 2D image
    becomes a one-section volume. Big-endian files are read in their byte order. ``mapc``/``mapr``/``maps``
    other than 1/2/3 are honoured by transposing the memory map to z, y, x; values that are not a permutation of
    1, 2, 3 are read as 1/2/3 with a warning. A volume stack (``ispg`` 401-630) of more than one volume is refused.
    """
    refuse_special_file(path, str(path))
    size = path.stat().st_size
    _refuse_compressed(path)
    if size < HEADER_BYTES:
        raise InputFileError(
            "not an MRC file", where=str(path), expected="a 1024-byte MRC header", found=f"{size} bytes"
        )
    check_mrc_sizes(path, size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with mrcfile.open(path, mode="r", permissive=True, header_only=True) as mrc:
                header = mrc.header.copy()
                voxel = mrc.voxel_size.copy()
                extended = mrc.extended_header
                extended_bytes = b"" if extended is None else extended.tobytes()
        except (ValueError, OSError) as error:
            raise InputFileError("not a readable MRC file", where=str(path), found=str(error)) from error
    # numpy's "invalid value encountered in divide" (mx/my/mz of 0) is replaced by the clearer note below.
    skipped = ("file size", "encountered in")
    notes = tuple(f"{path}: {w.message}" for w in caught if not any(text in str(w.message) for text in skipped))
    voxel_size = (float(voxel.z), float(voxel.y), float(voxel.x))
    if not all(math.isfinite(v) for v in voxel_size):
        sampling = f"mx/my/mz {int(header.mx)}/{int(header.my)}/{int(header.mz)}, cella {header.cella}"
        notes += (f"{path}: header voxel size undefined ({sampling}); read as 0",)
        z, y, x = (v if math.isfinite(v) else 0.0 for v in voxel_size)
        voxel_size = (z, y, x)
    mode = int(header.mode)
    nx, ny, nz = int(header.nx), int(header.ny), int(header.nz)
    if mode == 101:
        raise InputFileError(
            "4-bit packed MRC (mode 101) is not supported",
            where=str(path),
            expected=f"MRC mode {sorted(SUPPORTED_MODES)}; unpack first, e.g. IMOD `newstack -mode 0`",
            found=f"mode 101, nx/ny/nz {nx}/{ny}/{nz}",
        )
    if mode not in SUPPORTED_MODES or min(nx, ny, nz) < 1:
        stamp = bytes(header.map).decode("ascii", "replace")
        raise InputFileError(
            "not an MRC volume this converter reads",
            where=str(path),
            expected=f"MRC mode {sorted(SUPPORTED_MODES)} and positive nx, ny, nz",
            found=f"mode {mode}, nx/ny/nz {nx}/{ny}/{nz}, map stamp {stamp!r}",
        )
    dtype = mrcfile.utils.data_dtype_from_header(header)
    if mode == 0 and float(header.dmax) > 127:
        dtype = np.dtype(np.uint8)
        notes += (f"{path}: mode 0 with dmax {float(header.dmax):g} > 127, read as unsigned 8-bit",)
    offset = HEADER_BYTES + int(header.nsymbt)
    needed = offset + nx * ny * nz * dtype.itemsize
    if size < needed:
        raise InputFileError(
            "truncated MRC data block",
            where=str(path),
            expected=f"{needed} bytes for {nz}x{ny}x{nx} mode {mode} voxels",
            found=f"{size} bytes",
        )
    if size > needed:
        raise InputFileError(
            "MRC header dimensions disagree with the file size",
            where=str(path),
            expected=f"{needed} bytes for nx/ny/nz {nx}/{ny}/{nz} mode {mode}",
            found=f"{size} bytes",
        )
    _refuse_volume_stack(path, header)
    axis_order, order_notes = _axis_order(path, header)
    data = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(nz, ny, nx)).transpose(axis_order)
    return MrcSource(
        data=data,
        voxel_size=voxel_size,
        mode=mode,
        ispg=int(header.ispg),
        extended_header=extended_bytes,
        exttyp=bytes(header.exttyp),
        data_offset=offset,
        warnings=notes + order_notes,
        axis_order=axis_order,
    )


def check_mrc_sizes(path: Path, size: int) -> None:
    """Compare the header's extended-header and data sizes with the file size before anything is allocated.

    ``mrcfile`` reads the whole extended header into memory: an ``nsymbt`` of 2³¹−1 in a 246 KB file cost 2 GB
    before the size check below it ran. Only the raw 1024 header bytes are read here.
    """
    with path.open("rb") as stream:
        raw = stream.read(HEADER_BYTES)
    header = parse_mrc_header_bytes(raw, where=str(path)).fields
    nsymbt, mode = int(header["nsymbt"]), int(header["mode"])
    nx, ny, nz = int(header["nx"]), int(header["ny"]), int(header["nz"])
    if (mode not in SUPPORTED_MODES and mode != 101) or min(nx, ny, nz) < 1:
        stamp = bytes(header["map"]).decode("ascii", "replace")
        raise InputFileError(
            "not an MRC volume this converter reads",
            where=str(path),
            expected=f"MRC mode {sorted(SUPPORTED_MODES)} and positive nx, ny, nz",
            found=f"mode {mode}, nx/ny/nz {nx}/{ny}/{nz}, map stamp {stamp!r}",
        )
    if nsymbt < 0:
        raise InputFileError(
            "not a readable MRC file", where=str(path), expected="nsymbt >= 0", found=f"nsymbt {nsymbt}"
        )
    if HEADER_BYTES + nsymbt > size:
        raise InputFileError(
            "MRC extended header runs past the end of the file",
            where=str(path),
            expected=f"at least {HEADER_BYTES + nsymbt} bytes (1024-byte header + nsymbt {nsymbt})",
            found=f"{size} bytes",
        )
    if mode in SUPPORTED_MODES:
        needed = HEADER_BYTES + nsymbt + nx * ny * nz * np.dtype(SUPPORTED_MODES[mode]).itemsize
        if needed > size:
            raise InputFileError(
                "truncated MRC data block",
                where=str(path),
                expected=f"{needed} bytes for {nz}x{ny}x{nx} mode {mode} voxels after {nsymbt} extended header bytes",
                found=f"{size} bytes",
            )


def _axis_order(path: Path, header: Any) -> tuple[tuple[int, int, int], tuple[str, ...]]:
    """The transpose taking the file's (sections, rows, columns) to (z, y, x), from ``maps, mapr, mapc``."""
    file_axes = (int(header.maps), int(header.mapr), int(header.mapc))  # 1 = X, 2 = Y, 3 = Z
    stated = f"mapc/mapr/maps {file_axes[2]}/{file_axes[1]}/{file_axes[0]}"
    if sorted(file_axes) != [1, 2, 3]:
        return (0, 1, 2), (f"{path}: {stated} is not a permutation of 1,2,3; read as 1/2/3 (columns = x)",)
    order = (file_axes.index(3), file_axes.index(2), file_axes.index(1))
    if order == (0, 1, 2):
        return order, ()
    return order, (f"{path}: {stated}: the file's sections, rows, columns transposed to z, y, x",)


def _refuse_compressed(path: Path) -> None:
    with path.open("rb") as stream:
        magic = stream.read(3)
    # An uncompressed MRC would need nx >= 35,615 (gzip) or 6,838,850 (bzip2) to start with these bytes.
    compression = "gzip" if magic[:2] == b"\x1f\x8b" else "bzip2" if magic == b"BZh" else None
    if compression is not None:
        raise InputFileError(
            f"{compression}-compressed MRC cannot be memory-mapped",
            where=str(path),
            expected="an uncompressed MRC (decompress it first, e.g. `gunzip` / `bunzip2`)",
            found=f"{compression} magic bytes {magic!r}",
        )


def _refuse_volume_stack(path: Path, header: Any) -> None:
    ispg, nz, mz = int(header.ispg), int(header.nz), int(header.mz)
    if 401 <= ispg <= 630 and 0 < mz < nz:
        raise InputFileError(
            "MRC volume stack holds more than one volume",
            where=str(path),
            expected="one volume (a volume stack must be split first)",
            found=f"ispg {ispg}, nz {nz}, mz {mz}: {nz / mz:g} volumes",
        )


class LazyRegions:
    """Array-like access to a memory map for ``dask.array.from_array``, which copies anything with ``.copy()``.

    Each ``[region]`` returns an in-memory copy of just that region.
    """

    def __init__(self, data: np.memmap[Any, np.dtype[Any]]) -> None:
        self._data = data
        self.shape: tuple[int, ...] = data.shape
        self.dtype: np.dtype[Any] = data.dtype
        self.ndim = data.ndim

    def __getitem__(self, region: Any) -> NDArray[Any]:
        return np.array(self._data[region])


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
