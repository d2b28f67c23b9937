"""The pooled pieces of coarse chunks, kept in a scratch folder until the last piece of their chunk arrives.

A coarse chunk of the pyramid is assembled from the pooled blocks of the chunks under it (8 pieces of 128³ for
a 256³ chunk of a 2×2×2 pyramid). Kept in memory, the pieces of the chunks still open at every level grow
with the volume: up to a whole 256³ float32 chunk (64 MiB) per coarse level once the volume is large enough
to fill one. Written out as they are made and read back when their chunk is complete, they live in the page
cache instead, which the kernel can write back and drop under memory pressure, so that the converter's own
memory is the same at every size. Piece files are reused rather than deleted: overwriting cached pages is
cheaper than getting new ones, and the whole folder goes when the pass ends.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ingest.converters.buffer_pool import BufferPool

PieceKey = tuple[int, tuple[int, int, int]]  # (level, chunk index) of the chunk the piece belongs to
Offset = tuple[int, int, int]


class SpilledPieces:
    """Pieces of coarse chunks as raw files under ``folder``, each remembered with its place in its chunk."""

    def __init__(self, folder: Path, buffers: BufferPool) -> None:
        self.folder = folder
        self._buffers = buffers  # pieces are read back through these
        self._lock = threading.Lock()
        self._pieces: dict[PieceKey, list[tuple[Offset, tuple[int, ...], Path]]] = {}
        self._free_files: list[Path] = []
        self._files = 0

    def put(self, chunk: PieceKey, offset: Offset, piece: NDArray[Any]) -> None:
        """Store ``piece`` (C-contiguous), the part of ``chunk`` at ``offset``; ``piece`` may be reused afterwards."""
        with self._lock:
            if self._free_files:
                path = self._free_files.pop()
            else:
                self._files += 1
                path = self.folder / f"piece-{self._files}.raw"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            data = piece.data.cast("B")
            while data:
                data = data[os.write(descriptor, data) :]
        finally:
            os.close(descriptor)
        with self._lock:
            self._pieces.setdefault(chunk, []).append((offset, piece.shape, path))

    def assemble(self, chunk: PieceKey, out: NDArray[Any]) -> None:
        """Fill ``out`` (the whole chunk) with every stored piece of ``chunk`` and forget them."""
        with self._lock:
            pieces = self._pieces.pop(chunk, [])
        for offset, shape, path in pieces:
            piece = self._buffers.take(shape)
            with path.open("rb") as file:
                read = file.readinto(piece.data.cast("B"))
            if read != piece.nbytes:
                raise OSError(f"{path}: scratch piece holds {read} bytes, expected {piece.nbytes}")
            out[tuple(slice(start, start + size) for start, size in zip(offset, shape, strict=True))] = piece
            self._buffers.give(piece)
            with self._lock:
                self._free_files.append(path)

    def __len__(self) -> int:
        """How many pieces are stored and not yet assembled."""
        with self._lock:
            return sum(len(pieces) for pieces in self._pieces.values())
