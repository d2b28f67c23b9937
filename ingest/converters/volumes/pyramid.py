"""The multiscale pyramid: level geometry and the pure block kernels that build one level from the one below.

Level ``i`` has shape ``ceil(n / f**i)`` per axis (``f`` is 2, or 1 for the z axis of a tilt series). Pooling
works on *sums* so that a block at an odd-sized edge is the mean of the voxels that exist, at every level:
level 2 is not the mean of level-1 means (which would over-weight edge voxels) but the level-2 block sum
divided by the number of level-0 voxels it covers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

Shape3 = tuple[int, int, int]

_SLAB_BYTES = 512 << 10


class Pooling(Enum):
    """How a coarse voxel is made from the block of finer voxels under it."""

    MEAN = "mean"  # mean of the voxels that exist (images)
    ANY = "any"  # 1 when any voxel is non-zero: the mean of a 0/1 mask, then > 0
    STRIDE = "stride"  # the first voxel of the block (labels: nearest neighbour, never mixes ids)


@dataclass(frozen=True)
class PyramidGeometry:
    """Shapes and chunk shapes of every level, and the per-axis downsampling factor between levels."""

    factors: Shape3
    shapes: tuple[Shape3, ...]
    chunks: tuple[Shape3, ...]

    @property
    def levels(self) -> int:
        """Number of levels, level 0 included."""
        return len(self.shapes)

    def scale_of(self, level: int) -> Shape3:
        """How many level-0 voxels one voxel of ``level`` spans, per axis."""
        z, y, x = self.factors
        return (z**level, y**level, x**level)

    def chunk_extent(self, level: int) -> Shape3:
        """The extent of one chunk of ``level`` measured in level-0 voxels."""
        scale = self.scale_of(level)
        return (
            self.chunks[level][0] * scale[0],
            self.chunks[level][1] * scale[1],
            self.chunks[level][2] * scale[2],
        )


def plan_geometry(shape: Shape3, factors: Shape3, chunks: Shape3, levels: int) -> PyramidGeometry:
    """Level shapes ``ceil(n / f**i)`` and chunk shapes ``chunks`` clipped to each level's shape."""
    shapes: list[Shape3] = []
    level_chunks: list[Shape3] = []
    for level in range(levels):
        level_shape = (
            math.ceil(shape[0] / factors[0] ** level),
            math.ceil(shape[1] / factors[1] ** level),
            math.ceil(shape[2] / factors[2] ** level),
        )
        shapes.append(level_shape)
        level_chunks.append(
            (min(chunks[0], level_shape[0]), min(chunks[1], level_shape[1]), min(chunks[2], level_shape[2]))
        )
    return PyramidGeometry(factors=factors, shapes=tuple(shapes), chunks=tuple(level_chunks))


def pooled_shape(shape: tuple[int, ...], factors: Shape3) -> Shape3:
    """The shape of ``shape`` pooled by ``factors``: ``ceil(n / f)`` per axis."""
    return (-(-shape[0] // factors[0]), -(-shape[1] // factors[1]), -(-shape[2] // factors[2]))


def _pair_along(block: NDArray[Any], axis: int, pooling: Pooling, out: NDArray[Any]) -> None:
    """Combine neighbouring pairs along ``axis`` into ``out``; an odd last element is kept alone."""
    along = (slice(None),) * axis
    if pooling is Pooling.STRIDE:
        np.copyto(out, block[(*along, slice(None, None, 2))])
        return
    length = block.shape[axis]
    pairs = length // 2
    combine = np.add if pooling is Pooling.MEAN else np.maximum
    combine(
        block[(*along, slice(0, 2 * pairs, 2))],
        block[(*along, slice(1, 2 * pairs, 2))],
        out=out[(*along, slice(0, pairs))],
    )
    if length % 2:
        out[(*along, slice(pairs, pairs + 1))] = block[(*along, slice(length - 1, length))]


def pool_block(
    block: NDArray[Any], factors: Shape3, pooling: Pooling, *, out: NDArray[Any] | None = None
) -> NDArray[Any]:
    """Pool ``block`` by ``factors`` (each 1 or 2): sums for MEAN, maxima for ANY, strides for STRIDE.

    The result goes into ``out`` when given (it must have the pooled shape).
    """
    if out is None:
        out = np.empty(pooled_shape(block.shape, factors), dtype=block.dtype)
    done = 0
    for slab in pooled_slabs(block, factors, pooling):
        out[done : done + slab.shape[0]] = slab
        done += slab.shape[0]
    return out


def pooled_slabs(block: NDArray[Any], factors: Shape3, pooling: Pooling) -> Iterator[NDArray[Any]]:
    """``block`` pooled by ``factors``, a slab of pooled z planes at a time, in order.

    Each slab comes from about 512 KiB of the block's planes, so that the passes over each axis run from the CPU
    cache and nothing block-sized is allocated; a slab is a reused buffer, valid until the next one is asked for.
    """
    axes = [axis for axis, factor in enumerate(factors) if factor == 2]
    if not axes:
        yield block
        return
    depth = factors[0]
    plane_bytes = max(1, block.shape[1] * block.shape[2] * block.itemsize)
    step = min(block.shape[0], max(depth, _SLAB_BYTES // plane_bytes // depth * depth))
    # The buffers of one slab, made once and reused by every slab (fresh memory is slow).
    shape, buffers = [step, block.shape[1], block.shape[2]], []
    for axis in axes:
        shape[axis] = -(-shape[axis] // 2)
        buffers.append(np.empty(shape, dtype=block.dtype))
    for start in range(0, block.shape[0], step):
        current = block[start : start + step]
        for axis, buffer in zip(axes, buffers, strict=True):
            target = buffer[: -(-current.shape[0] // 2) if axis == 0 else current.shape[0]]
            _pair_along(current, axis, pooling, target)
            current = target
        yield current


def voxel_counts(start: int, stop: int, block: int, total: int) -> NDArray[np.float32]:
    """Level-0 voxels under each coarse voxel ``start..stop`` along an axis of ``total`` level-0 voxels."""
    first = np.arange(start, stop, dtype=np.int64) * block
    return (np.minimum(first + block, total) - first).astype(np.float32)


def sums_to_means(
    sums: NDArray[np.float32], origin: Shape3, scale: Shape3, level0_shape: Shape3
) -> NDArray[np.float32]:
    """Turn block sums (a region of a level starting at ``origin``) into means, in place, and return them.

    Each block is divided by the number of level-0 voxels it covers, so edge blocks average what exists.
    """
    counts = [
        voxel_counts(origin[axis], origin[axis] + sums.shape[axis], scale[axis], level0_shape[axis])
        for axis in range(3)
    ]
    if all(bool((count == scale[axis]).all()) for axis, count in enumerate(counts)):
        sums *= np.float32(1.0 / (scale[0] * scale[1] * scale[2]))
    else:
        sums /= counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
    return sums
