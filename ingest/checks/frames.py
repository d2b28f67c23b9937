"""Frames of one run against its mdoc, its frame files and its gains (the portal's data validation:
``test_frame.py``, ``mdoc_helper.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ingest.checks.codes import check_finding
from ingest.checks.metadata import MetadataDocument
from ingest.checks.mrc import MrcHeader, read_mrc_header
from ingest.checks.tilt_angle_files import MdocFile
from ingest.checks.tree_access import TreeReader
from ingest.domain.report import Finding, Severity
from ingest.errors import InputFileError


def frames_findings(
    frames: MetadataDocument, mdoc: MdocFile | None, frame_files: Sequence[str], *, has_gains: bool
) -> list[Finding]:
    """Frames metadata vs the mdoc and the frame files; acquisition order vs doses; gain correction vs gains.
    Frames metadata without a ``frames`` list (a config's, before ingestion) has one entry per mdoc section."""
    findings = []
    entries = frame_entries(frames)
    if "frames" not in frames.content and mdoc is not None:
        entries = [{} for _ in mdoc.sections]  # not written yet (sources): the pipeline makes one per section
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
    doses = [d for f in entries if (d := num(f.get("accumulated_dose"))) is not None]
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
                severity=Severity.WARNING,  # the portal's test is skipped when the run has no gain file
            )
        )
    return findings


def frame_entries(frames: MetadataDocument) -> list[Mapping[str, Any]]:
    """The entries of a frames_metadata.json's ``frames`` list that are objects."""
    entries = frames.get("frames")
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


def num(value: Any) -> float | None:
    """A finite number as a float, else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _some(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f", … ({len(names)} in all)" if len(names) > 5 else "")


def header_findings(
    reader: TreeReader, frame_keys: Sequence[str], gain_keys: Sequence[str], pixel_spacings: Mapping[str, float]
) -> list[Finding]:
    """Gains and frames as MRC headers say (the first MRC frame only, one header read per file): a gain is one
    image (nz = 1) of the frames' size and voxel size; a tilt series' pixel spacing (``pixel_spacings``, by
    metadata key) is a whole multiple of the frames' voxel size."""
    findings: list[Finding] = []
    frame = _first_header(reader, [k for k in frame_keys if k.endswith(".mrc")])
    for key in sorted(k for k in gain_keys if k.endswith(".mrc")):
        gain = _first_header(reader, [key])
        if gain is None:
            continue
        if gain[1].shape[0] != 1:
            findings.append(
                check_finding(
                    "C-GAIN-HEADER",
                    "a gain reference is one image",
                    file=key,
                    expected="nz = 1",
                    found=f"nz = {gain[1].shape[0]}",
                )
            )
        if frame is not None and (gain[1].shape[1:], _xy(gain[1])) != (frame[1].shape[1:], _xy(frame[1])):
            findings.append(
                check_finding(
                    "C-GAIN-HEADER",
                    f"gain and frame {frame[0]} differ in size or voxel size",
                    file=key,
                    expected=(frame[1].shape[1:], _xy(frame[1])),
                    found=(gain[1].shape[1:], _xy(gain[1])),
                )
            )
    if frame is not None and (size := _xy(frame[1])[1]) > 0:
        for series, spacing in sorted(pixel_spacings.items()):
            ratio = spacing / size
            if spacing > 0 and abs(ratio - round(ratio)) > 0.001:
                findings.append(
                    check_finding(
                        "C-FRAMES-PIXEL-SPACING",
                        f"pixel_spacing is no whole multiple of the voxel size of frame {frame[0]}",
                        file=series,
                        path="pixel_spacing",
                        expected=f"n × {size:g} Å",
                        found=spacing,
                    )
                )
    return findings


def _first_header(reader: TreeReader, keys: Sequence[str]) -> tuple[str, MrcHeader] | None:
    """The first of ``keys`` with its header; a file that is no readable MRC is skipped here (frames and gains
    are copied as deposited; their headers are not otherwise checked)."""
    for key in sorted(keys)[:1]:
        try:
            return key, read_mrc_header(reader, key)
        except (InputFileError, OSError):
            return None
    return None


def _xy(header: MrcHeader) -> tuple[float, float]:
    _, y, x = header.voxel_size
    return (round(y, 3), round(x, 3))
