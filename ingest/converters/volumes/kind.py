"""What a volume is (tomogram, tilt series, binary or instance mask) and what follows from it for the writer and
the checker alike: output dtype, pyramid pooling and factors, chunks, MRC space group. No IO, no heavy imports."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np

from ingest.converters.volumes.pyramid import Pooling


class VolumeKind(StrEnum):
    """What a volume is; it decides the output dtype, the pyramid and the MRC space group."""

    TOMOGRAM = "tomogram"
    TILTSERIES = "tiltseries"
    SEMANTIC_MASK = "semantic-mask"
    INSTANCE_MASK = "instance-mask"

    @property
    def output_dtype(self) -> np.dtype[Any]:
        """float32 for images, int8 for binary masks, uint16 for instance labels."""
        return np.dtype({"semantic-mask": np.int8, "instance-mask": np.uint16}.get(self.value, np.float32))

    @property
    def pooling(self) -> Pooling:
        """Mean for images, mean-then-> 0 for binary masks, nearest (stride) for labels."""
        return {"semantic-mask": Pooling.ANY, "instance-mask": Pooling.STRIDE}.get(self.value, Pooling.MEAN)

    @property
    def factors(self) -> tuple[int, int, int]:
        """Downsampling per level: 2×2×2, or 1×2×2 for tilt series (never bin across tilts)."""
        return (1, 2, 2) if self is VolumeKind.TILTSERIES else (2, 2, 2)

    @property
    def chunks(self) -> tuple[int, int, int]:
        """Chunk shape before clipping to the level shape."""
        return (1, 1024, 1024) if self is VolumeKind.TILTSERIES else (256, 256, 256)

    @property
    def space_group(self) -> int:
        """MRC ``ispg``: 0 for an image stack (tilt series), 1 for a volume."""
        return 0 if self is VolumeKind.TILTSERIES else 1

    @property
    def label(self) -> str:
        """How messages name the kind: ``tomogram``, ``tilt series``, ``binary mask``, ``instance mask``."""
        return {"tiltseries": "tilt series", "semantic-mask": "binary mask", "instance-mask": "instance mask"}.get(
            self.value, self.value
        )

    @property
    def halves_z(self) -> bool:
        """Whether coarser levels halve z (tilt series keep every tilt)."""
        return self.factors[0] == 2
