"""Checks of a tilt series against what the portal's importers write and read: the raw tilt file named
``{run}.rawtlt`` (C-TS-RAWTLT-NAME), ``per_section_parameter`` present (C-TS-NO-SECTIONS, a warning: the
portal's ingestion computes it for every tilt series) and each section's ``frame_acquisition_order`` matching a
frame of the run's ``Frames/frames_metadata.json`` (C-TS-SECTION-FRAME: the portal's database importer looks that
frame up with ``.one()`` and fails the whole dataset otherwise)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ingest.checks.codes import check_finding
from ingest.checks.metadata import MetadataDocument
from ingest.checks.tree_access import TreeReader
from ingest.domain.listing import Listing
from ingest.domain.report import Finding, Severity


def tiltseries_findings(document: MetadataDocument, listing: Listing, reader: TreeReader) -> list[Finding]:
    """Every C-TS-* finding about one ``tiltseries_metadata.json``."""
    findings = list(_rawtlt_names(document, listing))
    sections = document.content.get("per_section_parameter")
    if not isinstance(sections, list) or not sections:
        findings.append(
            check_finding(
                "C-TS-NO-SECTIONS",
                "the tilt series has no per-section parameters",
                file=document.key,
                path="per_section_parameter",
                expected="one entry per section (from {run}.rawtlt, the mdoc and the CTF file)",
                found="nothing" if sections is None else repr(sections)[:80],
                severity=Severity.WARNING,
            )
        )
        return findings
    findings.extend(_frame_findings(document, sections, listing, reader))
    return findings


def _rawtlt_names(document: MetadataDocument, listing: Listing) -> Iterator[Finding]:
    folder, run = document.placed.entity_folder, document.placed.run
    if folder is None or run is None:
        return
    expected = f"{folder}/{run}.rawtlt"
    named = document.content.get("raw_tlt_path")
    if isinstance(named, str) and named != expected:
        yield check_finding(
            "C-TS-RAWTLT-NAME",
            "raw_tlt_path does not name the tilt series' {run}.rawtlt",
            file=document.key,
            path="raw_tlt_path",
            expected=expected,
            found=named,
        )
    depth = folder.count("/") + 1
    for key in sorted(listing.files):
        in_folder = key.startswith(folder + "/") and key.count("/") == depth
        if in_folder and key.lower().endswith(".rawtlt") and key != expected:
            yield check_finding(
                "C-TS-RAWTLT-NAME",
                "a raw tilt file is not named {run}.rawtlt",
                file=key,
                expected=expected,
                found=key.rsplit("/", 1)[-1],
            )


def _frame_findings(
    document: MetadataDocument, sections: list[Any], listing: Listing, reader: TreeReader
) -> Iterator[Finding]:
    orders = [(i, s.get("frame_acquisition_order")) for i, s in enumerate(sections) if isinstance(s, Mapping)]
    wanted = [(i, order) for i, order in orders if order is not None]
    if not wanted or document.placed.dataset is None or document.placed.run is None:
        return
    frames_key = f"{document.placed.dataset}/{document.placed.run}/Frames/frames_metadata.json"
    frames = _frame_orders(frames_key, listing, reader)
    for index, order in wanted:
        if frames is None or order not in frames:
            yield check_finding(
                "C-TS-SECTION-FRAME",
                "a section's frame_acquisition_order matches no frame (the portal's importer fails on it)",
                file=document.key,
                path=f"per_section_parameter[{index}].frame_acquisition_order",
                expected=f"an acquisition_order of {frames_key}",
                found=f"{order} ({'no frames metadata file' if frames is None else 'no such frame'})",
            )
            if frames is None:
                return  # one finding says it: the file is missing


def _frame_orders(key: str, listing: Listing, reader: TreeReader) -> set[Any] | None:
    if not listing.is_file(key):
        return None
    try:
        content = json.loads(reader.read_bytes(key))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return set()  # C-META-JSON / C-TREE-UNREADABLE already report the file itself
    frames = content.get("frames") if isinstance(content, dict) else None
    if not isinstance(frames, list):
        return set()
    return {frame.get("acquisition_order") for frame in frames if isinstance(frame, Mapping)}
