"""The writing half of volume conversion: stage outputs, stream the pyramid, write metadata last, publish.

Each level-0 block is read once from the source, converted to the output dtype (cast, binarised or checked as
labels), checked for NaN/inf, measured, written into the canonical MRC (unless the MRC data is copied in the
kernel because the source bytes already are the output bytes) and handed to the streaming pyramid writer.
"""

from __future__ import annotations

import math
import shutil
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.kind import VolumeKind
from ingest.converters.volumes.masks import MAX_LABEL, MaskRule, binarise, present_labels, to_labels
from ingest.converters.volumes.mrc_writer import CanonicalMrcWriter, MrcHeaderFields
from ingest.converters.volumes.ome_zarr import (
    NgffVersion,
    create_level_arrays,
    multiscales_attributes,
    write_multiscales_metadata,
)
from ingest.converters.volumes.output_writes import writing
from ingest.converters.volumes.pyramid import plan_geometry
from ingest.converters.volumes.streaming import Region, count_chunks, stream_pyramid
from ingest.converters.volumes.types import LEVELS, LevelInfo, ProgressCallback, RegionSource, SourceInfo, VolumeResult
from ingest.converters.volumes.value_stats import StatsAccumulator
from ingest.errors import InputFileError, StorageError
from ingest.storage.staging import StagedOutput


class MrcData(Enum):
    """How the canonical MRC gets its data block."""

    COPIED = "copied from the source file in the kernel (the source bytes already are the output bytes)"
    STREAMED = "written block by block from the converted level 0"


@dataclass(frozen=True)
class VolumePlan:
    """One conversion, fully decided: the source, the outputs and how to write them."""

    source: SourceInfo
    data: RegionSource
    zarr_out: Path
    mrc_out: Path | None
    kind: VolumeKind
    voxel_spacing: float
    mask: MaskRule
    ngff: NgffVersion
    mrc_data: MrcData
    workers: int


