"""Key images of a tomogram, as the portal makes them (pure: numpy arrays in, PNG bytes out).

The portal (``common/make_key_image.py``, ``importers/key_image.py``) sums a slab of ``PROJECTION_DEPTH`` slices
around the central z slice, clips the sum to mean ± 3 standard deviations and scales it to 0-255 grey; masks are
drawn over it as their binarised projection of the same slab in a colour at alpha 0.1, and points whose z lies in
the slab as filled discs at alpha 0.8 with a white edge, each annotation in its own colour. From that preview it
writes four PNGs: ``original`` (uncropped, resized to the tomogram's width) and ``thumbnail``, ``snapshot`` and
``expanded`` (turned a quarter when taller than wide, centre-cropped to 4:3, resized to 134, 512 and 1024 pixels
wide). Here the preview may be computed on a coarser pyramid level (``factor`` level-0 voxels per pixel) so that
only a small part of the volume is read; the slab then has ``PROJECTION_DEPTH / factor`` slices of that level.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ingest.domain.viewers import KEY_IMAGE_WIDTHS, KeyImageKind

PROJECTION_DEPTH = 40
"""Slices (of level 0) summed around the central z slice, as the portal's key-image importer."""

POINT_ALPHA = 0.8
MASK_ALPHA = 0.1
_DPI = 100.0  # the portal draws with matplotlib's default figure dpi: a marker of s points² is sqrt(s) points wide


@dataclass(frozen=True)
class PointOverlay:
    """Points of one annotation file in level-0 voxels, rows of (x, y, z)."""

    color: tuple[int, int, int]
    xyz: NDArray[np.float64]


@dataclass(frozen=True)
class MaskOverlay:
    """One mask's slab at the preview's level (z, y, x); any non-zero voxel is inside."""

    color: tuple[int, int, int]
    slab: NDArray[np.generic]


def grey_projection(slab: NDArray[np.generic]) -> NDArray[np.float64]:
    """The slab summed along z, clipped to mean ± 3 standard deviations and scaled to 0-255."""
    projection = np.asarray(slab, dtype=np.float64).sum(axis=0)
    mean, spread = float(projection.mean()), float(projection.std())
    low, high = mean - 3 * spread, mean + 3 * spread
    if not math.isfinite(spread) or high <= low:
        return np.zeros(projection.shape, dtype=np.float64)
    scaled: NDArray[np.float64] = (np.clip(projection, low, high) - low) * (255.0 / (high - low))
    return scaled


def compose_preview(
    slab: NDArray[np.generic],
    *,
    factor: int,
    z_range: tuple[int, int],
    tomogram_width: int,
    points: Sequence[PointOverlay] = (),
    masks: Sequence[MaskOverlay] = (),
) -> NDArray[np.uint8]:
    """The preview (height, width, RGB) of ``slab`` (z, y, x at a level of ``factor`` level-0 voxels per voxel),
    masks and then points drawn over it; ``z_range`` is the slab's [first, last] z in level-0 voxels."""
    grey = grey_projection(slab)
    image = np.repeat(grey[:, :, None], 3, axis=2)
    for mask in masks:
        inside = np.asarray(mask.slab).astype(bool).any(axis=0)
        color = np.asarray(mask.color, dtype=np.float64)
        image[inside] = image[inside] * (1 - MASK_ALPHA) + color * MASK_ALPHA
    picture = Image.fromarray(np.round(image).astype(np.uint8), "RGB")
    _draw_points(picture, points, factor=factor, z_range=z_range, tomogram_width=tomogram_width)
    return np.asarray(picture, dtype=np.uint8)


def _draw_points(
    picture: Image.Image,
    points: Sequence[PointOverlay],
    *,
    factor: int,
    z_range: tuple[int, int],
    tomogram_width: int,
) -> None:
    # The portal's marker: s = width / 10 points², sqrt(s) points across, edge width s / 100 points.
    marker = tomogram_width / 10
    radius = max(math.sqrt(marker) * _DPI / 72 / 2 / factor, 1.0)
    edge = max(round(marker / 100 * _DPI / 72 / factor), 1)
    draw = ImageDraw.Draw(picture, "RGBA")
    alpha = round(255 * POINT_ALPHA)
    for overlay in points:
        xyz = np.asarray(overlay.xyz, dtype=np.float64).reshape(-1, 3)
        visible = xyz[(xyz[:, 2] >= z_range[0]) & (xyz[:, 2] <= z_range[1])]
        for x, y in visible[:, :2] / factor:
            box = (x - radius, y - radius, x + radius, y + radius)
            draw.ellipse(box, fill=(*overlay.color, alpha), outline=(255, 255, 255, alpha), width=edge)


def crop_4_3(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``image`` turned a quarter (counter-clockwise) when taller than wide, then centre-cropped to 4:3."""
    if image.shape[0] > image.shape[1]:
        image = np.rot90(image)
    unit = max(min(image.shape[:2]) // 4, 1)
    width, height = min(unit * 4, image.shape[1]), min(unit * 3, image.shape[0])
    left, top = (image.shape[1] - width) // 2, (image.shape[0] - height) // 2
    return np.ascontiguousarray(image[top : top + height, left : left + width])


def resize_to_width(image: NDArray[np.uint8], width: int) -> NDArray[np.uint8]:
    """``image`` resampled (Lanczos, antialiased) to ``width`` pixels, keeping its aspect ratio."""
    height = max(round(image.shape[0] * width / image.shape[1]), 1)
    if (height, width) == image.shape[:2]:
        return image
    resized = Image.fromarray(image, "RGB").resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def encode_png(image: NDArray[np.uint8]) -> bytes:
    """``image`` as PNG bytes, deterministic (no timestamps or text chunks)."""
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def key_images(preview: NDArray[np.uint8], tomogram_width: int) -> dict[KeyImageKind, bytes]:
    """The portal's four key images of ``preview`` as PNG bytes, by kind."""
    images: dict[KeyImageKind, bytes] = {}
    cropped = crop_4_3(preview)
    for kind, width in KEY_IMAGE_WIDTHS.items():
        if width is None:
            images[kind] = encode_png(resize_to_width(preview, tomogram_width))
        else:
            images[kind] = encode_png(resize_to_width(cropped, width))
    return images
