"""The angle rules of the cross-file checks, after the portal's data validation suite (``data_validation/standardized``
and ``source``): tilt angles of the tilt series metadata vs raw tilts vs the mdoc vs alignment ``.tlt`` files,
frames doses, per-section parameters. Pure: they take parsed metadata and angle lists
(:mod:`ingest.checks.acquisition` reads the files, in a tree or among the sources);
``docs/portal-validation-map.md`` maps each portal test to its code here or elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ingest.checks.codes import check_finding
from ingest.checks.frames import frame_entries, num
from ingest.checks.metadata import MetadataDocument
from ingest.checks.tilt_angle_files import MdocFile
from ingest.domain.report import Finding

DECIMALS = 2
"""Angles match when equal rounded to two decimals (the portal's ``helper_angles_injection_errors``)."""
RANGE_SLACK = 0.5
"""A section's angle may lie this many degrees outside ``tilt_range`` (rounded ranges in configs)."""
AXIS_TOLERANCE = 10.0
DOSE_TOLERANCE = 1.0


def unmatched_angles(domain: Sequence[float], codomain: Sequence[float]) -> list[float]:
    """The angles of ``domain`` left without a partner when each is paired with an equal (two decimals),
    not yet used angle of ``codomain``, in order."""
    remaining = [round(angle, DECIMALS) for angle in codomain]
    missing = []
    for angle in domain:
        rounded = round(angle, DECIMALS)
        if rounded in remaining:
            remaining.remove(rounded)
        else:
            missing.append(angle)
    return missing


def range_angles(series: Mapping[str, Any]) -> list[float] | None:
    """min..max of ``tilt_range`` by ``tilt_step`` (max included), as the portal's validation spans it."""
    low, high = num(_at(series, "tilt_range", "min")), num(_at(series, "tilt_range", "max"))
    step = num(series.get("tilt_step"))
    if low is None or high is None or step is None or step <= 0 or (high - low) / step > 10_000:
        return None
    return [float(a) for a in np.arange(low, high + step, step)]


def tilt_series_findings(
    series: MetadataDocument,
    raw: tuple[str, list[float]] | None,
    mdoc: MdocFile | None,
    frames: MetadataDocument | None,
) -> list[Finding]:
    """A tilt series' metadata against its raw tilts, the mdoc and the frames (``size.z``: its sections)."""
    findings: list[Finding] = []
    size_z = _at(series.content, "size", "z")
    size_z = size_z if isinstance(size_z, int) else None
    if raw is not None and size_z is not None and len(raw[1]) > size_z:
        findings.append(
            check_finding(
                "C-TILT-RAWTLT-COUNT",
                f"more raw tilt angles than sections in {series.key} (size.z)",
                file=raw[0],
                expected=f"at most {size_z}",
                found=len(raw[1]),
            )
        )
    if mdoc is not None:
        findings.extend(_mdoc_findings(series, raw, mdoc, size_z))
    findings.extend(_range_findings(series, raw, mdoc, size_z))
    findings.extend(_section_findings(series, mdoc, frames, size_z))
    if frames is not None:
        doses = [num(f.get("exposure_dose")) or 0.0 for f in frame_entries(frames)]
        flux = num(series.get("total_flux"))
        if doses and flux is not None and abs(sum(doses) - flux) > DOSE_TOLERANCE:
            findings.append(
                check_finding(
                    "C-FRAMES-DOSE",
                    f"the frames' exposure doses in {frames.key} do not add up to total_flux",
                    file=series.key,
                    path="total_flux",
                    expected=f"{sum(doses):g} ± 1",
                    found=flux,
                )
            )
    return findings


def _mdoc_findings(
    series: MetadataDocument, raw: tuple[str, list[float]] | None, mdoc: MdocFile, size_z: int | None
) -> list[Finding]:
    findings = []
    if size_z is not None and len(mdoc.sections) < size_z:
        findings.append(
            check_finding(
                "C-TILT-MDOC-COUNT",
                f"fewer mdoc sections than sections in {series.key} (size.z)",
                file=mdoc.key,
                expected=f"at least {size_z}",
                found=len(mdoc.sections),
            )
        )
    if raw is not None and (missing := unmatched_angles(raw[1], mdoc.angles)):
        findings.append(
            check_finding(
                "C-TILT-RAWTLT-MDOC",
                f"{len(missing)} raw tilt angle(s) match no TiltAngle of "
                f"{mdoc.key} ({len(raw[1])} raw tilts, {len(mdoc.angles)} mdoc angles)",
                file=raw[0],
                expected="every angle once in the mdoc",
                found=_some(missing),
            )
        )
    axis = num(series.get("tilt_axis"))
    if axis is not None and mdoc.tilt_axis_angle is not None and abs(axis - mdoc.tilt_axis_angle) > AXIS_TOLERANCE:
        findings.append(
            check_finding(
                "C-TILT-AXIS",
                f"tilt_axis differs from the Tilt axis angle of {mdoc.key}",
                file=series.key,
                path="tilt_axis",
                expected=f"{mdoc.tilt_axis_angle:g} ± 10",
                found=axis,
            )
        )
    return findings


def _range_findings(
    series: MetadataDocument, raw: tuple[str, list[float]] | None, mdoc: MdocFile | None, size_z: int | None
) -> list[Finding]:
    findings = []
    grid = range_angles(series.content)
    if mdoc is not None and grid is not None and (missing := unmatched_angles(grid, mdoc.angles)):
        findings.append(
            check_finding(
                "C-TILT-RANGE",
                f"{len(missing)} angle(s) of tilt_range by tilt_step match no TiltAngle of {mdoc.key}",
                file=series.key,
                path="tilt_range",
                expected=_span(mdoc.angles),
                found=_some(missing),
            )
        )
    sections = _section_angles(series)
    source = f"{series.key} per_section_parameter"
    if not sections and raw is not None:
        sections, source = raw[1], raw[0]
    if not sections and mdoc is not None and size_z == len(mdoc.sections):
        sections, source = mdoc.angles, mdoc.key
    low, high = num(_at(series.content, "tilt_range", "min")), num(_at(series.content, "tilt_range", "max"))
    if (
        sections
        and low is not None
        and high is not None
        and (min(sections) < low - RANGE_SLACK or max(sections) > high + RANGE_SLACK)
    ):
        findings.append(
            check_finding(
                "C-TILT-RANGE",
                f"tilt_range does not span the angles of {source}",
                file=series.key,
                path="tilt_range",
                expected=_span(sections),
                found=f"{low:g}..{high:g}",
            )
        )
    return findings


def _section_findings(
    series: MetadataDocument, mdoc: MdocFile | None, frames: MetadataDocument | None, size_z: int | None
) -> list[Finding]:
    sections = series.get("per_section_parameter")
    if not isinstance(sections, list):
        return []
    findings = []
    limits = {"astigmatic_angle": (-180.0, 180.0), "phase_shift": (0.0, 2 * math.pi), "max_resolution": (0.0, None)}
    if size_z is not None:
        limits["z_index"] = (0.0, float(size_z - 1))
    for index, section in enumerate(sections):
        if not isinstance(section, Mapping):
            continue
        for name, (low, high) in limits.items():
            value = num(section.get(name))
            # max_resolution 0 means "not estimated": the portal's IMOD CTF converter writes 0.0 for every section
            if value is not None and (value < low or (high is not None and value > high)):
                findings.append(
                    check_finding(
                        "C-TILT-SECTION",
                        f"{name} out of range",
                        file=series.key,
                        path=f"per_section_parameter[{index}].{name}",
                        expected=f">= {low:g}" if high is None else f"{low:g}..{high:g}",
                        found=value,
                    )
                )
    angles = _section_angles(series)
    if mdoc is not None and angles and (missing := unmatched_angles(angles, mdoc.angles)):
        findings.append(
            check_finding(
                "C-TILT-SECTION-MDOC",
                f"{len(missing)} raw_angle(s) match no TiltAngle of {mdoc.key}",
                file=series.key,
                path="per_section_parameter",
                expected="every raw_angle once in the mdoc",
                found=_some(missing),
            )
        )
    if frames is not None and len(sections) > len(frame_entries(frames)):
        findings.append(
            check_finding(
                "C-TILT-SECTION-FRAMES",
                f"more per_section_parameter entries than frames in {frames.key}",
                file=series.key,
                path="per_section_parameter",
                expected=f"at most {len(frame_entries(frames))}",
                found=len(sections),
            )
        )
    return findings


def tlt_findings(
    key: str,
    angles: list[float],
    series: MetadataDocument,
    raw: tuple[str, list[float]] | None,
    mdoc: MdocFile | None,
) -> list[Finding]:
    """An alignment's ``.tlt`` angles against its tilt series (size.z, tilt_range), raw tilts and the mdoc."""
    out: list[Finding] = []
    size_z = _at(series.content, "size", "z")
    if isinstance(size_z, int) and len(angles) > size_z:
        out.append(_tlt(key, f"more angles than sections in {series.key} (size.z)", f"at most {size_z}", len(angles)))
    against: list[tuple[str, list[float] | None]] = [
        (raw[0] if raw else "", raw[1] if raw else None),
        (mdoc.key if mdoc else "", mdoc.angles if mdoc else None),
        (f"{series.key} tilt_range by tilt_step", range_angles(series.content)),
    ]
    for name, codomain in against:
        if codomain is not None and (missing := unmatched_angles(angles, codomain)):
            out.append(_tlt(key, f"{len(missing)} angle(s) match no angle of {name}", _span(codomain), _some(missing)))
    return out


def _tlt(key: str, message: str, expected: object, found: object) -> Finding:
    return check_finding("C-ALN-TLT", message, file=key, expected=expected, found=found)


def _section_angles(series: MetadataDocument) -> list[float]:
    sections = series.get("per_section_parameter")
    if not isinstance(sections, list):
        return []
    angles = [num(s.get("raw_angle")) for s in sections if isinstance(s, Mapping)]
    return [a for a in angles if a is not None]


def _at(content: Mapping[str, Any], *names: str) -> Any:
    value: Any = content
    for name in names:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def _span(angles: Sequence[float]) -> str:
    return f"{min(angles):g}..{max(angles):g} ({len(angles)} angles)" if angles else "no angles"


def _some(angles: Sequence[object]) -> str:
    shown = ", ".join(f"{a:g}" if isinstance(a, float) else str(a) for a in angles[:5])
    return shown + (f", … ({len(angles)} in all)" if len(angles) > 5 else "")
