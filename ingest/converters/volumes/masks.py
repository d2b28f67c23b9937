"""Segmentation masks: binarising semantic masks, checking instance labels, and nearest-neighbour regridding.

A semantic mask becomes int8 0/1 by ``data == mask_label`` (:class:`MaskLabel`) or ``data >= threshold``
(:class:`MaskThreshold`). An instance mask keeps its labels as uint16; a label that is negative, fractional or
above 65,535 is an error, never a silent wrap-around.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.types import RegionSource
from ingest.errors import InputFileError, UsageError

MAX_LABEL = int(np.iinfo(np.uint16).max)


@dataclass(frozen=True)
class MaskLabel:
    """Voxels equal to ``value`` are the object (the config's ``mask_label``; default 1)."""

    value: float = 1


@dataclass(frozen=True)
class MaskThreshold:
    """Voxels at or above ``value`` are the object (the config's ``threshold``, for probability maps)."""

    value: float


MaskRule = MaskLabel | MaskThreshold


def binarise(block: NDArray[Any], rule: MaskRule) -> NDArray[np.int8]:
    """The 0/1 int8 mask of ``block`` under ``rule``."""
    selected = block == rule.value if isinstance(rule, MaskLabel) else block >= rule.value
    return selected.view(np.int8)


def to_labels(block: NDArray[Any], *, where: str) -> NDArray[np.uint16]:
    """``block`` as uint16 labels; raise naming ``where`` when a value is not a label that fits."""
    labels = block.astype(np.uint16)
    if block.dtype == np.uint16 or bool(np.array_equal(labels, block)):
        return labels
    lowest, highest = block.min(), block.max()
    if highest > MAX_LABEL or lowest < 0:
        raise InputFileError(
            "instance labels do not fit uint16 (more than 65,535 labels or negative ids)",
            where=where,
            expected=f"integer labels 0..{MAX_LABEL}",
            found=f"values {lowest}..{highest}",
        )
    raise InputFileError(
        "instance mask holds non-integer values", where=where, expected="integer labels", found=f"dtype {block.dtype}"
    )


def present_labels(labels: NDArray[np.uint16]) -> NDArray[np.bool_]:
    """A 65,536-entry table that is True for every label value present in ``labels``."""
    return np.bincount(labels.ravel(), minlength=MAX_LABEL + 1) > 0


MAX_RESCALE_FACTOR = 64
"""The largest regridding factor per axis (masks are usually 2-8x finer or coarser than their tomogram)."""


def rescale_nearest(source: RegionSource, shape: tuple[int, int, int], *, where: str) -> RegionSource:
    """Regrid ``source`` to ``shape`` by nearest neighbour (voxel centres), region by region, for masks on another
    grid. Nothing is computed up front: a region reads only the source voxels it samples (plane by plane), so
    memory stays bounded by the region size. Factors beyond :data:`MAX_RESCALE_FACTOR` per axis are refused."""
    if min(shape) < 1:
        raise UsageError("rescale target must be positive", expected="Z,Y,X > 0", found=str(shape))
    for source_n, target_n in zip(source.shape, shape, strict=True):
        if not source_n / MAX_RESCALE_FACTOR <= target_n <= source_n * MAX_RESCALE_FACTOR:
            raise UsageError(
                "rescale target too far from the source shape",
                where=where,
                expected=f"each axis within {MAX_RESCALE_FACTOR}x of the source shape {source.shape} (z, y, x)",
                found=f"{shape}",
            )

    def nearest(axis: int, part: slice) -> NDArray[np.int64]:
        source_n, target_n = source.shape[axis], shape[axis]
        centres = (np.arange(part.start, part.stop) + 0.5) * (source_n / target_n)
        return np.minimum(np.floor(centres).astype(np.int64), source_n - 1)

    def read(region: tuple[slice, slice, slice]) -> NDArray[Any]:
        zs, ys, xs = (nearest(axis, part) for axis, part in enumerate(region))
        rows = slice(int(ys[0]), int(ys[-1]) + 1)
        columns = slice(int(xs[0]), int(xs[-1]) + 1)
        out = np.empty((len(zs), len(ys), len(xs)), dtype=source.dtype)
        for plane, z in enumerate(zs):
            if plane and z == zs[plane - 1]:
                out[plane] = out[plane - 1]
                continue
            depth = slice(int(z), int(z) + 1)
            if rows.stop - rows.start <= 2 * len(ys):
                block = source.read((depth, rows, columns))[0]
                out[plane] = block[np.ix_(ys - rows.start, xs - columns.start)]
            else:  # coarser target: read only the sampled rows, not the whole span between them
                for row, y in enumerate(ys):
                    out[plane, row] = source.read((depth, slice(int(y), int(y) + 1), columns))[0, 0, xs - columns.start]
        return out

    return RegionSource(shape, source.dtype, read)
