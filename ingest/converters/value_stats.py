"""Value statistics of a volume accumulated block by block (thread-safe), as the MRC header and metadata need."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


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
        """Fold ``block`` in and return its own (min, max); NaN propagates into them for the caller to check."""
        low, high = float(block.min()), float(block.max())
        rows = np.ascontiguousarray(block, dtype=np.float32).reshape(-1, block.shape[-1])
        # Per-row sums in float32 (short, accurate), rows combined in float64; no BLAS (its threads contend).
        total = float(rows.sum(axis=1).sum(dtype=np.float64))
        squares = float(np.einsum("ij,ij->i", rows, rows).sum(dtype=np.float64))
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
