"""Value statistics of a volume accumulated block by block (thread-safe), as the MRC header and metadata need."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

_SLAB_VALUES = 1 << 18


@dataclass(frozen=True)
class ValueStats:
    """Minimum, maximum, mean and RMS deviation from the mean (MRC ``rms``) of every voxel of level 0."""

    min: float
    max: float
    mean: float
    rms: float


class StatsAccumulator:
    """Running count, sum, sum of squares, minimum and maximum over blocks added from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._sum = 0.0
        self._squares = 0.0
        self._min = math.inf
        self._max = -math.inf

    def add(self, block: NDArray[Any]) -> tuple[float, float]:
        """Fold the (z, y, x) ``block`` in and return its own (min, max).

        NaN propagates into them for the caller to check.
        """
        if block.size == 0:
            return math.inf, -math.inf
        lows, highs = [], []
        total = squares = 0.0
        # Slabs of about 1 MiB of (z, y, x) planes: the four passes over a slab run from the CPU cache, and
        # integer blocks are converted a slab at a time instead of into one block-sized float copy.
        step = max(1, _SLAB_VALUES // (block.shape[1] * block.shape[2]))
        for start in range(0, block.shape[0], step):
            slab = block[start : start + step]
            lows.append(slab.min())
            highs.append(slab.max())
            rows = np.ascontiguousarray(slab, dtype=np.float32).reshape(-1, slab.shape[-1])
            # Per-row sums in float32 (short, accurate), rows combined in float64; no BLAS (its threads contend).
            total += float(rows.sum(axis=1).sum(dtype=np.float64))
            squares += float(np.einsum("ij,ij->i", rows, rows).sum(dtype=np.float64))
        low, high = float(np.min(lows)), float(np.max(highs))  # NaN propagates
        with self._lock:
            self._count += block.size
            self._sum += total
            self._squares += squares
            self._min = min(self._min, low)
            self._max = max(self._max, high)
        return low, high

    def result(self) -> ValueStats:
        """The statistics of everything added so far."""
        if self._count == 0:
            return ValueStats(0.0, 0.0, 0.0, 0.0)
        mean = self._sum / self._count
        variance = max(self._squares / self._count - mean * mean, 0.0)
        return ValueStats(min=self._min, max=self._max, mean=mean, rms=math.sqrt(variance))
