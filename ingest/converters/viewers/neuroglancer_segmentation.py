"""Neuroglancer precomputed segmentation of a mask, as the portal's precompute step writes it
(``cryoet_data_portal_neuroglancer`` ``precompute/segmentation_mask.py``): one scale, ``uint32`` labels in the
``compressed_segmentation`` encoding with 64³ blocks, one chunk file per chunk of the mask's OME-Zarr level 0 under
``data/`` named ``{x0}-{x1}_{y0}-{y1}_{z0}-{z1}``, and an ``info`` whose ``resolution`` is the voxel spacing (the
state's source transform gives the metres) and, when the segments have meshes, ``"mesh": "mesh"`` naming the
folder of their single-resolution meshes (:mod:`ingest.converters.viewers.mask_mesh`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

BLOCK = (64, 64, 64)
"""The compressed-segmentation block size (z, y, x), as the portal's."""

DATA_KEY = "data"
"""The folder of the chunk files inside the precomputed folder."""

MESH_KEY = "mesh"
"""The folder of the segments' meshes inside the precomputed folder."""

_BITS = (0, 1, 2, 4, 8, 16, 32)


def chunk_name(start: tuple[int, int, int], stop: tuple[int, int, int]) -> str:
    """The file name of the chunk spanning ``start`` to ``stop`` (z, y, x voxels): ``x0-x1_y0-y1_z0-z1``."""
    return "_".join(f"{start[axis]}-{stop[axis]}" for axis in (2, 1, 0))


def segmentation_info(
    size: tuple[int, int, int], chunk: tuple[int, int, int], voxel_spacing: float, *, mesh: bool = False
) -> dict[str, Any]:
    """The ``info`` of a segmentation of ``size`` voxels (z, y, x) stored in chunks of ``chunk`` (z, y, x); with
    ``mesh``, naming the :data:`MESH_KEY` folder of its segments' meshes."""
    info: dict[str, Any] = {
        "@type": "neuroglancer_multiscale_volume",
        "data_type": "uint32",
        "num_channels": 1,
        "type": "segmentation",
        "scales": [
            {
                "key": DATA_KEY,
                "size": list(size[::-1]),
                "chunk_sizes": [list(chunk[::-1])],
                "encoding": "compressed_segmentation",
                "compressed_segmentation_block_size": list(BLOCK[::-1]),
                "resolution": [voxel_spacing] * 3,
                "voxel_offset": [0, 0, 0],
            }
        ],
    }
    if mesh:
        info["mesh"] = MESH_KEY
    return info


def encode_chunk(data: NDArray[Any]) -> bytes:
    """One chunk (z, y, x; non-negative integer labels) in Neuroglancer's ``compressed_segmentation`` encoding of
    one ``uint32`` channel: per 64³ block (x fastest) a header of its lookup-table offset and bit width and of its
    packed values' offset; a lookup table shared by the blocks holding the same labels."""
    if data.ndim != 3:
        raise ValueError(f"a chunk is 3-D (z, y, x), got shape {data.shape}")
    if data.size and int(data.min()) < 0:
        raise ValueError("segmentation labels are non-negative")
    grid = tuple(-(-n // b) for n, b in zip(data.shape, BLOCK, strict=True))
    words: list[NDArray[np.uint32]] = [np.zeros(2 * grid[0] * grid[1] * grid[2], dtype=np.uint32)]
    headers = words[0]
    position = headers.size  # in 32-bit words, from the start of the channel's data
    tables: dict[bytes, tuple[int, int]] = {}
    for index, (z, y, x) in enumerate(np.ndindex(grid)):
        block = data[
            z * BLOCK[0] : (z + 1) * BLOCK[0], y * BLOCK[1] : (y + 1) * BLOCK[1], x * BLOCK[2] : (x + 1) * BLOCK[2]
        ]
        if block.shape != BLOCK:  # edge blocks are padded with their first value
            padding = [(0, b - n) for n, b in zip(block.shape, BLOCK, strict=True)]
            block = np.pad(block, padding, mode="constant", constant_values=block.flat[0])
        if block.min() == block.max():  # most blocks of a mask hold one label: no values to pack
            values, inverse = block.reshape(-1)[:1], np.zeros(block.size, dtype=np.intp)
        else:
            values, inverse = np.unique(block, return_inverse=True)
        table = values.astype(np.uint32)
        bits = next(b for b in _BITS if 2**b >= len(values))
        key = table.tobytes()
        if key not in tables:
            tables[key] = (position, bits)
            words.append(table)
            position += table.size
        table_offset, _ = tables[key]
        packed = _pack(inverse.reshape(-1).astype(np.uint32), bits)
        headers[2 * index] = table_offset | (bits << 24)
        headers[2 * index + 1] = position
        words.append(packed)
        position += packed.size
    channel_offsets = np.array([1], dtype=np.uint32)  # one channel, its data right after this word
    return b"".join(part.astype("<u4").tobytes() for part in (channel_offsets, *words))


def _pack(values: NDArray[np.uint32], bits: int) -> NDArray[np.uint32]:
    """``values`` of ``bits`` bits each packed into 32-bit words, the first value in the lowest bits."""
    if bits == 0:
        return np.zeros(0, dtype=np.uint32)
    per_word = 32 // bits
    padded = np.pad(values, (0, -values.size % per_word))
    lanes = padded.reshape(-1, per_word).astype(np.uint64) << (np.arange(per_word, dtype=np.uint64) * bits)
    packed: NDArray[np.uint32] = np.bitwise_or.reduce(lanes, axis=1).astype(np.uint32)
    return packed
