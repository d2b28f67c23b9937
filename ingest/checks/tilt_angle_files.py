"""The small text files of a tilt series as ``ingest check`` reads them: angle lists (``.rawtlt``, ``.tlt``: one
angle per line, first column) and SerialEM ``.mdoc`` files (a ``TiltAngle``, ``SubFramePath`` and ``NumSubFrames``
per ``[ZValue = n]`` section, and the ``Tilt axis angle`` of a title line).

Lenient on purpose: the checker reports what disagrees between files; what cannot be read of a file is one finding
(``C-TILT-FILE``) naming its line, and the rest of the file is still compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.checks.codes import check_finding
from ingest.converters.acquisition.mdoc import SECTION_HEADERS, frame_base_name
from ingest.domain.report import Finding

ANGLE_LIMIT = 90.0
"""Tilt angles lie in [-90, 90] degrees (the portal's data validation)."""

_FIELD = re.compile(r"\s*(\w+)\s*=\s*(.*?)\s*$")
_TILT_AXIS = re.compile(r"tilt\s*axis\s*angle\s*=\s*([-+]?(?:\d*\.?\d+))", re.IGNORECASE)


@dataclass(frozen=True)
class SectionAngles:
    """What the checker compares of one mdoc section (the lenient twin of
    :class:`ingest.converters.acquisition.mdoc.MdocSection`: the checker reports a bad line as a finding and reads on,
    where the converter refuses the file)."""

    line: int
    tilt_angle: float | None
    sub_frame_name: str | None
    num_sub_frames: int | None


@dataclass(frozen=True)
class MdocFile:
    """An mdoc's sections in file order and the tilt axis angle of its title lines (None when absent)."""

    key: str
    sections: tuple[SectionAngles, ...]
    tilt_axis_angle: float | None

    @property
    def angles(self) -> list[float]:
        """The sections' tilt angles (sections without one left out)."""
        return [s.tilt_angle for s in self.sections if s.tilt_angle is not None]


def read_angle_list(text: str, key: str) -> tuple[list[float], list[Finding]]:
    """The angles of a ``.rawtlt``/``.tlt`` file and the findings about it (bad lines, none, out of range)."""
    angles: list[float] = []
    findings: list[Finding] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            angle = float(fields[0])
        except ValueError:
            findings.append(_bad_line(key, number, line))
            continue
        angles.append(angle)
    findings.extend(_angle_findings(key, angles, "line"))
    return angles, findings


def read_mdoc(text: str, key: str) -> tuple[MdocFile, list[Finding]]:
    """The sections of an mdoc and the findings about its tilt angles (no section, missing or out of range)."""
    sections: list[SectionAngles] = []
    tilt_axis: float | None = None
    current: dict[str, str] | None = None
    start = 0
    findings: list[Finding] = []

    def close() -> None:
        if current is not None:
            sections.append(_section(current, start, key, findings))

    for number, line in enumerate(text.splitlines(), start=1):
        if _is_section_header(line):
            close()
            current, start = {}, number
            continue
        if line.strip().startswith("[T") and tilt_axis is None:
            match = _TILT_AXIS.search(line)
            tilt_axis = float(match.group(1)) if match else None
            continue
        field = _FIELD.match(line)
        if field is not None and current is not None:
            current.setdefault(field.group(1), field.group(2))
    close()
    mdoc = MdocFile(key, tuple(sections), tilt_axis)
    findings.extend(_angle_findings(key, mdoc.angles, "section"))
    return mdoc, findings


def _section(fields: dict[str, str], line: int, key: str, findings: list[Finding]) -> SectionAngles:
    angle: float | None = None
    raw = fields.get("TiltAngle")
    try:
        angle = None if raw is None else float(raw)
    except ValueError:
        findings.append(_bad_line(key, line, f"TiltAngle = {raw}"))
    if raw is None:
        findings.append(
            check_finding(
                "C-TILT-FILE",
                f"mdoc section at line {line} has no TiltAngle",
                file=key,
                expected="TiltAngle = <degrees> in every section",
                found="none",
            )
        )
    frames = fields.get("NumSubFrames")
    name = frame_base_name(fields.get("SubFramePath"))
    return SectionAngles(line, angle, name, int(frames) if frames and frames.isdigit() else None)


def _is_section_header(line: str) -> bool:
    """Whether ``line`` starts a section, by the converter's rule (spaces inside the bracket folded)."""
    folded = re.sub(r"\[\s*(\w+)\s*=", r"[\1 =", line.strip(), count=1)
    return folded.startswith(SECTION_HEADERS)


def _bad_line(key: str, number: int, line: str) -> Finding:
    return check_finding(
        "C-TILT-FILE",
        f"line {number} is not an angle",
        file=key,
        expected="a number of degrees",
        found=repr(line.strip()[:80]),
    )


def _angle_findings(key: str, angles: list[float], unit: str) -> list[Finding]:
    if not angles:
        return [check_finding("C-TILT-FILE", "the file lists no tilt angle", file=key, expected="at least one")]
    outside = [a for a in angles if not -ANGLE_LIMIT <= a <= ANGLE_LIMIT]
    if outside:
        return [
            check_finding(
                "C-TILT-FILE",
                f"{len(outside)} {unit}(s) hold a tilt angle outside [-90, 90]",
                file=key,
                expected="-90 <= angle <= 90",
                found=outside[:5],
            )
        ]
    return []
