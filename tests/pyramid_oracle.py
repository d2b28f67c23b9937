"""The test oracle of the pyramid: each level defined in plain NumPy straight from level 0 (whole array in memory),
to compare the streaming writer's levels with."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.converters.volumes.pyramid import Pooling, Shape3


def reference_level(volume: NDArray[Any], scale: Shape3, pooling: Pooling) -> NDArray[Any]:
    """Plain NumPy definition of one level straight from level 0 (for tests and checks; whole array in memory)."""
    shape = tuple(math.ceil(volume.shape[axis] / scale[axis]) for axis in range(3))
    if pooling is Pooling.STRIDE:
        return volume[:: scale[0], :: scale[1], :: scale[2]]
    out = np.empty(shape, dtype=np.float64 if pooling is Pooling.MEAN else volume.dtype)
    for index in np.ndindex(*shape):
        block = volume[tuple(slice(i * s, (i + 1) * s) for i, s in zip(index, scale, strict=True))]
        out[index] = block.astype(np.float64).mean() if pooling is Pooling.MEAN else block.max()
    return out
