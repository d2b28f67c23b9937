"""Segmentation masks: binarising semantic masks, checking instance labels, and nearest-neighbour regridding.

A semantic mask becomes int8 0/1 by ``data == mask_label`` (:class:`MaskLabel`) or ``data >= threshold``
(:class:`MaskThreshold`). An instance mask keeps its labels as uint16; a label that is negative, fractional or
above 65,535 is an error, never a silent wrap-around.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
from numpy.typing import NDArray

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


def rescale_nearest(data: da.Array, shape: tuple[int, int, int]) -> da.Array:
    """Regrid ``data`` lazily to ``shape`` by nearest neighbour (voxel centres), for masks on another grid."""
    if min(shape) < 1:
        raise UsageError("rescale target must be positive", expected="Z,Y,X > 0", found=str(shape))
    result = data
    for axis, (source_n, target_n) in enumerate(zip(data.shape, shape, strict=True)):
        if source_n == target_n:
            continue
        centres = (np.arange(target_n) + 0.5) * (source_n / target_n)
        index = np.minimum(np.floor(centres).astype(np.int64), source_n - 1)
        result = da.take(result, index, axis=axis)
    rechunked: da.Array = result.rechunk(tuple(min(256, n) for n in shape))  # type: ignore[no-untyped-call]
    return rechunked
