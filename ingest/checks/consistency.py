"""Cross-file consistency of one run, after the portal's data validation suite (``data_validation/standardized``):
tilt angles of the tilt series metadata vs raw tilts vs the mdoc vs alignment ``.tlt`` files, frames vs mdoc
sections and doses, per-section parameters. Reads only small files (metadata already parsed, angle lists, mdoc);
``docs/portal-validation-map.md`` maps each portal test to its code here or elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.checks.codes import check_finding
from ingest.checks.frames import frame_entries, frames_findings, header_findings
from ingest.checks.metadata import MetadataDocument
from ingest.checks.tilt_angle_files import MdocFile, read_angle_list, read_mdoc
from ingest.checks.tree_access import TreeReader
from ingest.domain.report import Finding
from ingest.domain.tree_roles import Placed, Role

DECIMALS = 2
"""Angles match when equal rounded to two decimals (the portal's ``helper_angles_injection_errors``)."""
RANGE_SLACK = 0.5
"""A section's angle may lie this many degrees outside ``tilt_range`` (rounded ranges in configs)."""
AXIS_TOLERANCE = 10.0
DOSE_TOLERANCE = 1.0


@dataclass(frozen=True)
class RunFiles:
    """The small files of one run the consistency checks read, by role."""

    tilt_series: tuple[MetadataDocument, ...]
    alignments: tuple[MetadataDocument, ...]
    frames: MetadataDocument | None
    mdoc_key: str | None
    frame_files: tuple[str, ...]
    has_gains: bool
    keys: frozenset[str]
    frame_keys: tuple[str, ...] = ()
    gain_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, run: str, placed: Sequence[Placed], documents: Sequence[MetadataDocument]) -> RunFiles:
        """Sort the run's keys and parsed metadata documents."""
        mdocs = sorted(p.key for p in placed if p.key.endswith(".mdoc"))
        preferred = [key for key in mdocs if key.endswith(f"/Frames/{run}.mdoc")]
        frame_names = {
            p.key.split("/Frames/", 1)[1].split("/", 1)[0]
            for p in placed
            if p.role is Role.FRAMES_FILE and not p.key.endswith(".mdoc")
        }
        frames = [d for d in documents if d.placed.role is Role.FRAMES_METADATA]
        return cls(
            tuple(d for d in documents if d.placed.role is Role.TILTSERIES_METADATA),
            tuple(d for d in documents if d.placed.role is Role.ALIGNMENT_METADATA),
            frames[0] if frames else None,
            (preferred + mdocs)[0] if mdocs else None,
            tuple(sorted(frame_names)),
            any(p.role is Role.GAINS_FILE for p in placed),
            frozenset(p.key for p in placed),
            tuple(p.key for p in placed if p.role is Role.FRAMES_FILE),
            tuple(p.key for p in placed if p.role is Role.GAINS_FILE),
        )


def consistency_findings(
    reader: TreeReader, run: str, placed: Sequence[Placed], documents: Sequence[MetadataDocument]
) -> list[Finding]:
    """Every cross-file finding about one run."""
    files = RunFiles.of(run, placed, documents)
    findings: list[Finding] = []
    texts = _Texts(reader, findings)
    mdoc = None
    if files.mdoc_key is not None and (text := texts.read(files.mdoc_key)) is not None:
        mdoc, problems = read_mdoc(text, files.mdoc_key)
        findings.extend(problems)
    raw_angles: dict[str, tuple[str, list[float]]] = {}
    for series in files.tilt_series:
        raw = _raw_tilts(series, files, texts, findings)
        if raw is not None:
            raw_angles[series.key] = raw
        findings.extend(_tilt_series_findings(series, raw, mdoc, files.frames))
    for alignment in files.alignments:
        findings.extend(_alignment_findings(alignment, files, texts, raw_angles, mdoc))
    if files.frames is not None:
        findings.extend(frames_findings(files.frames, mdoc, files.frame_files, has_gains=files.has_gains))
    spacings = {s.key: v for s in files.tilt_series if (v := _num(s.get("pixel_spacing"))) is not None}
    findings.extend(header_findings(reader, files.frame_keys, files.gain_keys, spacings))
    return findings


class _Texts:
    """Reads small text files once, reporting unreadable ones."""

    def __init__(self, reader: TreeReader, findings: list[Finding]) -> None:
        self._reader, self._findings, self._cache = reader, findings, dict[str, str | None]()

    def read(self, key: str) -> str | None:
        if key not in self._cache:
            try:
                self._cache[key] = self._reader.read_bytes(key).decode("utf-8", errors="replace")
            except OSError as error:
                self._findings.append(
                    check_finding("C-TREE-UNREADABLE", "cannot read the file", file=key, found=type(error).__name__)
                )
                self._cache[key] = None
        return self._cache[key]

    def angles(self, key: str) -> list[float] | None:
        text = self.read(key)
        if text is None:
            return None
        angles, problems = read_angle_list(text, key)
        self._findings.extend(problems)
        return angles


