"""The pooled pieces of coarse chunks, kept in a scratch folder until the last piece of their chunk arrives.

A coarse chunk of the pyramid is assembled from the pooled blocks of the chunks under it (8 pieces of 128³ for
a 256³ chunk of a 2×2×2 pyramid). Kept in memory, the pieces of the chunks still open at every level grow
with the volume: up to a whole 256³ float32 chunk (64 MiB) per coarse level once the volume is large enough
to fill one. Written out as they are made and read back when their chunk is complete, they live in the page
cache instead, which the kernel can write back and drop under memory pressure, so that the converter's own
memory is the same at every size. Pieces go out and come back a slab of planes at a time (no piece-sized
buffer), and piece files are reused rather than deleted: overwriting cached pages is cheaper than getting new
ones, and the whole folder goes when the pass ends.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

PieceKey = tuple[int, tuple[int, int, int]]  # (level, chunk index) of the chunk the piece belongs to
Offset = tuple[int, int, int]

_READ_BYTES = 512 << 10


class SpilledPieces:
    """Pieces of coarse chunks as raw files under ``folder``, each remembered with its place in its chunk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._pieces: dict[PieceKey, list[tuple[Offset, tuple[int, int, int], Path]]] = {}
        self._free_files: list[Path] = []
        self._files = 0

    def put(self, chunk: PieceKey, offset: Offset, slabs: Iterable[NDArray[Any]]) -> None:
        """Store the piece of ``chunk`` at ``offset`` given as consecutive C-contiguous slabs of z planes."""
        with self._lock:
            if self._free_files:
                path = self._free_files.pop()
            else:
                self._files += 1
                path = self.folder / f"piece-{self._files}.raw"
        planes, plane_shape = 0, (0, 0)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for slab in slabs:
                planes, plane_shape = planes + slab.shape[0], (slab.shape[1], slab.shape[2])
                data = slab.data.cast("B")
                while data:
                    data = data[os.write(descriptor, data) :]
        finally:
            os.close(descriptor)
        with self._lock:
            self._pieces.setdefault(chunk, []).append((offset, (planes, *plane_shape), path))

    def assemble(self, chunk: PieceKey, out: NDArray[Any]) -> None:
        """Fill ``out`` (the whole chunk) with every stored piece of ``chunk`` and forget them."""
        with self._lock:
            pieces = self._pieces.pop(chunk, [])
        for (z, y, x), (depth, height, width), path in pieces:
            step = max(1, _READ_BYTES // max(1, height * width * out.itemsize))
            slab = np.empty((min(step, depth), height, width), dtype=out.dtype)
            with path.open("rb", buffering=0) as file:
                for start in range(0, depth, step):
                    part = slab[: min(step, depth - start)]
                    read = file.readinto(part.data.cast("B"))
                    if read != part.nbytes:
                        raise OSError(f"{path}: scratch piece ends early ({read} of {part.nbytes} bytes read)")
                    out[z + start : z + start + part.shape[0], y : y + height, x : x + width] = part
            with self._lock:
                self._free_files.append(path)

    def __len__(self) -> int:
        """How many pieces are stored and not yet assembled."""
        with self._lock:
            return sum(len(pieces) for pieces in self._pieces.values())