def write_volume(plan: VolumePlan, *, progress: ProgressCallback | None) -> VolumeResult:
    """Write the OME-Zarr (and canonical MRC) of ``plan``; on any failure remove every partial output."""
    shape = plan.data.shape
    geometry = plan_geometry(shape, plan.kind.factors, plan.kind.chunks, LEVELS)
    dtype = plan.kind.output_dtype
    zarr_stage = StagedOutput(plan.zarr_out)
    mrc_stage = StagedOutput(plan.mrc_out) if plan.mrc_out is not None else None
    stop_copy = threading.Event()
    copier: _MrcCopy | None = None
    # Pooled pieces wait here for their chunk; the name is a partial sibling, so a killed run's is swept too.
    scratch = zarr_stage.temporary.with_name(f"{zarr_stage.temporary.name}-pieces")
    try:
        with writing(plan.zarr_out):
            zarr_stage.temporary.mkdir()
            arrays = create_level_arrays(zarr_stage.temporary, geometry, dtype, plan.ngff)
        mrc_writer = None
        if mrc_stage is not None:
            mrc_writer = CanonicalMrcWriter(
                mrc_stage.temporary,
                shape,
                dtype,
                plan.source.extended_header,
                plan.source.exttyp,
                reported_as=mrc_stage.final,
            )
            if plan.mrc_data is MrcData.COPIED:
                copier = _MrcCopy(mrc_writer, plan.source, stop_copy)
        blocks = _Level0Blocks(plan, mrc_writer if plan.mrc_data is MrcData.STREAMED else None)
        total, done = count_chunks(geometry), [0]

        def chunk_written() -> None:
            done[0] += 1
            if progress is not None:
                progress(done[0], total)

        def write_chunk(level: int, region: Region, data: NDArray[Any]) -> None:
            with writing(plan.zarr_out):
                arrays[level][region] = data

        with writing(plan.zarr_out):
            scratch.mkdir()
        try:
            stream_pyramid(
                geometry,
                plan.kind.pooling,
                dtype,
                read_level0=blocks.read,
                write_chunk=write_chunk,
                workers=plan.workers,
                scratch=scratch,
                on_chunk=chunk_written,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if copier is not None and (copy_error := copier.join()) is not None:
            raise copy_error
        stats = blocks.stats.result()
        labels = blocks.label_values() if plan.kind is VolumeKind.INSTANCE_MASK else None
        name = plan.zarr_out.name.removesuffix(".zarr")
        attributes = multiscales_attributes(
            geometry, plan.voxel_spacing, plan.ngff, name=name, pooling=plan.kind.pooling, label_values=labels
        )
        with writing(plan.zarr_out):
            write_multiscales_metadata(zarr_stage.temporary, attributes, plan.ngff)
        if mrc_writer is not None and mrc_stage is not None:
            mrc_writer.finish(
                MrcHeaderFields(plan.voxel_spacing, plan.kind.space_group, stats.min, stats.max, stats.mean, stats.rms)
            )
            mrc_stage.publish()
        zarr_stage.publish()
    except BaseException:
        stop_copy.set()
        if copier is not None:
            copier.join()
        zarr_stage.discard()
        if mrc_stage is not None:
            mrc_stage.discard()
        raise
    return VolumeResult(
        kind=plan.kind,
        source=plan.source.path,
        zarr_path=plan.zarr_out,
        mrc_path=plan.mrc_out,
        ngff=plan.ngff,
        voxel_spacing=plan.voxel_spacing,
        dtype=str(dtype),
        levels=tuple(
            LevelInfo(
                path=str(level),
                shape=geometry.shapes[level],
                chunks=geometry.chunks[level],
                scale=tuple(plan.voxel_spacing * f for f in geometry.scale_of(level)),  # type: ignore[arg-type]
            )
            for level in range(geometry.levels)
        ),
        stats=stats,
        label_values=labels or (),
        warnings=plan.source.warnings + _empty_mask_note(plan, stats.max),
    )


class _Level0Blocks:
    """Reads, converts, checks and measures level-0 blocks; feeds the canonical MRC when it is streamed."""

    def __init__(self, plan: VolumePlan, mrc_writer: CanonicalMrcWriter | None) -> None:
        self.plan = plan
        self.mrc_writer = mrc_writer
        self.stats = StatsAccumulator()
        self._labels = np.zeros(MAX_LABEL + 1, dtype=bool)
        self._lock = threading.Lock()

    def read(self, region: Region, out: NDArray[Any]) -> None:
        """Fill ``out`` with the level-0 block of ``region`` in the output dtype; check, measure, copy to the MRC."""
        raw = self.plan.data.read(region)  # never through dask: no client, no task graph of the whole volume
        kind, where = self.plan.kind, str(self.plan.source.path)
        if kind in (VolumeKind.TOMOGRAM, VolumeKind.TILTSERIES):
            np.copyto(out, raw, casting="unsafe")
            low, high = self.stats.add(out)
            if not (np.isfinite(low) and np.isfinite(high)):
                _raise_not_finite(out, region, where)
        else:
            if np.issubdtype(raw.dtype, np.floating) and not bool(np.isfinite(raw).all()):
                _raise_not_finite(np.asarray(raw), region, where)
            if kind is VolumeKind.SEMANTIC_MASK:
                np.copyto(out, binarise(np.asarray(raw), self.plan.mask))
            else:
                np.copyto(out, to_labels(np.asarray(raw), where=where))
                present = present_labels(out)
                with self._lock:
                    self._labels |= present
            self.stats.add(out)
        if self.mrc_writer is not None:
            self.mrc_writer.write_block(region, out)

    def label_values(self) -> tuple[int, ...]:
        """The distinct non-zero labels seen."""
        return tuple(int(v) for v in np.flatnonzero(self._labels) if v != 0)


def _empty_mask_note(plan: VolumePlan, highest: float) -> tuple[str, ...]:
    if plan.kind is not VolumeKind.SEMANTIC_MASK or highest > 0:
        return ()
    return (f"{plan.source.path}: the semantic mask selects no voxel ({plan.mask}); check the label or threshold",)


MAX_VOXELS = 1 << 40
"""The largest level-0 volume converted (1.1·10¹² voxels, 4.4 TB as float32; the largest portal tomograms hold
about 10¹¹): a header or rescale target beyond it is refused as impossible work, not started."""


def refuse_impossible_work(shape: tuple[int, int, int], kind: VolumeKind, zarr_out: Path, mrc_out: Path | None) -> None:
    """Refuse, before anything is written, a volume too big to convert or whose canonical MRC cannot fit the disk."""
    voxels = math.prod(shape)
    described = f"{'x'.join(str(n) for n in shape)} voxels ({voxels:.3g})"
    if voxels > MAX_VOXELS:
        raise InputFileError(
            "volume too large to convert",
            where=str(zarr_out),
            expected=f"at most {MAX_VOXELS:.3g} voxels",
            found=described,
        )
    if mrc_out is None:
        return
    needed = voxels * kind.output_dtype.itemsize
    folder = next((p for p in (mrc_out.parent, *mrc_out.parent.parents) if p.exists()), None)
    free = shutil.disk_usage(folder).free if folder is not None else None
    if free is not None and needed > free:
        raise StorageError(
            "not enough free space for the canonical MRC",
            where=str(mrc_out),
            expected=f"{needed} bytes for {described} of {kind.output_dtype}",
            found=f"{free} bytes free",
        )


def _raise_not_finite(block: NDArray[Any], region: Region, where: str) -> None:
    bad = np.argwhere(~np.isfinite(block))[0]
    position = tuple(int(bad[a]) + region[a].start for a in range(3))
    raise InputFileError(
        "volume holds NaN or infinite voxels",
        where=where,
        expected="finite values",
        found=f"{block[tuple(bad)]} at z,y,x {position}",
    )


class _MrcCopy:
    """Copies the source MRC data block into the canonical MRC in a background thread."""

    def __init__(self, writer: CanonicalMrcWriter, source: SourceInfo, stop: threading.Event) -> None:
        self._error: BaseException | None = None
        offset = source.data_offset or 0

        def run() -> None:
            try:
                writer.copy_data_from(Path(source.path), offset, stop=stop)  # an MRC: always a local file
            except BaseException as error:
                self._error = error

        self._thread = threading.Thread(target=run, name="mrc-copy", daemon=True)
        self._thread.start()

    def join(self) -> BaseException | None:
        """Wait for the copy to end; return the error that stopped it, if any."""
        self._thread.join()
        return self._error