def _raw_tilts(
    series: MetadataDocument, files: RunFiles, texts: _Texts, findings: list[Finding]
) -> tuple[str, list[float]] | None:
    named = series.get("raw_tlt_path")
    folder = series.placed.entity_folder or ""
    candidates = [named] if isinstance(named, str) and named in files.keys else []
    candidates += sorted(k for k in files.keys if k.startswith(folder + "/") and k.endswith(".rawtlt"))
    if not candidates:
        return None
    angles = texts.angles(candidates[0])
    return None if angles is None else (candidates[0], angles)


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
    low, high = _num(_at(series, "tilt_range", "min")), _num(_at(series, "tilt_range", "max"))
    step = _num(series.get("tilt_step"))
    if low is None or high is None or step is None or step <= 0 or (high - low) / step > 10_000:
        return None
    return [float(a) for a in np.arange(low, high + step, step)]


def _tilt_series_findings(
    series: MetadataDocument,
    raw: tuple[str, list[float]] | None,
    mdoc: MdocFile | None,
    frames: MetadataDocument | None,
) -> list[Finding]:
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
        doses = [_num(f.get("exposure_dose")) or 0.0 for f in frame_entries(frames)]
        flux = _num(series.get("total_flux"))
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
    axis = _num(series.get("tilt_axis"))
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
    low, high = _num(_at(series.content, "tilt_range", "min")), _num(_at(series.content, "tilt_range", "max"))
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
            value = _num(section.get(name))
            strict = name == "max_resolution"
            if value is not None and (value < low or (strict and value == low) or (high is not None and value > high)):
                findings.append(
                    check_finding(
                        "C-TILT-SECTION",
                        f"{name} out of range",
                        file=series.key,
                        path=f"per_section_parameter[{index}].{name}",
                        expected=f"> {low:g}" if high is None else f"{low:g}..{high:g}",
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


def _alignment_findings(
    alignment: MetadataDocument,
    files: RunFiles,
    texts: _Texts,
    raw_angles: Mapping[str, tuple[str, list[float]]],
    mdoc: MdocFile | None,
) -> list[Finding]:
    folder = alignment.placed.entity_folder or ""
    tlt_keys = sorted(k for k in files.keys if k.startswith(folder + "/") and k.endswith(".tlt"))
    named = alignment.get("tiltseries_path")
    series = [s for s in files.tilt_series if s.key == named] or list(files.tilt_series[:1])
    out: list[Finding] = []
    for key in tlt_keys:
        angles = texts.angles(key)
        if not angles or not series:
            continue
        ts = series[0]
        size_z = _at(ts.content, "size", "z")
        if isinstance(size_z, int) and len(angles) > size_z:
            out.append(_tlt(key, f"more angles than sections in {ts.key} (size.z)", f"at most {size_z}", len(angles)))
        against: list[tuple[str, list[float] | None]] = [
            (raw_angles[ts.key][0] if ts.key in raw_angles else "", raw_angles.get(ts.key, ("", None))[1]),
            (mdoc.key if mdoc else "", mdoc.angles if mdoc else None),
            (f"{ts.key} tilt_range by tilt_step", range_angles(ts.content)),
        ]
        for name, codomain in against:
            if codomain is not None and (missing := unmatched_angles(angles, codomain)):
                out.append(
                    _tlt(key, f"{len(missing)} angle(s) match no angle of {name}", _span(codomain), _some(missing))
                )
    return out


def _tlt(key: str, message: str, expected: object, found: object) -> Finding:
    return check_finding("C-ALN-TLT", message, file=key, expected=expected, found=found)


def _section_angles(series: MetadataDocument) -> list[float]:
    sections = series.get("per_section_parameter")
    if not isinstance(sections, list):
        return []
    angles = [_num(s.get("raw_angle")) for s in sections if isinstance(s, Mapping)]
    return [a for a in angles if a is not None]


def _at(content: Mapping[str, Any], *names: str) -> Any:
    value: Any = content
    for name in names:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _span(angles: Sequence[float]) -> str:
    return f"{min(angles):g}..{max(angles):g} ({len(angles)} angles)" if angles else "no angles"


def _some(angles: Sequence[object]) -> str:
    shown = ", ".join(f"{a:g}" if isinstance(a, float) else str(a) for a in angles[:5])
    return shown + (f", … ({len(angles)} in all)" if len(angles) > 5 else "")
