"""A tilt series' ``per_section_parameter`` as the portal's tilt-series importer computes it: one entry per line
of the raw tilt file (``{run}.rawtlt``, in stack order = ``z_index``), matched to the first mdoc section of the
same tilt angle to two decimals (``round(angle, 2)`` equal, as the portal's importer compares them: its
``TiltAngle`` is the ``raw_angle`` and its ``ZValue`` the ``frame_acquisition_order``) and to the CTF estimate of
section ``z_index + 1`` (the CTF values are None without a CTF file or without a row for the section). A raw angle
no mdoc section matches is an :class:`InputFileError` (the portal's importer fails the same way)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ingest.converters.acquisition.ctf_estimates import CtfEstimate
from ingest.converters.acquisition.mdoc import MdocSection
from ingest.errors import InputFileError


@dataclass(frozen=True)
class RawTilts:
    """The raw tilt angles of a stack, one per section in stack order, and the file they come from."""

    name: str
    angles: tuple[float, ...]


def read_raw_tilts(text: str, name: str) -> RawTilts:
    """One angle per non-blank line of ``text``; anything else is an :class:`InputFileError` naming the line."""
    angles = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            angle = float(stripped)
        except ValueError:
            angle = math.nan
        if not math.isfinite(angle):
            raise InputFileError(
                "a raw tilt angle is not a number",
                where=f"{name}:{number}",
                expected="one tilt angle in degrees per line",
                found=repr(stripped[:80]),
            )
        angles.append(angle)
    if not angles:
        raise InputFileError("no raw tilt angles", where=name, expected="one tilt angle per line", found="empty")
    return RawTilts(name, tuple(angles))


def per_section_parameters(
    raw: RawTilts, mdoc: tuple[MdocSection, ...], mdoc_name: str, ctf: tuple[CtfEstimate, ...] | None
) -> list[dict[str, Any]]:
    """The ``per_section_parameter`` list of a tilt series (see the module docstring)."""
    by_section = {estimate.section: estimate for estimate in reversed(ctf or ())}
    entries = []
    for index, angle in enumerate(raw.angles):
        section = _mdoc_section(angle, mdoc)
        if section is None or section.tilt_angle is None:
            raise InputFileError(
                "a raw tilt angle matches no mdoc section",
                where=f"{raw.name} (line {index + 1}: {angle:g})",
                expected=f"a TiltAngle of {mdoc_name} that rounds to {round(angle, TILT_ANGLE_DECIMALS):g}",
                found=", ".join(f"{s.tilt_angle:g}" for s in mdoc if s.tilt_angle is not None) or "no TiltAngle",
            )
        estimate = by_section.get(index + 1)
        entries.append(
            {
                "z_index": index,
                "frame_acquisition_order": section.z_value,
                "raw_angle": section.tilt_angle,
                "major_defocus": estimate.defocus_1 if estimate else None,
                "minor_defocus": estimate.defocus_2 if estimate else None,
                "astigmatic_angle": estimate.azimuth if estimate else None,
                "phase_shift": estimate.phase_shift if estimate else None,
                "cross_correlation": estimate.cross_correlation if estimate else None,
                "max_resolution": estimate.max_resolution if estimate else None,
            }
        )
    return entries


TILT_ANGLE_DECIMALS = 2
"""Decimals to which the portal's tilt-series importer rounds a raw tilt angle and an mdoc ``TiltAngle`` to pair
them."""


def _mdoc_section(angle: float, mdoc: tuple[MdocSection, ...]) -> MdocSection | None:
    """The first mdoc section whose tilt angle equals ``angle`` to :data:`TILT_ANGLE_DECIMALS` decimals."""
    target = round(angle, TILT_ANGLE_DECIMALS)
    return next(
        (s for s in mdoc if s.tilt_angle is not None and round(s.tilt_angle, TILT_ANGLE_DECIMALS) == target), None
    )
