"""Volume conversion: an MRC or OME-Zarr source to a multiscale OME-Zarr and a canonical MRC, in one pass.

:func:`open_volume` opens a source as a lazy dask array with its header facts; :func:`convert_volume` streams
it (memory does not grow with the volume) into three pyramid levels and, optionally, the canonical MRC of
level 0. Outputs are staged under temporary sibling names and renamed into place only when complete; on any
error they are removed. docs/design.md §4 ("Volumes") is the contract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np

from ingest.converters.volumes.kind import VolumeKind
from ingest.converters.volumes.masks import MaskLabel, MaskRule, rescale_nearest
from ingest.converters.volumes.mrc import LazyRegions, read_mrc
from ingest.converters.volumes.ome_zarr import NgffVersion, read_ome_zarr
from ingest.converters.volumes.os_features import usable_cores
from ingest.converters.volumes.types import LevelInfo, ProgressCallback, RegionSource, SourceInfo, VolumeResult
from ingest.converters.volumes.value_stats import ValueStats
from ingest.converters.volumes.writer import MrcData, VolumePlan, refuse_impossible_work, write_volume
from ingest.errors import InputFileError, UsageError
from ingest.storage.staging import refuse_overwriting_sources

__all__ = [
    "LevelInfo",
    "MaskLabel",
    "MaskRule",
    "NgffVersion",
    "ProgressCallback",
    "SourceInfo",
    "ValueStats",
    "VolumeKind",
    "VolumeResult",
    "convert_volume",
    "open_volume",
]


def open_volume(path: Path) -> tuple[da.Array, SourceInfo]:
    """Open an MRC file or an OME-Zarr/zarr folder as a lazy (z, y, x) dask array and its header facts."""
    array, info, _ = _open(path)
    return array, info


def _open(
    path: Path | str, storage_options: Mapping[str, Any] | None = None
) -> tuple[da.Array, SourceInfo, RegionSource]:
    """The source as a dask array, its header facts, and a reader of regions that bypasses dask; ``path`` as text
    is the URL of an OME-Zarr read in place (with ``storage_options``)."""
    if isinstance(path, str):
        return _open_zarr(path, storage_options)
    if not path.exists():
        raise InputFileError("source volume does not exist", where=str(path))
    if path.is_dir():
        return _open_zarr(path, None)
    mrc = read_mrc(path)
    chunks = tuple(min(256, n) for n in mrc.data.shape)
    # An explicit name: dask would otherwise hash every byte of the file to name the array.
    stat = path.stat()
    name = f"mrc-{path.resolve()}-{stat.st_size}-{stat.st_mtime_ns}"
    array = da.from_array(LazyRegions(mrc.data), chunks=chunks, asarray=True, name=name)  # type: ignore[no-untyped-call]
    info = SourceInfo(
        path=path,
        format="mrc",
        shape=_shape3(mrc.data.shape),
        dtype=str(mrc.data.dtype),
        voxel_size=mrc.voxel_size,
        mrc_mode=mrc.mode,
        extended_header=mrc.extended_header,
        exttyp=mrc.exttyp,
        data_offset=mrc.data_offset,
        warnings=mrc.warnings,
        axis_order=mrc.axis_order,
    )
    data = mrc.data
    return array, info, RegionSource(info.shape, np.dtype(data.dtype), lambda region: data[region])


def _open_zarr(
    path: Path | str, storage_options: Mapping[str, Any] | None
) -> tuple[da.Array, SourceInfo, RegionSource]:
    zarr_source = read_ome_zarr(path, storage_options)
    info = SourceInfo(
        path=path,
        format="zarr",
        shape=_shape3(zarr_source.data.shape),
        dtype=str(zarr_source.data.dtype),
        voxel_size=zarr_source.voxel_size,
        mrc_mode=None,
        extended_header=b"",
        exttyp=b"",
        data_offset=None,
        warnings=zarr_source.warnings,
    )
    regions = RegionSource(info.shape, np.dtype(zarr_source.data.dtype), zarr_source.read)
    return zarr_source.data, info, regions


def convert_volume(
    source: Path | str,
    zarr_out: Path,
    *,
    voxel_spacing: float,
    kind: VolumeKind = VolumeKind.TOMOGRAM,
    mrc_out: Path | None = None,
    mask: MaskRule | None = None,
    ngff: NgffVersion = NgffVersion.V04,
    rescale_to: tuple[int, int, int] | None = None,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> VolumeResult:
    """Convert ``source`` into a 3-level OME-Zarr at ``zarr_out`` (and the canonical MRC at ``mrc_out``).

    ``voxel_spacing`` (Å) always wins over the source header. ``mask`` applies to semantic masks (default
    ``MaskLabel(1)``); ``rescale_to`` regrids a mask to the tomogram's (z, y, x) shape by nearest neighbour.
    ``workers`` threads (default: the usable cores) read, encode and write chunks; lazy sources are computed
    block by block with dask's synchronous scheduler named explicitly, so this also works inside a
    dask.distributed task without touching its client. ``source`` given as text is the URL of an OME-Zarr
    (``s3://bucket/image.zarr``), read in place with the fsspec ``storage_options``.
    """
    kind, ngff = VolumeKind(kind), NgffVersion(ngff)
    if not (math.isfinite(voxel_spacing) and voxel_spacing > 0):
        raise InputFileError(
            "voxel spacing must be a positive number of Å", where=str(source), found=f"{voxel_spacing}"
        )
    if mask is not None and not math.isfinite(mask.value):
        raise UsageError("a mask label or threshold must be a finite number", where=str(source), found=f"{mask}")
    if mask is not None and kind is not VolumeKind.SEMANTIC_MASK:
        raise UsageError("a mask label or threshold applies to semantic masks only", found=f"kind {kind.value}")
    if rescale_to is not None and kind not in (VolumeKind.SEMANTIC_MASK, VolumeKind.INSTANCE_MASK):
        raise UsageError("rescaling applies to masks only", found=f"kind {kind.value}")
    outputs = {"the OME-Zarr output": zarr_out, **({"the MRC output": mrc_out} if mrc_out is not None else {})}
    refuse_overwriting_sources(outputs, {"the source volume": source} if isinstance(source, Path) else {})
    _, info, data = _open(source, storage_options)
    if isinstance(mask, MaskLabel):
        _check_label_can_occur(mask, data.dtype, info)
    if rescale_to is not None:
        data = rescale_nearest(data, rescale_to, where=str(source))
    refuse_impossible_work(data.shape, kind, zarr_out, mrc_out)
    plan = VolumePlan(
        source=info,
        data=data,
        zarr_out=zarr_out,
        mrc_out=mrc_out,
        kind=kind,
        voxel_spacing=float(voxel_spacing),
        mask=mask if mask is not None else MaskLabel(1),
        ngff=ngff,
        mrc_data=MrcData.COPIED if rescale_to is None and _is_plain_float32_mrc(info, kind) else MrcData.STREAMED,
        workers=workers or usable_cores(),
    )
    return write_volume(plan, progress=progress)


def _check_label_can_occur(mask: MaskLabel, dtype: np.dtype[Any], info: SourceInfo) -> None:
    """Refuse a mask label no voxel of an integer source can hold (it would give a silently empty mask)."""
    if not np.issubdtype(dtype, np.integer):
        return
    limits = np.iinfo(dtype)
    if float(mask.value).is_integer() and limits.min <= mask.value <= limits.max:
        return
    raise InputFileError(
        "mask label cannot occur in this source",
        where=str(info.path),
        expected=f"an integer label within {dtype} range {limits.min}..{limits.max}",
        found=f"mask label {mask.value:g} (source mode {info.mrc_mode}, read as {dtype})",
    )


def _is_plain_float32_mrc(info: SourceInfo, kind: VolumeKind) -> bool:
    in_file_order = info.axis_order == (0, 1, 2)
    return info.format == "mrc" and in_file_order and info.dtype == "float32" and kind.output_dtype == np.float32


def _shape3(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (int(shape[0]), int(shape[1]), int(shape[2]))
