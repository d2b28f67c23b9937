"""Reusable arrays: fresh memory costs a page fault and a zeroed page per 4 KiB, and freed mid-sized arrays
stay in the allocator's heap, so buffers that are needed over and over are handed round instead."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray


class BufferPool:
    """Arrays of one shape and dtype handed out and taken back for reuse (thread-safe).

    Arrays of any other shape are made fresh and never kept, so that odd-shaped edge blocks do not linger.
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        self.shape, self.dtype = shape, dtype
        self._lock = threading.Lock()
        self._free: list[NDArray[Any]] = []

    def take(self, shape: tuple[int, ...]) -> NDArray[Any]:
        """An array of ``shape`` with arbitrary contents."""
        if shape == self.shape:
            with self._lock:
                if self._free:
                    return self._free.pop()
        return np.empty(shape, dtype=self.dtype)

    def give(self, array: NDArray[Any]) -> None:
        """Take ``array`` back; the caller must not use it any more."""
        if array.shape == self.shape:
            with self._lock:
                self._free.append(array)

    def clear(self) -> None:
        """Drop every array kept for reuse."""
        with self._lock:
            self._free.clear()
