"""MRC volumes: a permissive memory-mapped reader (the canonical writer is :mod:`ingest.converters.volumes.mrc_writer`).

The reader checks what ``mrcfile`` only warns about in permissive mode (size, mode, dimensions) and turns real
breakage into :class:`~ingest.errors.InputFileError`; legacy quirks (missing ``MAP `` stamp, odd machine stamps)
become notes in :attr:`MrcSource.warnings`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrcfile
import mrcfile.dtypes
import mrcfile.utils
import numpy as np
from numpy.typing import NDArray

from ingest.domain.mrc_header import HEADER_BYTES, parse_mrc_header_bytes
from ingest.errors import InputFileError
from ingest.storage.special_files import refuse_special_file

SUPPORTED_MODES = {0: "int8", 1: "int16", 2: "float32", 6: "uint16", 12: "float16"}


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
    check_mrc_header_sizes(raw, size, where=str(path))


def check_mrc_header_sizes(raw: bytes, size: int, *, where: str) -> None:
    """:func:`check_mrc_sizes` of the header bytes ``raw`` of a file of ``size`` bytes named ``where``."""
    header = parse_mrc_header_bytes(raw, where=where).fields
    nsymbt, mode = int(header["nsymbt"]), int(header["mode"])
    nx, ny, nz = int(header["nx"]), int(header["ny"]), int(header["nz"])
    if (mode not in SUPPORTED_MODES and mode != 101) or min(nx, ny, nz) < 1:
        stamp = bytes(header["map"]).decode("ascii", "replace")
        raise InputFileError(
            "not an MRC volume this converter reads",
            where=where,
            expected=f"MRC mode {sorted(SUPPORTED_MODES)} and positive nx, ny, nz",
            found=f"mode {mode}, nx/ny/nz {nx}/{ny}/{nz}, map stamp {stamp!r}",
        )
    if nsymbt < 0:
        raise InputFileError("not a readable MRC file", where=where, expected="nsymbt >= 0", found=f"nsymbt {nsymbt}")
    if HEADER_BYTES + nsymbt > size:
        raise InputFileError(
            "MRC extended header runs past the end of the file",
            where=where,
            expected=f"at least {HEADER_BYTES + nsymbt} bytes (1024-byte header + nsymbt {nsymbt})",
            found=f"{size} bytes",
        )
    if mode in SUPPORTED_MODES:
        needed = HEADER_BYTES + nsymbt + nx * ny * nz * np.dtype(SUPPORTED_MODES[mode]).itemsize
        if needed > size:
            raise InputFileError(
                "truncated MRC data block",
                where=where,
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
