"""SerialEM acquisition files (``.mdoc``), read with the ``mdocfile`` library, and the per-frame doses the portal's
``frames_metadata.json`` lists.

One section per tilt (``[ZValue = n]``), in acquisition order: its ``ExposureTime`` (seconds) times the frames'
dose rate is the section's exposure dose, and the doses of the sections before it add up to its accumulated dose.
``SubFramePath`` names the section's movie file, often as a Windows path (``X:\\data\\f_001.tif``): only its base
name is kept, to match a deposited frame file of that name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mdocfile.data_models import Mdoc
from pydantic import ValidationError

from ingest.errors import InputFileError

# mdocfile logs every field it does not model (many SerialEM versions add some) as a warning on stderr.
logging.getLogger("mdocfile").setLevel(logging.ERROR)

SECTION_HEADERS = ("[ZValue =", "[MontSection =", "[FrameSet =")
"""How a section starts (the line stripped), as the library splits sections."""


@dataclass(frozen=True)
class MdocSection:
    """What frames metadata and per-section parameters need of one mdoc section: its ZValue, exposure time, movie
    file name and tilt angle."""

    z_value: int
    exposure_time: float
    sub_frame_name: str | None
    tilt_angle: float | None = None


@dataclass(frozen=True)
class FrameDose:
    """One entry of ``frames_metadata.json``'s ``frames`` list; ``path`` is None when no frame file of the
    section's name was deposited."""

    acquisition_order: int
    exposure_dose: float
    accumulated_dose: float
    is_gain_corrected: bool | None
    path: str | None

    def to_dict(self) -> dict[str, Any]:
        """The entry as the metadata file holds it (fields without a value left out)."""
        entry = {
            "acquisition_order": self.acquisition_order,
            "accumulated_dose": self.accumulated_dose,
            "exposure_dose": self.exposure_dose,
            "is_gain_corrected": self.is_gain_corrected,
            "path": self.path,
        }
        return {name: value for name, value in entry.items() if value is not None}


def read_mdoc_sections(text: str, name: str) -> tuple[MdocSection, ...]:
    """The sections of the mdoc ``text`` (file ``name``, for messages) in file order; a file the library cannot
    parse, or a section without a ZValue or ExposureTime, is an :class:`InputFileError` naming file and line."""
    lines = text.split("\n")
    try:
        mdoc = Mdoc.from_string(text)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise InputFileError(
            f"unreadable mdoc value {field}",
            where=f"{name}:{_line_of(lines, field, first.get('input'))}",
            expected=f"{field}: {first['msg']}",
            found=repr(first.get("input"))[:200],
        ) from None
    except ValueError:
        number, line = _bad_header_line(lines)
        raise InputFileError(
            "unreadable mdoc header", where=f"{name}:{number}", expected="'Key = value' lines", found=repr(line[:200])
        ) from None
    if not mdoc.section_data:
        raise InputFileError(
            "the mdoc has no sections", where=name, expected="[ZValue = n] sections, one per tilt", found="none"
        )
    starts = [number for number, line in enumerate(lines, start=1) if line.strip().startswith(SECTION_HEADERS)]
    sections = []
    for start, section in zip(starts, mdoc.section_data, strict=True):
        for field, value in (("ZValue", section.ZValue), ("ExposureTime", section.ExposureTime)):
            if value is None:
                raise InputFileError(
                    f"an mdoc section has no {field}",
                    where=f"{name}:{start}",
                    expected=f"{field} = <number> in every [ZValue = n] section",
                    found=f"section {lines[start - 1].strip()} without it",
                )
        assert section.ZValue is not None and section.ExposureTime is not None  # checked just above
        frame = section.SubFramePath
        angle = None if section.TiltAngle is None else float(section.TiltAngle)
        sections.append(MdocSection(section.ZValue, float(section.ExposureTime), frame_base_name(frame), angle))
    return tuple(sections)


def frame_doses(
    sections: tuple[MdocSection, ...],
    dose_rate: float,
    is_gain_corrected: bool | None,
    frame_keys: Mapping[str, str],
) -> tuple[FrameDose, ...]:
    """One entry per section, in file order; ``frame_keys`` maps a deposited frame file's name to its output key."""
    entries, accumulated = [], 0.0
    for section in sections:
        exposure = section.exposure_time * dose_rate
        path = frame_keys.get(section.sub_frame_name) if section.sub_frame_name else None
        entries.append(FrameDose(section.z_value, exposure, accumulated, is_gain_corrected, path))
        accumulated += exposure
    return tuple(entries)


def frame_base_name(path: object) -> str | None:
    """The file name at the end of a ``SubFramePath``, a Windows or POSIX path (SerialEM writes the acquisition
    PC's paths); None for none. The one rule for the converter and the checker."""
    if path is None:
        return None
    name = re.split(r"[\\/]", str(path).strip())[-1]
    return name or None


def _line_of(lines: list[str], field: str, value: object) -> int | str:
    """The number of the first line setting ``field`` (to ``value`` when given), or ``?``."""
    pattern = re.compile(rf"\s*\[?\s*{re.escape(field)}\s*=\s*(.*?)\s*\]?\s*$")
    fallback: int | str = "?"
    for number, line in enumerate(lines, start=1):
        match = pattern.match(line)
        if match is None:
            continue
        if value is None or match.group(1) == str(value):
            return number
        fallback = number if fallback == "?" else fallback
    return fallback


def _bad_header_line(lines: list[str]) -> tuple[int | str, str]:
    """The first line before the first section that is not blank, a title or a single ``key = value``."""
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith(SECTION_HEADERS):
            break
        stripped = line.strip()
        if stripped and not stripped.startswith("[T =") and stripped.count("=") != 1:
            return number, stripped
    return "?", ""
