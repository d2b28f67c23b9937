"""Read the central z slab of one level of an OME-Zarr image from a :class:`~ingest.storage.base.Storage` (local or S3
alike), fetching only the chunks the slab touches: the key images never read a whole volume.

The level is the coarsest of the pyramid whose shorter in-plane side still has ``min_pixels`` pixels (level 0 when
none has); the slab is ``depth`` level-0 slices deep, i.e. ``depth / factor`` slices of the chosen level.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import zarr
from numpy.typing import NDArray
from zarr.core.buffer import cpu
from zarr.storage import MemoryStore

from ingest.errors import InputFileError
from ingest.storage.base import Storage


@dataclass(frozen=True)
class ZarrLevel:
    """One array of a multiscale image: its path in the group, shape (z, y, x) and zarr format."""

    path: str
    shape: tuple[int, int, int]
    zarr_format: int
    metadata: dict[str, bytes]  # metadata document name -> bytes (``.zarray`` or ``zarr.json``)


@dataclass(frozen=True)
class Slab:
    """The slab read: its voxels (z, y, x) at ``level``, ``factor`` level-0 voxels per voxel in y and x, its z
    extent in level-0 voxels (first, last), the level-0 shape, and how many stored bytes were read for it."""

    data: NDArray[Any]
    level: int
    factor: int
    z_range: tuple[int, int]
    full_shape: tuple[int, int, int]
    bytes_read: int


def read_levels(storage: Storage, zarr_key: str) -> list[ZarrLevel]:
    """The levels of the OME-Zarr image at ``zarr_key``, finest first (NGFF 0.4 on zarr 2 or 0.5 on zarr 3)."""
    if storage.exists(f"{zarr_key}/zarr.json"):
        group = json.loads(storage.read_bytes(f"{zarr_key}/zarr.json"))
        multiscales = group.get("attributes", {}).get("ome", {}).get("multiscales")
        zarr_format, document = 3, "zarr.json"
    else:
        multiscales = json.loads(storage.read_bytes(f"{zarr_key}/.zattrs")).get("multiscales")
        zarr_format, document = 2, ".zarray"
    if not multiscales:
        raise InputFileError("not an OME-Zarr image", where=storage.url_of(zarr_key), expected="multiscales metadata")
    levels = []
    for dataset in multiscales[0]["datasets"]:
        path = str(dataset["path"])
        raw = storage.read_bytes(f"{zarr_key}/{path}/{document}")
        shape = tuple(int(n) for n in json.loads(raw)["shape"])
        if len(shape) != 3:
            raise InputFileError(
                "not a 3-D image", where=storage.url_of(f"{zarr_key}/{path}"), expected="axes z, y, x", found=str(shape)
            )
        levels.append(ZarrLevel(path, (shape[0], shape[1], shape[2]), zarr_format, {document: raw}))
    return levels


def choose_level(levels: list[ZarrLevel], min_pixels: int) -> int:
    """The coarsest level whose shorter in-plane side has at least ``min_pixels`` pixels (else level 0)."""
    chosen = 0
    for index, level in enumerate(levels):
        if min(level.shape[1:]) >= min_pixels:
            chosen = index
    return chosen


def read_central_slab(
    storage: Storage, zarr_key: str, *, depth: int, min_pixels: int = 512, level: int | None = None
) -> Slab:
    """The central slab of ``zarr_key`` (see the module docstring); ``level`` forces a level (masks are read at
    the level of their tomogram's preview)."""
    levels = read_levels(storage, zarr_key)
    index = choose_level(levels, min_pixels) if level is None else min(level, len(levels) - 1)
    chosen, full = levels[index], levels[0].shape
    factor = max(round(full[2] / chosen.shape[2]), 1)
    z_factor = max(round(full[0] / chosen.shape[0]), 1)
    slices = max(round(depth / z_factor), 1)
    first = max(chosen.shape[0] // 2 - slices // 2, 0)
    last = min(first + slices, chosen.shape[0])
    data, read = _read_z_range(storage, f"{zarr_key}/{chosen.path}", chosen, first, last)
    return Slab(data, index, factor, (first * z_factor, last * z_factor), full, read)


def _read_z_range(storage: Storage, key: str, level: ZarrLevel, first: int, last: int) -> tuple[NDArray[Any], int]:
    store: dict[str, Any] = {name: cpu.Buffer.from_bytes(raw) for name, raw in level.metadata.items()}
    array = zarr.open_array(MemoryStore(store), mode="r", zarr_format=level.zarr_format)  # type: ignore[arg-type]
    chunks = array.chunks
    present = set(storage.list_keys(key))
    read = 0
    grid = [range(math.ceil(n / c)) for n, c in zip(level.shape[1:], chunks[1:], strict=True)]
    for cz in range(first // chunks[0], (last - 1) // chunks[0] + 1):
        for cy in grid[0]:
            for cx in grid[1]:
                name = array.metadata.encode_chunk_key((cz, cy, cx))
                if f"{key}/{name}" in present:  # a missing chunk holds the fill value
                    raw = storage.read_bytes(f"{key}/{name}")
                    read += len(raw)
                    store[name] = cpu.Buffer.from_bytes(raw)
    return np.asarray(array[first:last]), read


def chunk_boxes(storage: Storage, zarr_key: str) -> tuple[ZarrLevel, tuple[int, int, int], list[tuple[slice, ...]]]:
    """Level 0 of the OME-Zarr image at ``zarr_key``, its chunk shape (z, y, x) and the box of every chunk."""
    level = read_levels(storage, zarr_key)[0]
    store: dict[str, Any] = {name: cpu.Buffer.from_bytes(raw) for name, raw in level.metadata.items()}
    array = zarr.open_array(MemoryStore(store), mode="r", zarr_format=level.zarr_format)  # type: ignore[arg-type]
    chunks = (int(array.chunks[0]), int(array.chunks[1]), int(array.chunks[2]))
    grid = [range(0, n, c) for n, c in zip(level.shape, chunks, strict=True)]
    boxes = [
        tuple(slice(start, min(start + c, n)) for start, c, n in zip(corner, chunks, level.shape, strict=True))
        for corner in ((z, y, x) for z in grid[0] for y in grid[1] for x in grid[2])
    ]
    return level, chunks, boxes


def read_box(storage: Storage, zarr_key: str, level: ZarrLevel, box: tuple[slice, ...]) -> NDArray[Any]:
    """The voxels of ``box`` (z, y, x slices) of ``level`` of ``zarr_key``, reading only the chunks it touches."""
    key = f"{zarr_key}/{level.path}"
    store: dict[str, Any] = {name: cpu.Buffer.from_bytes(raw) for name, raw in level.metadata.items()}
    array = zarr.open_array(MemoryStore(store), mode="r", zarr_format=level.zarr_format)  # type: ignore[arg-type]
    ranges = [range(part.start // c, (part.stop - 1) // c + 1) for part, c in zip(box, array.chunks, strict=True)]
    for index in ((z, y, x) for z in ranges[0] for y in ranges[1] for x in ranges[2]):
        name = array.metadata.encode_chunk_key(index)
        if storage.exists(f"{key}/{name}"):  # a missing chunk holds the fill value
            store[name] = cpu.Buffer.from_bytes(storage.read_bytes(f"{key}/{name}"))
    return np.asarray(array[box])
