"""What the viewers show, decided once for the planner and the converters: the key images the portal writes and
their widths, and the colour each annotation overlay gets (in key images and Neuroglancer states alike)."""

from __future__ import annotations

from typing import Literal

KeyImageKind = Literal["original", "thumbnail", "snapshot", "expanded"]

KEY_IMAGE_WIDTHS: dict[KeyImageKind, int | None] = {
    "original": None,  # the tomogram's width, uncropped
    "thumbnail": 134,
    "snapshot": 512,
    "expanded": 1024,
}
"""The images the portal writes for every tomogram and their widths in pixels, in the portal's order."""

PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
"""Distinct overlay colours (matplotlib's ``tab10``), given to the annotations in order."""


def overlay_color(index: int) -> tuple[int, int, int]:
    """The colour of the ``index``-th overlay of a tomogram (the palette repeats past ten)."""
    return PALETTE[index % len(PALETTE)]


def hex_color(rgb: tuple[int, int, int]) -> str:
    """``(31, 119, 180)`` as ``#1f77b4``."""
    return "#" + "".join(f"{channel:02x}" for channel in rgb)
