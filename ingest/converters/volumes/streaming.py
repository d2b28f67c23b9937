"""The one-pass streaming pyramid writer.

Level-0 chunks are visited in hierarchical order (all the level-0 chunks under one level-1 chunk, then the next
level-1 chunk, all under one level-2 chunk, ...). A worker thread reads one level-0 chunk, writes it, pools it and
spills the pooled piece to a scratch folder; the worker that delivers a parent's last piece assembles that parent
from its pieces, writes it and pools it upwards in turn. Every source voxel is read once, each level's chunks are
written once and whole (no read-modify-write), and memory holds one chunk per thread in flight (its block and its
encoded bytes), whatever the size of the volume: no parent is held open while its pieces arrive.
Full-size chunk buffers are recycled through a pool rather than freed (fresh memory costs a page fault and a
zeroed page per 4 KiB, as much as the pooling arithmetic itself) until no level-0 chunk is left to read.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.buffer_pool import BufferPool
from ingest.converters.volumes.pyramid import Pooling, PyramidGeometry, Shape3, pooled_slabs, sums_to_means
from ingest.converters.volumes.spilled_pieces import SpilledPieces

Region = tuple[slice, slice, slice]
ChunkIndex = tuple[int, int, int]
ReadLevel0 = Callable[[Region, NDArray[Any]], None]
WriteChunk = Callable[[int, Region, NDArray[Any]], None]


def count_chunks(geometry: PyramidGeometry) -> int:
    """How many chunks all levels hold together (the progress total)."""
    return sum(math.prod(_grid(geometry, level)) for level in range(geometry.levels))


def stream_pyramid(
    geometry: PyramidGeometry,
    pooling: Pooling,
    dtype: np.dtype[Any],
    *,
    read_level0: ReadLevel0,
    write_chunk: WriteChunk,
    workers: int,
    scratch: Path,
    on_chunk: Callable[[], None] | None = None,
) -> None:
    """Build and write every level of the pyramid in one pass over level 0.

    ``read_level0(region, out)`` fills ``out`` with the level-0 block of ``region`` in the output ``dtype`` (it may
    also check and measure it); ``write_chunk(level, region, data)`` stores one whole chunk of a level and must not
    keep ``data`` (its buffer is reused). Both are called from ``workers`` threads at once for disjoint regions.
    Pooled pieces wait in ``scratch`` (an existing, empty folder on a local disk; the caller removes it).
    """
    _StreamRun(geometry, pooling, np.dtype(dtype), read_level0, write_chunk, on_chunk, scratch).run(max(1, workers))


def _grid(geometry: PyramidGeometry, level: int) -> ChunkIndex:
    shape, chunks = geometry.shapes[level], geometry.chunks[level]
    return (math.ceil(shape[0] / chunks[0]), math.ceil(shape[1] / chunks[1]), math.ceil(shape[2] / chunks[2]))


class _StreamRun:
    """The state of one streaming pass: how many pieces each parent still waits for, and where they are."""

    def __init__(
        self,
        geometry: PyramidGeometry,
        pooling: Pooling,
        dtype: np.dtype[Any],
        read_level0: ReadLevel0,
        write_chunk: WriteChunk,
        on_chunk: Callable[[], None] | None,
        scratch: Path,
    ) -> None:
        self.geometry = geometry
        self.pooling = pooling
        self.dtype = dtype
        self.blocks = BufferPool(geometry.chunks[0], dtype)
        self.pieces = SpilledPieces(scratch)
        self.unread = math.prod(_grid(geometry, 0))  # level-0 chunks no thread has started on
        self.read_level0 = read_level0
        self.write_chunk = write_chunk
        self.on_chunk = on_chunk
        self.lock = threading.Lock()
        # Pieces still missing per open parent chunk; an entry exists only while its parent is being filled, so
        # this (like the visiting order below) stays small however many chunks the volume has.
        self.waiting: dict[tuple[int, ChunkIndex], int] = {}

    def _parent(self, level: int, index: ChunkIndex | tuple[int, ...]) -> ChunkIndex:
        extent, parent_extent = self.geometry.chunk_extent(level), self.geometry.chunk_extent(level + 1)
        return (
            index[0] * extent[0] // parent_extent[0],
            index[1] * extent[1] // parent_extent[1],
            index[2] * extent[2] // parent_extent[2],
        )

    def _region(self, level: int, index: ChunkIndex) -> Region:
        shape, chunks = self.geometry.shapes[level], self.geometry.chunks[level]
        return (
            slice(index[0] * chunks[0], min(shape[0], (index[0] + 1) * chunks[0])),
            slice(index[1] * chunks[1], min(shape[1], (index[1] + 1) * chunks[1])),
            slice(index[2] * chunks[2], min(shape[2], (index[2] + 1) * chunks[2])),
        )

    def _children(self, level: int, index: ChunkIndex) -> tuple[range, range, range]:
        """The chunk indices of ``level - 1`` whose parent is chunk ``index`` of ``level``, per axis."""
        extent, child_extent = self.geometry.chunk_extent(level), self.geometry.chunk_extent(level - 1)
        grid = _grid(self.geometry, level - 1)
        ranges = [
            range(
                -(-index[a] * extent[a] // child_extent[a]),
                min(grid[a], -(-(index[a] + 1) * extent[a] // child_extent[a])),
            )
            for a in range(3)
        ]
        return ranges[0], ranges[1], ranges[2]

    def _order(self) -> Iterator[ChunkIndex]:
        """Level-0 chunk indices in hierarchical order, generated (never a list of every chunk)."""

        def under(level: int, index: ChunkIndex) -> Iterator[ChunkIndex]:
            if level == 0:
                yield index
                return
            for child in itertools.product(*self._children(level, index)):
                yield from under(level - 1, child)

        top = self.geometry.levels - 1
        grid = _grid(self.geometry, top)
        for index in itertools.product(range(grid[0]), range(grid[1]), range(grid[2])):
            yield from under(top, index)

    def run(self, workers: int) -> None:
        pending = iter(self._order())
        window = workers + 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="volume") as pool:
            running: set[Future[None]] = set()
            failure: BaseException | None = None
            for index in pending:
                running.add(pool.submit(self._process_level0, index))
                if len(running) >= window:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    failure = next((f.exception() for f in done if f.exception() is not None), None)
                    if failure is not None:
                        break
            done, _ = wait(running)
            failure = failure or next((f.exception() for f in done if f.exception() is not None), None)
            if failure is not None:
                raise failure

    def _emit(self, level: int, region: Region, data: NDArray[Any]) -> None:
        self.write_chunk(level, region, data)
        if self.on_chunk is not None:
            with self.lock:
                self.on_chunk()

    def _process_level0(self, index: ChunkIndex) -> None:
        with self.lock:
            self.unread -= 1
        level, region = 0, self._region(0, index)
        carried = self.blocks.take(_extent(region))
        self.read_level0(region, carried)
        while True:
            # Level 0 is written before it is pooled, so that its encoded bytes are gone before the piece is made;
            # coarse chunks are pooled first, so that their sums can become means in place.
            if level == 0:
                self._emit(level, region, carried)
            parent = self._parent(level, index) if level + 1 < self.geometry.levels else None
            if parent is not None:
                self._spill_piece(level, index, parent, carried)
            if level > 0:
                self._emit(level, region, self._values(level, region, carried))
            self._release(carried)
            if parent is None or not self._delivered(level + 1, parent):
                return
            level, index, region = level + 1, parent, self._region(level + 1, parent)
            carried = self.blocks.take(_extent(region))
            self.pieces.assemble((level, index), carried)

    def _release(self, buffer: NDArray[Any]) -> None:
        """Give a chunk buffer back for reuse while level-0 chunks remain to be read; otherwise let it go."""
        with self.lock:
            reads_left = self.unread > 0
        if reads_left:
            self.blocks.give(buffer)
        else:
            self.blocks.clear()

    def _spill_piece(self, level: int, index: ChunkIndex, parent: ChunkIndex, block: NDArray[Any]) -> None:
        """Pool ``block`` and store the piece with its place in the parent chunk."""
        parent_region = self._region(level + 1, parent)
        chunks, factors = self.geometry.chunks[level], self.geometry.factors
        offset = tuple(index[a] * chunks[a] // factors[a] - parent_region[a].start for a in range(3))
        slabs = pooled_slabs(block, factors, self.pooling)
        self.pieces.put((level + 1, parent), (offset[0], offset[1], offset[2]), slabs)

    def _delivered(self, level: int, index: ChunkIndex) -> bool:
        """Count one piece of a parent as delivered; True when it was the last one missing."""
        key = (level, index)
        with self.lock:
            if key not in self.waiting:
                self.waiting[key] = math.prod(len(axis) for axis in self._children(level, index))
            self.waiting[key] -= 1
            if self.waiting[key] > 0:
                return False
            del self.waiting[key]
            return True

    def _values(self, level: int, region: Region, carried: NDArray[Any]) -> NDArray[Any]:
        if self.pooling is not Pooling.MEAN or level == 0:
            return carried
        origin: Shape3 = (region[0].start, region[1].start, region[2].start)
        return sums_to_means(carried, origin, self.geometry.scale_of(level), self.geometry.shapes[0])


def _extent(region: Region) -> Shape3:
    return (region[0].stop - region[0].start, region[1].stop - region[1].start, region[2].stop - region[2].start)
