"""Execute a :class:`~ingest.domain.tasks.KeyImageTask`: read the central slab of the tomogram's OME-Zarr (and of its
default masks) and its default points from the output tree, draw the preview, publish the four PNGs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
from numpy.typing import NDArray

from ingest.converters.viewers.key_image import (
    PROJECTION_DEPTH,
    MaskOverlay,
    PointOverlay,
    compose_preview,
    key_images,
)
from ingest.domain.tasks import KeyImageTask
from ingest.domain.viewers import overlay_color
from ingest.errors import InputFileError
from ingest.pipeline.zarr_slab import read_central_slab
from ingest.storage.base import Storage
from ingest.storage.digests import DigestingPublisher

Publisher = DigestingPublisher | Storage

KEY_IMAGE_MIN_PIXELS = 512
"""The preview is drawn from the coarsest pyramid level whose shorter in-plane side keeps this many pixels (the
snapshot's width): enough for every image but the largest, and a small fraction of the volume to read."""


@dataclass(frozen=True)
class KeyImageResult:
    """What drawing one tomogram's key images read: stored bytes of the tomogram slab (and masks), the level."""

    bytes_read: int
    level: int


def write_key_images(task: KeyImageTask, output: Storage, publisher: Publisher | None = None) -> KeyImageResult:
    """Draw the images of ``task`` from ``output`` and publish them with ``publisher`` (default: straight to
    ``output``), the last one of ``task.images`` last."""
    slab = read_central_slab(output, task.zarr_key, depth=PROJECTION_DEPTH, min_pixels=KEY_IMAGE_MIN_PIXELS)
    read = slab.bytes_read
    color = 0
    points = []
    for key in task.point_keys:
        points.append(PointOverlay(overlay_color(color), _locations(output, key)))
        color += 1
    masks = []
    for key in task.mask_keys:
        mask = read_central_slab(output, key, depth=PROJECTION_DEPTH, level=slab.level)
        if mask.data.shape[1:] != slab.data.shape[1:]:
            raise InputFileError(
                "a mask does not match its tomogram",
                where=output.url_of(key),
                expected=f"y, x = {slab.data.shape[1:]} at pyramid level {slab.level}",
                found=str(mask.data.shape[1:]),
            )
        read += mask.bytes_read
        masks.append(MaskOverlay(overlay_color(color), mask.data))
        color += 1
    width = slab.full_shape[2]
    preview = compose_preview(
        slab.data, factor=slab.factor, z_range=slab.z_range, tomogram_width=width, points=points, masks=masks
    )
    images = key_images(preview, width)
    by_name: dict[str, bytes] = {str(kind): data for kind, data in images.items()}
    for kind, key in task.images:
        (publisher or output).publish_bytes(key, by_name[kind])
    return KeyImageResult(read, slab.level)


def _locations(output: Storage, key: str) -> NDArray[np.float64]:
    """The (x, y, z) locations of an ndJSON point file, in voxels."""
    rows = []
    for number, line in enumerate(output.read_bytes(key).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            location = orjson.loads(line)["location"]
            rows.append((float(location["x"]), float(location["y"]), float(location["z"])))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InputFileError(
                "a point without a location", where=f"{output.url_of(key)}:{number}", expected='{"location": {x,y,z}}'
            ) from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)
