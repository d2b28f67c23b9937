"""Frames of one run against its mdoc, its frame files and its gains (the portal's data validation:
``test_frame.py``, ``mdoc_helper.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ingest.report import Finding, Severity
from ingest.validators.check_codes import check_finding
from ingest.validators.check_metadata import MetadataDocument
from ingest.validators.tilt_angle_files import MdocFile


def frames_findings(
    frames: MetadataDocument, mdoc: MdocFile | None, frame_files: Sequence[str], *, has_gains: bool
) -> list[Finding]:
    """Frames metadata vs the mdoc and the frame files; acquisition order vs doses; gain correction vs gains."""
    findings = []
    entries = frame_entries(frames)
    if mdoc is not None and frame_files:
        counts = (len(mdoc.sections), len(frame_files), len(entries))
        names = {s.sub_frame_name for s in mdoc.sections if s.sub_frame_name}
        if len(set(counts)) > 1:
            findings.append(
                check_finding(
                    "C-FRAMES-MDOC",
                    f"mdoc sections of {mdoc.key}, frame files and frames entries differ in number",
                    file=frames.key,
                    path="frames",
                    expected="sections = files = entries",
                    found=counts,
                    severity=Severity.WARNING,
                )
            )
        elif names != set(frame_files):
            findings.append(
                check_finding(
                    "C-FRAMES-MDOC",
                    f"SubFramePath names of {mdoc.key} and the Frames files differ",
                    file=mdoc.key,
                    expected=_some(sorted(set(frame_files) - names)) + " in the mdoc",
                    found=_some(sorted(names - set(frame_files))) + " without a frame file",
                    severity=Severity.WARNING,
                )
            )
    orders = [o for f in entries if isinstance(o := f.get("acquisition_order"), int) and not isinstance(o, bool)]
    if entries and len(orders) == len(entries) and max(orders) > len(entries) - 1:
        findings.append(
            check_finding(
                "C-FRAMES-ORDER",
                "an acquisition_order exceeds the number of frames − 1",
                file=frames.key,
                path="frames",
                expected=f"at most {len(entries) - 1}",
                found=max(orders),
            )
        )
    doses = [d for f in entries if (d := _num(f.get("accumulated_dose"))) is not None]
    if entries and len(orders) == len(doses) == len(entries):
        by_order = sorted(range(len(entries)), key=lambda i: orders[i])
        by_dose = sorted(range(len(entries)), key=lambda i: doses[i])
        if by_order != by_dose:
            findings.append(
                check_finding(
                    "C-FRAMES-ORDER",
                    "acquisition_order and accumulated_dose order the frames differently",
                    file=frames.key,
                    path="frames",
                    expected="doses rising with acquisition_order",
                    found=[doses[i] for i in by_order][:6],
                )
            )
    if frames.get("is_gain_corrected") is False and not has_gains:
        findings.append(
            check_finding(
                "C-FRAMES-GAIN",
                "frames are not gain corrected and the run has no gain reference",
                file=frames.key,
                path="is_gain_corrected",
                expected="a file under Gains/",
                found="none",
            )
        )
    return findings


def frame_entries(frames: MetadataDocument) -> list[Mapping[str, Any]]:
    """The entries of a frames_metadata.json's ``frames`` list that are objects."""
    entries = frames.get("frames")
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _some(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f", … ({len(names)} in all)" if len(names) > 5 else "")
